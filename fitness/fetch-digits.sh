#!/usr/bin/env bash
# Fetches sklearn's digits (1,797 8×8 images, the M2N2 paper's "MNIST") from Debian's python3-sklearn
# package, checks it and caches it. Idempotent; prints the path of digits.csv.gz.
#   EVOMERGE_CACHE  cache folder (default ~/.cache/evomerge)
set -euo pipefail
cache="${EVOMERGE_CACHE:-$HOME/.cache/evomerge}/digits"
target="$cache/digits.csv.gz"
sha256="46abec6b12486ad9e51943373abcf22bbea1b5a51a1619b361570d8893f1464a"

if [[ -f "$target" ]] && echo "$sha256  $target" | sha256sum -c --quiet 2>/dev/null; then
  echo "$target"
  exit 0
fi
mkdir -p "$cache"
work="$(mktemp -d "$cache/.fetch-XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"
# apt-get download needs package lists; a fresh machine has none until 'apt-get update'
if ! apt-get download python3-sklearn >/dev/null 2>&1; then
  apt-get update -qq >/dev/null 2>&1 || { echo "fetch-digits: apt-get update failed (are Debian's mirrors reachable?)" >&2; exit 1; }
  apt-get download python3-sklearn >/dev/null 2>&1 || { echo "fetch-digits: cannot download python3-sklearn" >&2; exit 1; }
fi
dpkg-deb -x python3-sklearn_*.deb extracted
found="$(find extracted -name digits.csv.gz | head -n 1)"
[[ -n "$found" ]] || { echo "fetch-digits: digits.csv.gz not in the package" >&2; exit 1; }
echo "$sha256  $found" | sha256sum -c --quiet || { echo "fetch-digits: digits.csv.gz checksum mismatch" >&2; exit 1; }
cp "$found" "$target.tmp"
mv "$target.tmp" "$target"
echo "$target"
