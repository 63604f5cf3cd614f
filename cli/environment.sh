# Sourced by the netvis launcher and bench/java.sh: the environment the JVM must start with, as
# ONNX Runtime and glibc read it once, at process start.

# ONNX Runtime 1.29 collects telemetry when it starts (to upload over HTTPS) and, in doing so, runs regular
# expressions over the command line that overflow a thread's stack on one this long; netvis turns it off
# (OrtEnvironments also creates the environment on a large stack and switches telemetry off after).
export ORT_DISABLE_TELEMETRY="${ORT_DISABLE_TELEMETRY:-1}"
# Transparent huge pages for glibc's malloc (glibc 2.35+, where the kernel's THP mode is madvise or
# always; ignored elsewhere). ONNX Runtime's ScatterElements, the max-pool gradient, copies its indices
# into a fresh std::vector on every run; past glibc's 32 MB mmap ceiling (a gradient batch of 21 or more
# in SqueezeNet's first pool) each copy is mapped anew and faulted in 4 KB pages on one thread: 210 ms
# of a 520 ms VJP at batch 32, 65 ms with huge pages (bench/README.md, forty-seventh session). A value the
# user gives for it wins.
if [[ ":${GLIBC_TUNABLES:-}:" != *:glibc.malloc.hugetlb=* ]]; then
  export GLIBC_TUNABLES="${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.malloc.hugetlb=1"
fi
