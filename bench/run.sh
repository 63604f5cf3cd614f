#!/usr/bin/env bash
# Engine benchmark: forward pass and VJP of SqueezeNet 1.1 per image at batch 1 and 8, on the CPU,
# measured in one run so that the ratios compare like with like on a shared, noisy machine.
# Usage: bench/run.sh [--threads N] [--seconds S]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE"
export NETVIS_MODEL_PATH="${NETVIS_MODEL_PATH:-$HERE/../shared/models}"
mvn -q -B -Dstyle.color=never -DskipTests package -pl bench -am >&2
exec java -Dnetvis.home="$HERE" -cp "bench/target/netvis-bench.jar:$(cat bench/target/classpath.txt)" \
  org.netvis.bench.EngineBench "$@"
