"""Run-time choice between the baseline and the AVX2/FMA build of a kernel module.

Every SIMD-sensitive kernel source (``_potts_kernels.pxi``,
``_dynamics_kernels.pxi``) is compiled twice by setup.py: ``<name>.pyx`` with the
compiler's baseline flags and ``<name>_avx2.pyx`` with ``-mavx2 -mfma`` (x86_64
with gcc or clang only). :func:`load` imports the AVX2 build when the CPU has
AVX2 and FMA and the build exists, else the baseline. ``SKLEARN_PLM_NO_SIMD=1``
(read at import) forces the baseline everywhere.
"""

import importlib
import os

#: CPU features the AVX2 builds are compiled for (numpy's names)
SIMD_FEATURES = ("AVX2", "FMA3")


def _cpu_features():
    """numpy's table of the CPU features it detected (empty when unavailable)."""
    for name in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        try:
            return dict(importlib.import_module(name).__cpu_features__)
        except (ImportError, AttributeError):
            continue
    return {}


def select_build(name, cpu_features, environ):
    """Module name to import for the kernels ``name``: ``name + "_avx2"`` or ``name``.

    Examples
    --------
    >>> select_build("_potts_fast", {"AVX2": True, "FMA3": True}, {})
    '_potts_fast_avx2'
    >>> select_build("_potts_fast", {"AVX2": True, "FMA3": True}, {"SKLEARN_PLM_NO_SIMD": "1"})
    '_potts_fast'
    >>> select_build("_dynamics_fast", {"AVX2": True, "FMA3": False}, {})
    '_dynamics_fast'
    """
    if environ.get("SKLEARN_PLM_NO_SIMD", "") not in ("", "0"):
        return name
    if all(cpu_features.get(f, False) for f in SIMD_FEATURES):
        return name + "_avx2"
    return name


def load(name):
    """The build of the kernel module ``name`` (of this package) for this CPU."""
    package = __name__.rpartition(".")[0]
    chosen = select_build(name, _cpu_features(), os.environ)
    try:
        return importlib.import_module(f"{package}.{chosen}")
    except ImportError:
        # the AVX2 build is absent on other platforms and compilers
        return importlib.import_module(f"{package}.{name}")
