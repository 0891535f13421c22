#!/usr/bin/env bash
# Builds plain JavaScript into dist/ (tsc emit + the JSON assets beside the code), so the server
# runs without Node's runtime type stripper (which costs ~20 MB of resident memory).
# bin/skiff runs dist/ when it is at least as new as every file in src/, else src/ directly.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist.tmp
mkdir dist.tmp
touch dist.tmp/.stamp # before compiling: a source edited during the build makes dist/ stale
node_modules/.bin/tsc -p tsconfig.build.json --outDir dist.tmp
(cd src && find . -name '*.json' -print0 | while IFS= read -r -d '' f; do mkdir -p "../dist.tmp/$(dirname "$f")"; cp "$f" "../dist.tmp/$f"; done)
printf '{"type":"module"}\n' > dist.tmp/package.json
rm -rf dist
mv dist.tmp dist
