"""Extension modules only; all metadata lives in pyproject.toml.

Every ``sklearn_plm/**/*.pyx`` file becomes an extension named after its path.
OpenMP is used when the compiler supports it; ``SKLEARN_PLM_NO_OPENMP=1``
forces a serial build (``prange`` then compiles to a plain loop) and
``SKLEARN_PLM_CYTHON_DEBUG=1`` turns bounds checking on. A ``*_avx2.pyx``
file is built with ``-mavx2 -mfma`` on x86_64 with gcc or clang and left out
elsewhere (sklearn_plm/_simd.py then imports the baseline build of the same
kernels). Repeated builds are incremental through Cython's own change tracking
and cache, and through ccache when it is installed (see ``_extensions`` and
``BuildExt``).
"""

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

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


ROOT = Path(__file__).parent


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
    extensions = []
    for pyx in sorted((ROOT / "sklearn_plm").rglob("*.pyx")):
        simd = _simd_flags(pyx)
        if simd is None:
            continue
        rel = pyx.relative_to(ROOT)
        extensions.append(Extension(
            ".".join(rel.with_suffix("").parts),
            [str(rel)],
            include_dirs=[numpy.get_include()],
            extra_compile_args=(["-O3"] + simd + cflags if sys.platform != "win32" else cflags),
            extra_link_args=lflags,
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_9_API_VERSION")],
        ))
    # Cython's own change tracking: a .pyx is translated again when it or a
    # file it includes or cimports is newer than its C file. The debug and the
    # release C files live apart, as the directives differ. Builds in a fresh
    # environment (pip's build isolation installs Cython anew, so its .pxd files
    # look newer) hit Cython's content-addressed cache instead: the key hashes
    # the sources, their dependencies, Cython's version and the directives.
    # relative paths, like the sources: an sdist lists the generated C files
    build = os.path.join("build", "cython-debug" if debug else "cython")
    return cythonize(extensions, compiler_directives=directives, build_dir=build,
                     cache=os.path.join("build", "cython-cache"))


class BuildExt(build_ext):
    """``build_ext`` that compiles through ccache when it is installed, as meson does.

    Each ``pip install -e .`` compiles in a fresh temporary directory, so only a
    compiler cache keyed by the preprocessed source and the flags (ccache's) can
    reuse an earlier build's objects. ``CC`` set by the user is left alone, and
    ``SKLEARN_PLM_NO_CCACHE=1`` turns this off.
    """

    def finalize_options(self):
        super().finalize_options()
        # build_ext's own up-to-date test compares the built extension with its
        # sources' times only: a debug or serial build goes to its own
        # directories, so switching back never takes its files as up to date.
        # (Editable and wheel builds use fresh directories and are left alone.)
        tag = "".join(suffix for name, suffix in (("SKLEARN_PLM_CYTHON_DEBUG", "-debug"),
                                                   ("SKLEARN_PLM_NO_OPENMP", "-serial"))
                      if os.environ.get(name))
        if tag and self.inplace and not getattr(self, "editable_mode", False):
            self.build_lib += tag
            self.build_temp += tag

    def build_extensions(self):
        ccache = shutil.which("ccache")
        if (ccache and self.compiler.compiler_type == "unix" and not os.environ.get("CC")
                and not os.environ.get("SKLEARN_PLM_NO_CCACHE")):
            for attr in ("compiler_so", "compiler", "compiler_cxx"):
                cmd = getattr(self.compiler, attr, None)
                if cmd and os.path.basename(cmd[0]) != "ccache":
                    self.compiler.set_executable(attr, [ccache] + list(cmd))
        super().build_extensions()


setup(ext_modules=_extensions(), cmdclass={"build_ext": BuildExt})
