"""One cached controller of the BLAS thread pools, shared by the estimators and recall."""

import functools

from threadpoolctl import ThreadpoolController


@functools.lru_cache(maxsize=1)
def blas_controller():
    # Inspecting the loaded libraries costs ~3 ms; do it once, not per call.
    return ThreadpoolController()
