#!/usr/bin/env bash
# netvis against PyTorch eager on this machine, in one invocation: per-image forward and VJP at batch
# 1, 8 and 32, the reference workflow end to end with peak memory, and the ratios against the targets.
# Installs Debian's python3-torch, python3-torchvision and python3-onnx for the baseline when missing.
# Usage: bench/run.sh            (BENCH_SECONDS=4 per measurement by default)
#        bench/run.sh --engine   (netvis' own forward/VJP table only, no PyTorch)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE"
export NETVIS_MODEL_PATH="${NETVIS_MODEL_PATH:-$(cd "$HERE/../shared/models" && pwd)}"
mvn -q -B -Dstyle.color=never -DskipTests package >&2
if [[ "${1:-}" == "--engine" ]]; then
  shift
  exec bash bench/java.sh EngineBench "$@"
fi
if ! /usr/bin/python3 -c "import torch, torchvision, onnx, PIL" 2>/dev/null; then
  echo "installing the PyTorch baseline (python3-torch python3-torchvision python3-onnx python3-pil)..." >&2
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-torch python3-torchvision python3-onnx python3-pil >&2
fi
exec /usr/bin/python3 bench/compare.py
