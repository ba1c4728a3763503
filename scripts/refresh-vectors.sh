#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Replaces test/fixtures/vectors/ with a fresh copy of the golden vectors, then lists what changed.
# Usage: scripts/refresh-vectors.sh [SOURCE]   (default ../shared/vectors, beside the checkout)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
src=${1:-"$root/../shared/vectors"}
dest="$root/test/fixtures/vectors"
if [ ! -f "$src/README.md" ] || [ ! -d "$src/latest" ]; then
  echo "refresh-vectors: $src does not look like a vectors folder (no README.md or latest/)" >&2
  exit 2
fi
rm -rf "$dest"
mkdir -p "$dest"
cp -R "$src"/. "$dest"/
chmod -R u+w "$dest"
cd "$root"
git status --short -- test/fixtures/vectors
echo "refresh-vectors: copied $src; run 'node --import tsx --test test/pgtable/vectors.test.ts' next" >&2
