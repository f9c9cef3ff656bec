#!/usr/bin/env bash
# Regenerates the test fixtures in Tests/Fixtures/traces (see the README there):
# generated-seed7.jsonl with the repository's own `spillway trace generate` (every trace.*
# setting pinned on the command line, so the file does not depend on Config/default.json or
# SPILLWAY_* variables), then the expected counters of generated-seed7 and edge-cases with the
# repository's reference script scripts/lru_reference.py, and checks that the committed
# mooncake-synthetic.expected.json still matches that script.
#
# Usage: scripts/make-fixtures.sh           rewrite the generated fixtures in place
#        scripts/make-fixtures.sh --check   regenerate into a temp dir, diff, exit 1 on change
# The configurations below are the ones the tests replay (six per trace).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-write}
fixtures=Tests/Fixtures/traces
out=$fixtures
if [[ "$mode" == --check ]]; then
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
fi
while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep '^SPILLWAY_' || true)

swift build --product spillway >&2
spillway="$(swift build --show-bin-path)/spillway"

"$spillway" trace generate --requests 2000 --seed 7 --sessions 150 --system-prompts 4 \
    --system-prompt-blocks 12 --turn-blocks 6 --output-blocks 2 --max-context-blocks 64 \
    --zipf-exponent 1.0 --block-tokens 512 --mean-interarrival-ms 20 \
    --out "$out/generated-seed7.jsonl" >&2
python3 scripts/lru_reference.py "$out/generated-seed7.jsonl" --expected-for \
    32:0:spill 32:256:spill 32:256:write-through 128:1024:spill 48:96:write-through \
    100000:0:spill >"$out/generated-seed7.expected.json"
python3 scripts/lru_reference.py "$fixtures/edge-cases.jsonl" --expected-for \
    2:4:spill 2:4:write-through 2:0:spill 3:1:spill 4:2:write-through \
    100:100:spill >"$out/edge-cases.expected.json"
python3 scripts/lru_reference.py "$fixtures/mooncake-synthetic.jsonl" \
    --check "$fixtures/mooncake-synthetic.expected.json" >&2

if [[ "$mode" == --check ]]; then
    for file in generated-seed7.jsonl generated-seed7.expected.json edge-cases.expected.json; do
        cmp "$out/$file" "$fixtures/$file" || { echo "make-fixtures: $file changed" >&2; exit 1; }
    done
    echo "make-fixtures: the fixtures are reproducible" >&2
fi
