#!/usr/bin/env bash
# Throughput of `netvis spark` on this machine: configs/dataset.yaml (the 25 images of
# imagenet_val_25) with local[1] against local[2], alternating, N runs each (default 2); images per
# second from the job's own duration (manifest.json), and the scaling ratio.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE"
export NETVIS_MODEL_PATH="${NETVIS_MODEL_PATH:-$(cd "$HERE/../shared/models" && pwd)}"
export NETVIS_DATA_PATH="${NETVIS_DATA_PATH:-$(cd "$HERE/../shared/datasets" && pwd)}"
N="${1:-2}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
for ((i = 0; i < N; i++)); do
  for master in 'local[1]' 'local[2]'; do
    ./netvis spark configs/dataset.yaml --master "$master" --out "$OUT/$master-$i" >/dev/null 2>&1
    /usr/bin/env python3 -c "
import json; m = json.load(open('$OUT/$master-$i/manifest.json'))
print('$master', m['images'], round(m['duration_seconds'], 2))"
  done
done | tee "$OUT/times.txt"
/usr/bin/env python3 - "$OUT/times.txt" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    master, images, seconds = line.split()
    runs.setdefault(master, []).append(int(images) / float(seconds))
for k, v in runs.items():
    print(f"{k}: {statistics.median(v):.2f} images/s (median of {len(v)})")
print(f"local[2] / local[1]: {statistics.median(runs['local[2]']) / statistics.median(runs['local[1]']):.2f}x")
PY
