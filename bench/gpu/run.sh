#!/usr/bin/env bash
# One prepared run on the accelerator machine (see bench/gpu/README.md), from the repo root with .gpu/ made by
# bench/gpu/pack.sh: builds the ViT-B/32 folder with the machine's PyTorch, measures the GPU side
# (torch_vit_b32.py; SKIP_TORCH=1 leaves it out), the CPU side (decode-bound.mjs: Winnow's preprocessing pool
# in thread and process mode at 1/2/4/8/16 workers, then the embed pipeline on ORT's CPU provider in each mode)
# and the machine's own scaling (cpu_scaling.py: PIL in processes), and writes JSON and logs to $OUT.
# IMAGES (default 512) photo-like JPEGs of 512–1024 px; PIPELINE_IMAGES (default 256) of them for the pipeline.
# With SKIP_TORCH=1 it takes about 2 minutes on 16 vCPUs.
set -uo pipefail
OUT=${OUT:-/tmp/winnow-gpu-out}; mkdir -p "$OUT"
started=$SECONDS
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 || true; nproc; } | tee "$OUT/gpu.txt"
mkdir -p /tmp/wg && tar -xJf .gpu/runtime.tar.xz -C /tmp/wg && cp .gpu/js/* /tmp/wg/
NODE=/tmp/wg/node  # the same Node 20 the bundle was built and tested with; process-mode workers fork it too
PYTHON=${PYTHON:-python3}  # one with torch (the ViT-B/32 folder, the GPU side) and PIL (cpu_scaling.py)
echo "node: $NODE $($NODE --version)" | tee -a "$OUT/gpu.txt"
PYTHONUNBUFFERED=1 "$PYTHON" bench/make-vit-b32.py /tmp/vit-b32 models/winnow-clip-mini 2>&1 | tail -3
echo "setup: $((SECONDS - started)) s" | tee -a "$OUT/gpu.txt"
[ -n "${SKIP_TORCH:-}" ] || PYTHONUNBUFFERED=1 "$PYTHON" bench/gpu/torch_vit_b32.py "$OUT/torch.json" 2>&1 | tee "$OUT/torch.log"
KEEP_JPEGS=/tmp/wg-jpegs "$NODE" /tmp/wg/decode-bound.mjs "$OUT/decode.json" /tmp/vit-b32 "${IMAGES:-512}" "${PIPELINE_IMAGES:-256}" 2>&1 | tee "$OUT/decode.log"
PYTHONUNBUFFERED=1 "$PYTHON" bench/gpu/cpu_scaling.py "$OUT/cpu.json" /tmp/wg-jpegs 2>&1 | tee "$OUT/cpu.log"
echo "total: $((SECONDS - started)) s" | tee -a "$OUT/gpu.txt"
