#!/usr/bin/env bash
# Share of each iterative technique's time spent outside ONNX Runtime (netvis' own work: copies,
# the technique's arithmetic, writing its outputs), from the run manifest's per-step figures
# (seconds; onnxruntime_seconds, its runs; onnxruntime_load_seconds, loading the session of a graph
# the step is the first to use). bench/iterative.yaml; the first step (saliency) warms the JVM up.
#
# Two columns: the whole step (outputs included), and the iterations alone. The second runs the
# experiment again with about twice the iterations (fooling at half the learning rate, twice the
# class-visualization iterations, PGD steps and integrated-gradients path points) and takes the
# difference, so what a step writes once (its PNGs, figure and arrays) cancels out and what is left
# is the cost of each further iteration: the per-step copies and arithmetic around ONNX Runtime.
#
# Usage: bench/iterative.sh [ROUNDS] (default 3). Each round runs both experiments, one after the
# other; the figures are medians over the rounds, with their range. The per-iteration figure is a
# difference of two step times and moves most on a busy machine: take it from several rounds.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE"
export NETVIS_MODEL_PATH="${NETVIS_MODEL_PATH:-$(cd "$HERE/../shared/models" && pwd)}"
ROUNDS="${1:-3}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
for round in $(seq 1 "$ROUNDS"); do
  ./netvis run bench/iterative.yaml --out "$OUT/base-$round" >/dev/null 2>&1
  ./netvis run bench/iterative.yaml --out "$OUT/more-$round" \
    --set steps[1].params.learning_rate=0.5 \
    --set steps[2].params.num_iterations=200 \
    --set steps[3].params.steps=40 \
    --set steps[4].params.steps=100 >/dev/null 2>&1
done
/usr/bin/env python3 - "$OUT" "$ROUNDS" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def steps(kind, r):
    return json.load(open(f"{out}/{kind}-{r}/manifest.json"))["steps"][1:]
base = [steps("base", r) for r in range(1, rounds + 1)]
more = [steps("more", r) for r in range(1, rounds + 1)]
def inside(step):  # seconds in ONNX Runtime: its runs and its loading of sessions
    return step["onnxruntime_seconds"] + step.get("onnxruntime_load_seconds", 0)
def summary(values):
    m = statistics.median(values)
    return f"{m:6.1f}% ({min(values):5.1f} to {max(values):5.1f})" if rounds > 1 else f"{m:6.1f}%"
print(f"{rounds} round(s); medians (range)")
print(f"{'technique':22s} {'step':>7s} {'in ORT':>7s}   {'outside, whole step':>26s}   outside per extra iteration")
for t in range(len(base[0])):
    whole = [100 * b[t]["outside_onnxruntime_share"] for b in base]
    marginal = []
    for b, m in zip(base, more):
        extra = m[t]["seconds"] - b[t]["seconds"]
        extra_ort = inside(m[t]) - inside(b[t])
        if extra > 0:
            marginal.append(100 * (extra - extra_ort) / extra)
    seconds = statistics.median(b[t]["seconds"] for b in base)
    ort = statistics.median(inside(b[t]) for b in base)
    print(f"{base[0][t]['technique']:22s} {seconds:6.2f}s {ort:6.2f}s   {summary(whole):>26s}   "
          f"{summary(marginal) if marginal else 'n/a'}")
PY
