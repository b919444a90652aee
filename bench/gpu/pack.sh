#!/usr/bin/env bash
# Packs what bench/gpu/run.sh needs on a machine with no registry access: .gpu/runtime.tar.xz (this node
# binary and the native modules the bench loads; built once, slow to compress) and .gpu/js (the
# decode-bound bench and the preprocessing worker bundled by esbuild, which the pool runs as worker threads
# or forks as child processes with this same node; rebuilt every time).
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -rf .gpu/js && mkdir -p .gpu/js
npx esbuild bench/gpu/decode-bound.ts --bundle --platform=node --format=esm --target=node20 \
  --external:sharp --external:onnxruntime-node --outfile=.gpu/js/decode-bound.mjs --log-level=warning
npx esbuild main/engine/vision/preprocess-worker.ts --bundle --platform=node --format=esm --target=node20 \
  --external:sharp --outfile=.gpu/js/preprocess-worker.js --log-level=warning
cp main/engine/vision/preprocess-worker-entry.mjs .gpu/js/
echo '{"type":"module"}' > .gpu/js/package.json
if [ ! -f .gpu/runtime.tar.xz ]; then
  rm -rf .gpu/stage && mkdir -p .gpu/stage/node_modules/@img
  for m in sharp detect-libc semver onnxruntime-node onnxruntime-common @img/colour @img/sharp-linux-x64 @img/sharp-libvips-linux-x64; do
    cp -r "node_modules/$m" ".gpu/stage/node_modules/$m"
  done
  # onnxruntime-node ships every platform's binaries; the accelerator machine is linux x64.
  rm -rf .gpu/stage/node_modules/onnxruntime-node/bin/napi-v6/{darwin,win32} .gpu/stage/node_modules/onnxruntime-node/bin/napi-v6/linux/arm64
  cp "$(command -v node)" .gpu/stage/node
  XZ_OPT=-T0 tar -cJf .gpu/runtime.tar.xz -C .gpu/stage .
  rm -rf .gpu/stage
fi
ls -la .gpu/runtime.tar.xz .gpu/js
