#!/usr/bin/env bash
# Share of each iterative technique's step time spent outside ONNX Runtime (netvis' own work: copies,
# the technique's arithmetic, writing its outputs), from the run manifest's per-step figures
# (seconds, onnxruntime_seconds). bench/iterative.yaml; the first step (saliency) warms the JVM up.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE"
export NETVIS_MODEL_PATH="${NETVIS_MODEL_PATH:-$(cd "$HERE/../shared/models" && pwd)}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
./netvis run bench/iterative.yaml --out "$OUT/run" >/dev/null 2>&1
/usr/bin/env python3 - "$OUT/run/manifest.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
for s in m["steps"][1:]:
    print(f"{s['technique']:22s} {s['seconds']:6.2f} s, inside ONNX Runtime {s['onnxruntime_seconds']:6.2f} s,"
          f" outside {100 * s['outside_onnxruntime_share']:5.1f}%")
PY
