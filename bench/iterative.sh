#!/usr/bin/env bash
# Share of each iterative technique's time spent outside ONNX Runtime (netvis' own work: copies,
# the technique's arithmetic, writing its outputs), from the run manifest's per-step figures
# (seconds, onnxruntime_seconds). bench/iterative.yaml; the first step (saliency) warms the JVM up.
#
# Two columns: the whole step (outputs included), and the iterations alone. The second runs the
# experiment again with about twice the iterations (fooling at half the learning rate, twice the
# class-visualization iterations, PGD steps and integrated-gradients path points) and takes the
# difference, so what a step writes once (its PNGs, figure and arrays) cancels out and what is left
# is the cost of each further iteration: the per-step copies and arithmetic around ONNX Runtime.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE"
export NETVIS_MODEL_PATH="${NETVIS_MODEL_PATH:-$(cd "$HERE/../shared/models" && pwd)}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
./netvis run bench/iterative.yaml --out "$OUT/base" >/dev/null 2>&1
./netvis run bench/iterative.yaml --out "$OUT/more" \
  --set steps[1].params.learning_rate=0.5 \
  --set steps[2].params.num_iterations=200 \
  --set steps[3].params.steps=40 \
  --set steps[4].params.steps=100 >/dev/null 2>&1
/usr/bin/env python3 - "$OUT/base/manifest.json" "$OUT/more/manifest.json" <<'PY'
import json, sys
base = json.load(open(sys.argv[1]))["steps"][1:]
more = json.load(open(sys.argv[2]))["steps"][1:]
print(f"{'technique':22s} {'step':>7s} {'in ORT':>7s} {'outside':>8s}   {'more':>7s} {'in ORT':>7s}"
      f"   outside per extra iteration")
for b, m in zip(base, more):
    extra = m["seconds"] - b["seconds"]
    extra_ort = m["onnxruntime_seconds"] - b["onnxruntime_seconds"]
    marginal = f"{100 * (extra - extra_ort) / extra:5.1f}%" if extra > 0 else "  n/a"
    print(f"{b['technique']:22s} {b['seconds']:6.2f}s {b['onnxruntime_seconds']:6.2f}s"
          f" {100 * b['outside_onnxruntime_share']:7.1f}%   {m['seconds']:6.2f}s {m['onnxruntime_seconds']:6.2f}s"
          f"   {marginal}")
PY
