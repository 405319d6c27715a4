"""Extension modules only; all metadata lives in pyproject.toml.

Every ``sklearn_plm/**/*.pyx`` file becomes an extension named after its path.
OpenMP is used when the compiler supports it; ``SKLEARN_PLM_NO_OPENMP=1``
forces a serial build (``prange`` then compiles to a plain loop) and
``SKLEARN_PLM_CYTHON_DEBUG=1`` turns bounds checking on. A ``*_avx2.pyx``
file is built with ``-mavx2 -mfma`` on x86_64 with gcc or clang and left out
elsewhere (the package then imports the baseline build of the same kernels).
"""

import json
import os
import shlex
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import Cython
import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


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
        # CPPFLAGS/CFLAGS/LDFLAGS as the real build uses them (e.g. Homebrew's libomp on macOS)
        env = [shlex.split(os.environ.get(name, "")) for name in ("CPPFLAGS", "CFLAGS", "LDFLAGS")]
        cmd = (shlex.split(cc) + env[0] + env[1] + [str(src), "-o", str(Path(tmp) / "omp")]
               + flags[0] + flags[1] + env[2])
        try:
            ok = subprocess.run(cmd, capture_output=True).returncode == 0
        except OSError:
            ok = False
    if not ok:
        print("sklearn_plm: OpenMP not available, building serial kernels", file=sys.stderr)
        return [], []
    return flags


# Repeated builds (each `pip install -e .` runs in a fresh build directory and
# a fresh build environment) reuse what an identical earlier build made: the C
# file of a .pyx when the project's Cython sources are older and Cython and its
# directives are the same, and the in-place extension when its C file is older
# and the compiler flags and numpy's major version are the same. The record of
# those settings is build/sklearn_plm-build.json.
ROOT = Path(__file__).parent
STAMP = ROOT / "build" / "sklearn_plm-build.json"


def _stamp(key):
    try:
        return json.loads(STAMP.read_text()).get(key)
    except (OSError, ValueError):
        return None


def _write_stamp(key, value):
    try:
        record = json.loads(STAMP.read_text())
    except (OSError, ValueError):
        record = {}
    record[key] = value
    STAMP.parent.mkdir(exist_ok=True)
    STAMP.write_text(json.dumps(record, indent=1, sort_keys=True))


def _mtime(path):
    return Path(path).stat().st_mtime


def _simd_flags(pyx):
    """Extra flags of an extension, or None when it is not built on this platform."""
    if not pyx.stem.endswith("_avx2"):
        return []
    # the target's architecture: cibuildwheel's macOS cross builds set
    # _PYTHON_HOST_PLATFORM (read by sysconfig) and ARCHFLAGS
    target = sysconfig.get_platform().lower()
    archs = shlex.split(os.environ.get("ARCHFLAGS", ""))[1::2]
    x86_64 = target.endswith(("x86_64", "amd64")) and all(a == "x86_64" for a in archs)
    if sys.platform == "win32" or not x86_64:
        return None
    return ["-mavx2", "-mfma"]


def _extensions():
    cflags, lflags = _openmp_flags()
    debug = bool(os.environ.get("SKLEARN_PLM_CYTHON_DEBUG"))
    directives = {
        "language_level": 3,
        "boundscheck": debug,
        "wraparound": False,
        "cdivision": True,
        "initializedcheck": debug,
        "nonecheck": False,
    }
    cython_settings = {"cython": Cython.__version__, "directives": directives}
    same_cython = _stamp("cython") == cython_settings
    # a .pyx may cimport any of the project's .pxd files and include any .pxi
    newest_pxd = max((_mtime(p) for pattern in ("*.pxd", "*.pxi")
                      for p in (ROOT / "sklearn_plm").rglob(pattern)), default=0)
    fresh, stale = [], []
    for pyx in sorted((ROOT / "sklearn_plm").rglob("*.pyx")):
        simd = _simd_flags(pyx)
        if simd is None:
            continue
        rel = pyx.relative_to(ROOT)
        c_file = rel.with_suffix(".c")
        up_to_date = (same_cython and (ROOT / c_file).exists()
                      and _mtime(ROOT / c_file) >= max(_mtime(pyx), newest_pxd))
        (fresh if up_to_date else stale).append(
            Extension(
                ".".join(rel.with_suffix("").parts),
                [str(c_file if up_to_date else rel)],
                include_dirs=[numpy.get_include()],
                extra_compile_args=(["-O3"] + simd + cflags if sys.platform != "win32" else cflags),
                extra_link_args=lflags,
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_9_API_VERSION")],
            )
        )
    if stale:
        # forced: Cython's own check also compares with numpy's and Cython's
        # .pxd files, which every fresh build environment installs anew
        stale = cythonize(stale, force=True, compiler_directives=directives)
        _write_stamp("cython", cython_settings)
    return sorted(fresh + stale, key=lambda ext: ext.name)


class BuildExt(build_ext):
    """``build_ext`` that copies an in-place extension an identical build made.

    Only for in-place and editable builds: a wheel (cibuildwheel's manylinux
    container, say) always compiles its own.
    """

    _reuse = False

    def _compile_settings(self):
        env = {name: os.environ.get(name, "") for name in ("CC", "CFLAGS", "CPPFLAGS", "LDFLAGS")}
        return {"numpy": numpy.__version__.split(".")[0], "env": env,
                "cflags": [e.extra_compile_args for e in self.extensions],
                "lflags": [e.extra_link_args for e in self.extensions]}

    def build_extension(self, ext):
        build_py = self.get_finalized_command("build_py")
        inplace_file, regular_file = self._get_inplace_equivalent(build_py, ext)
        if (self._reuse and not self.force and _stamp("compile") == self._compile_settings()
                and os.path.exists(inplace_file)
                and _mtime(inplace_file) >= max(_mtime(src) for src in ext.sources)):
            self.mkpath(os.path.dirname(regular_file))
            self.copy_file(inplace_file, regular_file)
            return
        super().build_extension(ext)

    def run(self):
        # editable installs set inplace too; run() clears it while building
        self._reuse = bool(self.inplace)
        super().run()
        _write_stamp("compile", self._compile_settings())


setup(ext_modules=_extensions(), cmdclass={"build_ext": BuildExt})
