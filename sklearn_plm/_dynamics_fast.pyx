# Binary recall kernels built with the compiler's baseline flags (every CPU of the platform).
include "_dynamics_kernels.pxi"
