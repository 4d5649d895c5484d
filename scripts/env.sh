# Sourced by the Makefile and CI: the run-time environment Glimpse is measured and tested with.
# OpenBLAS 0.3.21 does not recognise recent AVX-512 Xeons and falls back to an SSE3 kernel 3-4x
# slower; the core type must be set before the process starts. Other CPUs (AMD Zen here) are detected
# correctly and must not be overridden (a SkylakeX kernel on a CPU without AVX-512 dies of SIGILL). Glimpse owns threading (Dispatch), so
# OpenBLAS stays at one thread (its idle workers otherwise spin for ~100 ms after every call).
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  if grep -q avx512f /proc/cpuinfo 2>/dev/null && grep -q GenuineIntel /proc/cpuinfo 2>/dev/null; then
    export OPENBLAS_CORETYPE=SkylakeX
  fi
fi
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
export GLIMPSE_CACHE="${GLIMPSE_CACHE:-$HOME/.cache/glimpse}"
