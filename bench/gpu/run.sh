#!/usr/bin/env bash
# One prepared run on the accelerator machine (see bench/gpu/README.md): builds the ViT-B/32 folder with
# the machine's PyTorch, measures the GPU side (torch_vit_b32.py) and the CPU side (decode-bound.mjs,
# Winnow's preprocessing pool and ORT's CPU provider), and writes both JSON files to $OUT.
# Expects .gpu/runtime.tar.xz and .gpu/js made by bench/gpu/pack.sh (node, the bundled bench, its native modules).
set -uo pipefail
OUT=${OUT:-/tmp/winnow-gpu-out}; mkdir -p "$OUT"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
nproc | tee -a "$OUT/gpu.txt"
mkdir -p /tmp/wg && tar -xJf .gpu/runtime.tar.xz -C /tmp/wg && cp .gpu/js/* /tmp/wg/
NODE=/tmp/wg/node  # the same Node 20 the bundle was built and tested with
echo "node: $NODE $($NODE --version)" | tee -a "$OUT/gpu.txt"
PYTHONUNBUFFERED=1 python3 bench/make-vit-b32.py /tmp/vit-b32 models/winnow-clip-mini 2>&1 | tail -3
[ -n "${SKIP_TORCH:-}" ] || PYTHONUNBUFFERED=1 python3 bench/gpu/torch_vit_b32.py "$OUT/torch.json" 2>&1 | tee "$OUT/torch.log"
KEEP_JPEGS=/tmp/wg-jpegs "$NODE" /tmp/wg/decode-bound.mjs "$OUT/decode.json" /tmp/vit-b32 "${IMAGES:-1024}" 2>&1 | tee "$OUT/decode.log"
PYTHONUNBUFFERED=1 python3 bench/gpu/cpu_scaling.py "$OUT/cpu.json" /tmp/wg-jpegs 2>&1 | tee "$OUT/cpu.log"
