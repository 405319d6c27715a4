# Potts kernels built with the compiler's baseline flags (every CPU of the platform).
include "_potts_kernels.pxi"
