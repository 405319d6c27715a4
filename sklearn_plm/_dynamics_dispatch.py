"""The binary recall kernels of this CPU (``_dynamics_kernels.pxi``, built twice; see ``_simd.py``)."""

from ._simd import load

#: the kernel module in use (``kernels.__name__`` says which build)
kernels = load("_dynamics_fast")

async_recall = kernels.async_recall
sync_step = kernels.sync_step
column_sumsq = kernels.column_sumsq
