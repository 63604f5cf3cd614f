#!/usr/bin/env bash
# One device call (after bench/device/pack.sh): netvis' engine on the device's CPU cores (ONNX Runtime
# 1.29 Java, CPU provider), and what the device offers for CUDA. Run from the repository root there:
#   bash .device/run.sh [seconds per measurement] [sections]
# sections (default: all but ab and profiles): probe engine threads profile fixtures kernels gpu ab profiles
#   hugepages: EngineBench and ProfileVjp for SqueezeNet at batch 32 with glibc's malloc at its defaults
#              (huge pages off), against the launcher's environment (cli/environment.sh) that every other section runs in.
#   profiles: ProfileVjp at batch 32 for every fixture (profile: SqueezeNet and ResNet-18 only, and
#             PoolWinners at batch 8 and 32).
#   ab: EngineBench of the packed engine against the one in .device/variant/ (pack.sh --variant JAR),
#       alternating, for SqueezeNet and ResNet-18 (each keeps its own graph cache), then ProfileVjp 32 of each.
S=${1:-2}
shift || true
SECTIONS=" ${*:-probe engine threads profile fixtures kernels gpu} "
D=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/device-out}; mkdir -p "$OUT"
exec > >(tee "$OUT/log.txt") 2>&1
t0=$(date +%s)
stamp() { echo "== [$(( $(date +%s) - t0 )) s] $*"; }
on() { [[ "$SECTIONS" == *" $1 "* ]]; }
if on probe; then
  stamp probe; nproc; grep -m1 'model name' /proc/cpuinfo; nvidia-smi -L 2>&1 | head -2
  (ldconfig -p; find / -xdev \( -name 'libcudart.so.1[23]*' -o -name 'libcublasLt.so.1[23]*' \) 2>/dev/null) \
    | grep -E 'cudart|cublasLt' | sort -u | head -12
  python3 -c "import onnxruntime as o; print('python onnxruntime', o.__version__, o.get_available_providers())" 2>&1
  ldd --version | head -1; cat /sys/kernel/mm/transparent_hugepage/enabled
fi
stamp unpack; cd "$D"; if [ ! -x jre/bin/java ]; then xz -dc bundle.tar.xz | tar xf -; fi
python3 fill.py models/fixtures > /dev/null && ls models/fixtures/*.onnx | wc -l
export NETVIS_MODEL_PATH=$D/models NETVIS_CACHE=$D/cache
# The launcher's environment (telemetry off, glibc's malloc tunables), as netvis runs.
source "$D/environment.sh"; echo "GLIBC_TUNABLES=$GLIBC_TUNABLES"
J=(jre/bin/java "${NETVIS_JVM_OPTIONS[@]}" "${NETVIS_GC_OPTIONS[@]}" -Donnxruntime.native.path=$D/native -Dnetvis.home=$D -cp "$D/lib/*")
B=("${J[@]}" org.netvis.bench.EngineBench --seconds $S)
R=models/fixtures/resnet18-random.onnx
if on engine; then
  stamp squeezenet; "${B[@]}" --batches 1,8,32
  stamp squeezenet whole batch; NETVIS_GRADIENT_BATCH=0 "${B[@]}" --batches 8,32
  stamp resnet18; "${B[@]}" --model $R --batches 1,8,32
  stamp resnet18 whole batch; NETVIS_GRADIENT_BATCH=0 "${B[@]}" --model $R --batches 32
fi
if on ab && [ -d variant ]; then
  VJ=(jre/bin/java "${NETVIS_JVM_OPTIONS[@]}" "${NETVIS_GC_OPTIONS[@]}" -Donnxruntime.native.path=$D/native -Dnetvis.home=$D -cp "$D/variant/*:$D/lib/*")
  V=("${VJ[@]}" org.netvis.bench.EngineBench --seconds $S)
  for round in 1 2; do for m in squeezenet1_1 $R; do
    stamp "ab round $round $m: packed"; NETVIS_CACHE=$D/cache "${B[@]}" --model $m --batches 1,8,32 | tail -3
    stamp "ab round $round $m: variant"; NETVIS_CACHE=$D/cache-variant "${V[@]}" --model $m --batches 1,8,32 | tail -3
  done; done
  for m in squeezenet1_1 $R; do
    stamp "ab profile 32 $m: packed"; "${J[@]}" -Dnodes=3 org.netvis.bench.ProfileVjp 32 $m | grep -E -A4 'kernel time per run|outside parallel'
    stamp "ab profile 32 $m: variant"; "${VJ[@]}" -Dnodes=3 org.netvis.bench.ProfileVjp 32 $m | grep -E -A4 'kernel time per run|outside parallel'
  done
fi
if on hugepages; then
  for round in 1 2; do
    stamp "hugepages round $round: off"; GLIBC_TUNABLES=glibc.malloc.hugetlb=0 "${B[@]}" --batches 32 | tail -1
    stamp "hugepages round $round: on"; "${B[@]}" --batches 32 | tail -1
  done
  stamp "squeezenet profile 32, huge pages off"
  GLIBC_TUNABLES=glibc.malloc.hugetlb=0 "${J[@]}" -Dnodes=4 org.netvis.bench.ProfileVjp 32 squeezenet1_1 | grep -E -A5 'kernel time per run|outside parallel'
fi
if on threads; then
  for t in 1 4 8; do stamp "squeezenet threads $t"; "${B[@]}" --threads $t --batches 32 | tail -1; done
fi
if on profile; then
  stamp "squeezenet profile 32"; "${J[@]}" -Dnodes=8 org.netvis.bench.ProfileVjp 32 squeezenet1_1
  stamp "resnet18 profile 32"; "${J[@]}" -Dnodes=8 org.netvis.bench.ProfileVjp 32 $R
  # Max-pool winners from plain pools, slower on 2 cores only for memory bandwidth (bench/README.md,
  # twenty-fifth session): whether more cores change that.
  for b in 8 32; do stamp "pool winners $b"; "${J[@]}" org.netvis.bench.PoolWinners $b | head -2; done
fi
if on profiles; then
  for m in models/fixtures/*.onnx; do case $m in *resnet18*|*.vjp*) continue;; esac
    stamp "$m profile 32"; "${J[@]}" -Dnodes=3 org.netvis.bench.ProfileVjp 32 $m | grep -A4 'outside parallel'; done
fi
if on fixtures; then
  for m in models/fixtures/*.onnx; do case $m in *resnet18*|*.vjp*) continue;; esac
    stamp "$m"; "${B[@]}" --model $m --batches 1,32 | tail -2; done
fi
if on kernels; then stamp "kernels, 16 threads"; python3 kernels.py 16; fi
if on gpu; then
  stamp gpu; python3 gpu.py "$D/models" 2> "$OUT/gpu_stderr.txt"
  grep -E '###|Node placements|placed on|Number of nodes|not assigned|rror' "$OUT/gpu_stderr.txt" | head -60
  gzip -f "$OUT/gpu_stderr.txt"
fi
stamp done
