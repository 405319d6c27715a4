"""Thread counts: the OpenMP cap of the kernels and the shared BLAS limits.

Every compiled kernel takes its thread count from :func:`effective_n_threads`,
which reads ``n_jobs`` as joblib does (None -> 1 unless in a
:func:`joblib.parallel_config` context, -1 -> all CPUs) and caps it at the
CPUs this process may use, as scikit-learn's ``_openmp_effective_n_threads``
reads them (``joblib.cpu_count``: affinity and cgroup quotas). An ``n_jobs``
of 1000 or ``2**40``, typed or loaded from a file, thus never reaches OpenMP:
libgomp ends the process when it cannot create a thread, and a count beyond
a C ``int`` raises OverflowError at the kernel's call.


BLAS thread pools are process-wide, so two threads that each enter and leave
their own ``threadpoolctl`` limit restore each other's values out of order:
with 8 threads fitting at once, the last one out could leave BLAS at 1
thread for the rest of the process. :func:`limit_blas_threads` keeps one
record of the limits alive in this process instead: the first context to
enter saves the original thread counts, every context sets the smallest
limit still alive, and the last one to leave restores the originals.

Since threadpoolctl 3.6 only one thread at a time may change OpenBLAS's
process-wide pool (the others' calls are silently ignored); the contexts
here change it under their own lock, so each change takes that control and
hands it back.
"""

import functools
import threading
from contextlib import contextmanager

import threadpoolctl
from joblib import cpu_count, effective_n_jobs
from threadpoolctl import ThreadpoolController


@functools.lru_cache(maxsize=1)
def usable_cpus():
    """CPUs this process may run on (affinity and cgroup quotas), at least 1."""
    return max(1, int(cpu_count()))


def effective_n_threads(n_jobs):
    """Threads a compiled kernel runs for ``n_jobs``: joblib's reading, capped at the CPUs.

    ``n_jobs=-1`` (and -2, ...) keeps joblib's meaning; positive counts above
    :func:`usable_cpus` are capped there, since more OpenMP threads than CPUs
    only add switching and, in the thousands, exhaust the process's threads.

    Examples
    --------
    >>> from sklearn_plm._threading import effective_n_threads, usable_cpus
    >>> effective_n_threads(None)
    1
    >>> effective_n_threads(2**40) == effective_n_threads(-1) == usable_cpus()
    True
    """
    return max(1, min(int(effective_n_jobs(n_jobs)), usable_cpus()))


def parallel_workers(n_jobs, n_tasks):
    """The ``n_jobs`` to give :class:`joblib.Parallel` for ``n_tasks`` tasks.

    joblib's thread backend starts all ``n_jobs`` threads at once, so a
    huge ``n_jobs`` is cut to the number of tasks; the backend (threads,
    processes or a Dask cluster) still decides where they run.
    """
    return max(1, min(int(effective_n_jobs(n_jobs)), int(n_tasks)))


@functools.lru_cache(maxsize=1)
def blas_controller():
    # Inspecting the loaded libraries costs ~3 ms; do it once, not per call.
    return ThreadpoolController()


def _release_openblas_control():
    clear = getattr(getattr(threadpoolctl, "OpenBLASController", None),
                    "clear_controlling_thread", None)
    if clear is not None:
        clear(force=True)


class _SharedBlasLimit:
    """Reference-counted BLAS limit of the contexts alive in this process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._limits = []  # one entry per context alive
        self._original = None  # the limiter that saved the thread counts before the first

    def _apply(self):
        _release_openblas_control()
        try:
            if not self._limits:
                self._original.restore_original_limits()
                self._original = None
                return
            limiter = blas_controller().limit(limits=min(self._limits), user_api="blas")
            if self._original is None:
                self._original = limiter
        finally:
            _release_openblas_control()

    @contextmanager
    def limit(self, n_threads):
        with self._lock:
            self._limits.append(max(1, int(n_threads)))
            self._apply()
        try:
            yield
        finally:
            with self._lock:
                self._limits.remove(max(1, int(n_threads)))
                self._apply()


_SHARED_LIMIT = _SharedBlasLimit()


def limit_blas_threads(n_threads):
    """Context capping BLAS at ``n_threads`` threads, safe to enter from any thread.

    While several contexts are alive, the smallest of their limits applies;
    leaving the last one restores the thread counts from before the first.

    Examples
    --------
    >>> from sklearn_plm._threading import limit_blas_threads
    >>> with limit_blas_threads(1):
    ...     pass
    """
    return _SHARED_LIMIT.limit(n_threads)
