# Binary recall kernels built with -mavx2 -mfma (setup.py; x86_64 gcc/clang only). Imported
# only when the CPU has AVX2 and FMA (sklearn_plm/_simd.py).
include "_dynamics_kernels.pxi"
