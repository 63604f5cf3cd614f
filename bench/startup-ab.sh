#!/usr/bin/env bash
# Process start to the first step of bench/workflow.yaml for two checkouts, alternating A and B, N starts
# each (default 8), each through its own ./netvis with its own class-data sharing archive; medians.
# "run->step0" is the time between the run's first log line and its first step's, "start->run" the rest.
# For an A/B of a change: `git worktree add /tmp/old <commit>`, build it with `mvn -o package -DskipTests`
# (package, not install, so that the local repository keeps this checkout's jars), then
#   bash bench/startup-ab.sh 12 /tmp/old .
# The worktree needs ../shared beside it as this checkout has (a link will do).
set -euo pipefail
N="${1:-8}"
A="$(cd "${2:?checkout A}" && pwd)"
B="$(cd "${3:?checkout B}" && pwd)"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
for dir in "$A" "$B"; do   # builds each archive; not timed
  (cd "$dir" && rm -f cli/target/netvis-cds.jsa && ./netvis run bench/workflow.yaml --out "$OUT/warm-$RANDOM" >/dev/null 2>&1)
done
for ((i = 0; i < N; i++)); do
  for label in A B; do
    dir="$A"; [[ "$label" == B ]] && dir="$B"
    run="$OUT/$label-$i"
    t0="$(date +%s.%N)"
    (cd "$dir" && ./netvis run bench/workflow.yaml --out "$run" >/dev/null 2>&1)
    /usr/bin/env python3 - "$label" "$t0" "$run/run.log" <<'PY'
import datetime, sys
label, t0, log = sys.argv[1], float(sys.argv[2]), open(sys.argv[3]).read().splitlines()
stamp = lambda marker: next(datetime.datetime.fromisoformat(l[:23]).replace(tzinfo=datetime.timezone.utc).timestamp()
                            for l in log if marker in l)
run, step = stamp(' - run '), stamp(' - step 0: ')
print(label, round(step - t0, 3), round(step - run, 3), round(run - t0, 3))
PY
  done
done > "$OUT/times.txt"
/usr/bin/env python3 - "$OUT/times.txt" "$A" "$B" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    label, *values = line.split()
    runs.setdefault(label, []).append([float(v) for v in values])
for label, path in (("A", sys.argv[2]), ("B", sys.argv[3])):
    rows = runs[label]
    cells = []
    for j, name in enumerate(("total", "run->step0", "start->run")):
        x = [r[j] for r in rows]
        cells.append(f"{name} {statistics.median(x):.3f}" + (f" ({min(x):.3f}-{max(x):.3f})" if j == 0 else ""))
    print(f"{label} {path}: " + ", ".join(cells) + f" s, median of {len(rows)}")
PY
