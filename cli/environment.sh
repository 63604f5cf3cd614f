# Sourced by the netvis launcher and bench/java.sh: the environment the JVM must start with, as
# ONNX Runtime and glibc read it once, at process start, and the JVM options that go with it
# (NETVIS_JVM_OPTIONS, an array; options in NETVIS_JAVA_OPTS come after it and win), and the collector
# (NETVIS_GC_OPTIONS) for netvis' commands and the benchmarks alike.

# ONNX Runtime 1.29 collects telemetry when it starts (to upload over HTTPS) and, in doing so, runs regular
# expressions over the command line that overflow a thread's stack on one this long; netvis turns it off
# (OrtEnvironments also creates the environment on a large stack and switches telemetry off after).
export ORT_DISABLE_TELEMETRY="${ORT_DISABLE_TELEMETRY:-1}"

# glibc's malloc, for ONNX Runtime's ScatterElements (the max-pool gradient), which copies its indices
# into a fresh std::vector on every run, and for the other large blocks it mallocs per run: without these,
# each such block was mapped anew or given back after the run and faulted in 4 KB at a time on one thread
# the next (in this project's VMs, about 8 us a page: 40 ms of ShuffleNetV2's 45 ms scatter at batch 32).
#   hugetlb=1         transparent huge pages for malloc's mappings and heaps (glibc 2.35+, where the
#                     kernel's THP mode is madvise or always): blocks past the mmap ceiling below, such as
#                     SqueezeNet's 50 MB at batch 32, fault in 2 MB at a time (210 -> 65 ms).
#   mmap_threshold    glibc's largest, 32 MB, and fixed: smaller blocks always come from malloc's heaps
#                     (the default threshold moves with the sizes freed, and a 19 MB block was mapped anew
#                     on some runs and not others).
#   top_pad           a heap keeps 64 MB free at its top when trimmed, so a freed block under the ceiling
#                     stays mapped for the next run instead of going back to the kernel.
# bench/README.md, forty-seventh and forty-eighth sessions. A tunable the caller names keeps its value.
NETVIS_MALLOC_TUNABLES=(glibc.malloc.hugetlb=1 glibc.malloc.mmap_threshold=33554432 glibc.malloc.top_pad=67108864)
for tunable in "${NETVIS_MALLOC_TUNABLES[@]}"; do
  if [[ ":${GLIBC_TUNABLES:-}:" != *":${tunable%%=*}="* ]]; then
    GLIBC_TUNABLES="${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}$tunable"
  fi
done
export GLIBC_TUNABLES
unset NETVIS_MALLOC_TUNABLES tunable

# The JVM's own heap on transparent huge pages where the kernel gives them on request (mode madvise, this
# project's machines) or always: the throughput collector's young collections copy the survivors into
# pages touched for the first time, and at 4 KB a fault (about 8 us each in these VMs) the four
# collections of bench/iterative.yaml paused 220-300 ms in all, 110-150 ms with 2 MB pages; fooling's and
# integrated gradients' time outside ONNX Runtime fell 1-3 points (bench/README.md, forty-ninth session).
# Where the mode is never the option does nothing, and is left out. NETVIS_THP_MODE_FILE names another
# file to read the mode from (tests).
NETVIS_JVM_OPTIONS=()
if grep -qsE '\[(madvise|always)\]' "${NETVIS_THP_MODE_FILE:-/sys/kernel/mm/transparent_hugepage/enabled}"; then
  NETVIS_JVM_OPTIONS+=(-XX:+UseTransparentHugePages)
fi

# The throughput collector: a run is batch work that allocates a few large arrays per step (3 MB
# gradients) and never needs short pauses; G1's young collections cost its iterative steps more
# (bench/README.md, "twelfth session"). Its default goal (1% of the time in collections) grew the young
# generation to 2 GB in feature visualization, whose steps leave tens of MB of dead arrays each; at 5%
# the run's peak RSS fell from 2.4 GB to 0.72 GB at the same speed (bench/README.md, "sixteenth
# session"). The benchmarks take it too: under G1, the JVM's default, every fresh gradient array of a
# batch of 8 (4.8 MB) is a humongous allocation, and EngineBench's SqueezeNet VJP at batch 8 took
# 107-119 ms against 86-87 ms under this collector in alternating runs (bench/README.md, fifty-third
# session). A collector named in NETVIS_JAVA_OPTS replaces both.
NETVIS_GC_OPTIONS=(-XX:+UseParallelGC -XX:GCTimeRatio=19)
if [[ "${NETVIS_JAVA_OPTS:-}" =~ -XX:\+Use[A-Za-z0-9]*GC ]]; then
  NETVIS_GC_OPTIONS=()
fi
