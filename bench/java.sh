#!/usr/bin/env bash
# Runs one of bench/'s Java programs in the environment the netvis launcher gives netvis
# (cli/environment.sh), with the bench jar's classpath, building it when missing.
# Usage: bench/java.sh ProfileVjp 32 squeezenet1_1
#        NETVIS_JAVA_OPTS="-Dsave=/tmp/graphs" bench/java.sh LayoutReorders squeezenet1_1   (JVM options first)
#        bench/java.sh EngineBench --model squeezenet1_1 --batches 1,8,32
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$HERE/cli/environment.sh"
if [[ $# -lt 1 ]]; then
  echo "usage: bench/java.sh PROGRAM [ARGS...] (a class in org.netvis.bench, e.g. ProfileVjp)" >&2
  exit 2
fi
if [[ ! -f "$HERE/bench/target/netvis-bench.jar" || ! -f "$HERE/bench/target/classpath.txt" ]]; then
  (cd "$HERE" && mvn -q -B -Dstyle.color=never -DskipTests package) >&2
fi
export NETVIS_MODEL_PATH="${NETVIS_MODEL_PATH:-$(cd "$HERE/../shared/models" && pwd)}"
PROGRAM="$1"
shift
exec java "${NETVIS_JVM_OPTIONS[@]}" "${NETVIS_GC_OPTIONS[@]}" ${NETVIS_JAVA_OPTS:-} -Dnetvis.home="$HERE" -cp "$HERE/bench/target/netvis-bench.jar:$(cat "$HERE/bench/target/classpath.txt")" \
  "org.netvis.bench.$PROGRAM" "$@"
