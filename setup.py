"""Extension modules only; all metadata lives in pyproject.toml.

Every ``sklearn_plm/**/*.pyx`` file becomes an extension named after its path.
OpenMP is used when the compiler supports it; ``SKLEARN_PLM_NO_OPENMP=1``
forces a serial build (``prange`` then compiles to a plain loop) and
``SKLEARN_PLM_CYTHON_DEBUG=1`` turns bounds checking on.
"""

import os
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup


def _openmp_flags():
    if os.environ.get("SKLEARN_PLM_NO_OPENMP"):
        return [], []
    if sys.platform == "win32":
        return ["/openmp"], []
    if sys.platform == "darwin":
        flags = (["-Xpreprocessor", "-fopenmp"], ["-lomp"])
    else:
        flags = (["-fopenmp"], ["-fopenmp"])
    # Try-compile so that a compiler without OpenMP still builds serially.
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "omp.c"
        src.write_text("#include <omp.h>\nint main(void){return omp_get_max_threads() < 1;}\n")
        cmd = cc.split() + [str(src), "-o", str(Path(tmp) / "omp")] + flags[0] + flags[1]
        try:
            ok = subprocess.run(cmd, capture_output=True).returncode == 0
        except OSError:
            ok = False
    if not ok:
        print("sklearn_plm: OpenMP not available, building serial kernels", file=sys.stderr)
        return [], []
    return flags


def _extensions():
    cflags, lflags = _openmp_flags()
    root = Path(__file__).parent
    exts = []
    for pyx in sorted((root / "sklearn_plm").rglob("*.pyx")):
        rel = pyx.relative_to(root)
        name = ".".join(rel.with_suffix("").parts)
        exts.append(
            Extension(
                name,
                [str(rel)],
                include_dirs=[numpy.get_include()],
                extra_compile_args=["-O3"] + cflags if sys.platform != "win32" else cflags,
                extra_link_args=lflags,
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_9_API_VERSION")],
            )
        )
    debug = bool(os.environ.get("SKLEARN_PLM_CYTHON_DEBUG"))
    return cythonize(
        exts,
        force=debug,
        compiler_directives={
            "language_level": 3,
            "boundscheck": debug,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": debug,
            "nonecheck": False,
        },
    )


setup(ext_modules=_extensions())
