#!/usr/bin/env bash
# Process start to the first step of bench/workflow.yaml through ./netvis, as the launcher runs it,
# against the same with class-data sharing, the native libraries' cache and the files' digests turned
# off (NETVIS_CDS=0, NETVIS_ORT_CACHE=0, NETVIS_DIGEST_CACHE=0), alternating, N runs each (default 5);
# medians in seconds.
# The first step's start is read from the run's own log (its timestamps are the JVM's wall clock).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE"
export NETVIS_MODEL_PATH="${NETVIS_MODEL_PATH:-$(cd "$HERE/../shared/models" && pwd)}"
N="${1:-5}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
rm -f cli/target/netvis-cds.jsa
./netvis run bench/workflow.yaml --out "$OUT/warm-up" >/dev/null 2>&1   # builds the jar and the archive; not timed
measure() {  # label, then environment assignments
  local label="$1"; shift
  local dir="$OUT/$label-$RANDOM$RANDOM"
  local t0; t0="$(date +%s.%N)"
  env "$@" ./netvis run bench/workflow.yaml --out "$dir" >/dev/null 2>&1
  local first; first="$(grep -m1 ' - step 0: ' "$dir/run.log" | cut -c1-23)"
  /usr/bin/env python3 -c "
import datetime as d
f = d.datetime.fromisoformat('$first').replace(tzinfo=d.timezone.utc).timestamp()
print('$label', round(f - $t0, 3))"
}
for ((i = 0; i < N; i++)); do
  measure cold NETVIS_CDS=0 NETVIS_ORT_CACHE=0 NETVIS_DIGEST_CACHE=0
  measure netvis NETVIS_CDS=1 NETVIS_ORT_CACHE=1
done | tee "$OUT/times.txt"
/usr/bin/env python3 - "$OUT/times.txt" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    k, v = line.split()
    runs.setdefault(k, []).append(float(v))
for k, v in runs.items():
    print(f"{k:7s} median {statistics.median(v):.3f} s to the first step (min {min(v):.3f}, max {max(v):.3f}, {len(v)} runs)")
print(f"ratio  {statistics.median(runs['netvis']) / statistics.median(runs['cold']):.2f}")
PY
