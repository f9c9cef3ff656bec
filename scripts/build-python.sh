#!/usr/bin/env bash
# Builds the native library the Python package ships (release, Swift runtime linked in
# statically, only the C ABI exported) and puts it, with the two system libraries it
# loads (liburing, liblz4), into python/spillway/, where the library's RUNPATH ($ORIGIN)
# finds them. Then prints `ldd` of the result: no Swift toolchain library may appear.
# `pip install ./python` runs this itself when the library is not there yet.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product spillway_c -Xswiftc -static-stdlib \
  -Xlinker "--version-script=$PWD/python/spillway.map" >&2
built=.build/release/libspillway_c.so
dest=python/spillway
install -m 0755 "$built" "$dest/libspillway_c.so"
strip --strip-unneeded "$dest/libspillway_c.so"
for name in liburing.so.2 liblz4.so.1; do
  path=$(ldd "$built" | awk -v n="$name" '$1 == n { print $3 }')
  if [ -z "$path" ] || [ ! -f "$path" ]; then
    echo "build-python: $built does not load $name from a file (ldd says: $(ldd "$built" | grep "$name"))" >&2
    exit 1
  fi
  install -m 0644 "$(readlink -f "$path")" "$dest/$name"
done
echo "build-python: ldd $dest/libspillway_c.so" >&2
ldd "$dest/libspillway_c.so" >&2
if ldd "$dest/libspillway_c.so" | grep -E -i 'swift|not found' >&2; then
  echo "build-python: the library still needs the Swift toolchain or a missing library" >&2
  exit 1
fi
