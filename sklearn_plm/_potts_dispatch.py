"""The Potts kernels of this CPU: the AVX2/FMA build when it can run, else the baseline.

Both extensions compile the same source (``_potts_kernels.pxi``); the AVX2 one
exists only on x86_64 builds with gcc or clang. ``SKLEARN_PLM_NO_SIMD=1`` (read
at import) forces the baseline build.
"""

import importlib
import os

#: CPU features the AVX2 build is compiled for (numpy's names)
SIMD_FEATURES = ("AVX2", "FMA3")


def _cpu_features():
    """numpy's table of the CPU features it detected (empty when unavailable)."""
    for name in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        try:
            return dict(importlib.import_module(name).__cpu_features__)
        except (ImportError, AttributeError):
            continue
    return {}


def select_kernels(cpu_features, environ):
    """Name of the kernel module to use: ``"_potts_fast_avx2"`` or ``"_potts_fast"``.

    Examples
    --------
    >>> select_kernels({"AVX2": True, "FMA3": True}, {})
    '_potts_fast_avx2'
    >>> select_kernels({"AVX2": True, "FMA3": True}, {"SKLEARN_PLM_NO_SIMD": "1"})
    '_potts_fast'
    >>> select_kernels({"AVX2": True, "FMA3": False}, {})
    '_potts_fast'
    """
    if environ.get("SKLEARN_PLM_NO_SIMD", "") not in ("", "0"):
        return "_potts_fast"
    if all(cpu_features.get(f, False) for f in SIMD_FEATURES):
        return "_potts_fast_avx2"
    return "_potts_fast"


def _load():
    name = select_kernels(_cpu_features(), os.environ)
    try:
        return importlib.import_module(f"{__package__}.{name}")
    except ImportError:
        # the AVX2 build is absent on other platforms and compilers
        return importlib.import_module(f"{__package__}._potts_fast")


#: the kernel module in use (``kernels.__name__`` says which build)
kernels = _load()

potts_async_recall = kernels.potts_async_recall
potts_gather_value_grad = kernels.potts_gather_value_grad
potts_local_fields = kernels.potts_local_fields
potts_log_conditionals = kernels.potts_log_conditionals
potts_residual = kernels.potts_residual
packed_to_rows = kernels.packed_to_rows
rows_to_packed = kernels.rows_to_packed
