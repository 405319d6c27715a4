"""The Potts kernels of this CPU (``_potts_kernels.pxi``, built twice; see ``_simd.py``)."""

from ._simd import load

#: the kernel module in use (``kernels.__name__`` says which build)
kernels = load("_potts_fast")

potts_async_recall = kernels.potts_async_recall
potts_gather_value_grad = kernels.potts_gather_value_grad
potts_local_fields = kernels.potts_local_fields
potts_log_conditionals = kernels.potts_log_conditionals
potts_residual = kernels.potts_residual
packed_to_rows = kernels.packed_to_rows
rows_to_packed = kernels.rows_to_packed
