#!/usr/bin/env bash
# Packs what bench/device/run.sh needs on a lent device machine into .device/ (ignored by git, under
# the device tool's 64 MiB transfer limit): a jlink'd Java runtime, netvis' bench and engine jars,
# ONNX Runtime's CPU libraries from the onnxruntime_gpu jar (its CUDA provider alone is 583 MB and
# needs CUDA 12), SqueezeNet, and the fixtures with their large weights emptied (fill.py refills them
# there with random values of the same mean and spread: timing does not depend on the values).
# Usage: bash bench/device/pack.sh [--variant ENGINE_JAR]
#   then, with the device tool: run `bash .device/run.sh` carrying .device (see run.sh for sections).
#   --variant packs another build of netvis-engine (an A/B candidate) into .device/variant/.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$HERE"
SHARED="${NETVIS_SHARED:-$(cd ../shared && pwd)}"
VARIANT=""
if [[ "${1:-}" == "--variant" ]]; then VARIANT="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; fi
if ! /usr/bin/python3 -c "import onnx, numpy" 2>/dev/null; then
  echo "installing python3-onnx and python3-numpy for strip.py..." >&2
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-onnx python3-numpy >&2
fi
mvn -q -B -Dstyle.color=never -DskipTests package >&2
grep -qx '/.device/' .git/info/exclude 2>/dev/null || echo /.device/ >> .git/info/exclude
rm -rf .device && mkdir -p .device/models/squeezenet1_1
STAGE=$(mktemp -d); trap 'rm -rf "$STAGE"' EXIT
jlink --add-modules java.base,java.desktop,java.logging,java.management,java.naming,java.xml,java.sql,jdk.unsupported,jdk.zipfs,java.scripting,jdk.management \
  --strip-debug --no-header-files --no-man-pages --output "$STAGE/jre"
mkdir -p "$STAGE/lib" "$STAGE/native" "$STAGE/ort"
ORT_JAR=""
for j in $(tr ':' '\n' < bench/target/classpath.txt); do
  case "$j" in *onnxruntime*) ORT_JAR="$j" ;; *) cp "$j" "$STAGE/lib/" ;; esac
done
cp bench/target/netvis-bench.jar "$STAGE/lib/"
(cd "$STAGE/ort" && unzip -q "$ORT_JAR" -x 'ai/onnxruntime/native/*' && jar cf "$STAGE/lib/onnxruntime-classes.jar" .)
unzip -q -j "$ORT_JAR" 'ai/onnxruntime/native/linux-x64/libonnxruntime.so' \
  'ai/onnxruntime/native/linux-x64/libonnxruntime4j_jni.so' \
  'ai/onnxruntime/native/linux-x64/libonnxruntime_providers_shared.so' -d "$STAGE/native"
# Uncompressed modules and one xz stream: 36 MB, where jlink's own compression left 48.
(cd "$STAGE" && tar cf - jre native lib) | xz -9e -T0 > .device/bundle.tar.xz
cp bench/device/{run.sh,fill.py,gpu.py,kernels.py} cli/environment.sh .device/
cp models/squeezenet1_1.yaml .device/models/
cp "$SHARED/models/squeezenet1_1/"* .device/models/squeezenet1_1/
chmod -R u+w .device/models
/usr/bin/python3 bench/device/strip.py "$SHARED/models/fixtures" .device/models/fixtures
if [[ -n "$VARIANT" ]]; then mkdir -p .device/variant && cp "$VARIANT" .device/variant/; fi
du -sh .device
