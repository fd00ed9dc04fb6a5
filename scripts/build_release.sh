#!/usr/bin/env bash
# Build the four packages' sdists and wheels into one folder (default: dist/), each wheel from its
# sdist, as an index would. Usage: bash scripts/build_release.sh [OUT_DIR] [extra `build` options]
# Needs `build` and `hatchling` (the dev extra); pass --no-isolation to build without the index.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(realpath -m "${1:-dist}")"
shift || true
python="${PYTHON:-python3}"
for package in degrade samplers restore zoo; do
  "$python" -m build --quiet --outdir "$out" "$@" "$root/$package"
done
