#!/usr/bin/env bash
# Installs the system packages Spillway builds against (liburing, liblz4) and the benchmark
# references (fio, lz4). As root it installs what is missing; otherwise it says what to run.
set -euo pipefail
need=()
for pkg in liburing-dev liblz4-dev fio lz4 python3 python3-venv; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
    echo "spillway setup: missing system packages: ${need[*]}" >&2
    echo "  install them with: sudo apt-get install -y ${need[*]}" >&2
    exit 1
fi
echo "spillway setup: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq "${need[@]}" >/dev/null
