#!/usr/bin/env bash
# The synthetic atlas the tokenize, medians, formats and object-storage benchmarks share: prints the
# path of bench/work/atlas_<CELLS>.h5ad, generating it first when missing
# (bench/tokenize/make_atlas.py; /usr/bin/python3 with numpy and h5py).   bench/atlas.sh CELLS
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ATLAS="$ROOT/bench/work/atlas_$1.h5ad"
mkdir -p "$ROOT/bench/work"
if [[ ! -f "$ATLAS" ]]; then
  /usr/bin/python3 "$ROOT/bench/tokenize/make_atlas.py" "$ATLAS" --cells "$1" >&2
fi
echo "$ATLAS"
