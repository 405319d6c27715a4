"""The BLAS thread limits are safe to enter from many threads at once."""

import threading

import pytest
import threadpoolctl
from threadpoolctl import threadpool_info, threadpool_limits

from sklearn_plm import PseudoLikelihoodMemory

from conftest import random_patterns


def _blas_threads():
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


@pytest.fixture
def two_blas_threads():
    if not _blas_threads():
        pytest.skip("no BLAS library found by threadpoolctl")
    with threadpool_limits(limits=2, user_api="blas"):
        if _blas_threads() != {2}:
            pytest.skip("BLAS cannot run 2 threads here")
        # threadpoolctl >= 3.6 gives OpenBLAS to the first thread that sets
        # it; hand it back so that the threads below compete as in a program
        # whose main thread set no limit
        clear = getattr(getattr(threadpoolctl, "OpenBLASController", None),
                        "clear_controlling_thread", None)
        if clear is not None:
            clear(force=True)
        yield


def test_contexts_left_out_of_order_restore_the_original_limit(two_blas_threads):
    from sklearn_plm._threading import limit_blas_threads

    # A enters, B enters, A leaves, B leaves: per-context save/restore
    # would leave BLAS at B's saved value, 1.
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def a():
        with limit_blas_threads(1):
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b():
        a_in.wait(5)
        with limit_blas_threads(1):
            b_in.set()
            a_out.wait(5)
            seen["inside"] = _blas_threads()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen["inside"] == {1}  # the other context's exit did not lift B's limit
    assert _blas_threads() == {2}


def test_smallest_live_limit_applies_and_nesting_restores(two_blas_threads):
    from sklearn_plm._threading import limit_blas_threads

    with limit_blas_threads(2):
        assert _blas_threads() == {2}
        with limit_blas_threads(1):
            assert _blas_threads() == {1}
        assert _blas_threads() == {2}
    assert _blas_threads() == {2}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_eight_threads_fitting_and_scoring_leave_blas_as_it_was(two_blas_threads):
    X = random_patterns(40, 30, seed=0)
    errors = []

    def work(k):
        try:
            for _ in range(5):
                est = PseudoLikelihoodMemory(max_iter=5, n_jobs=1 + k % 2).fit(X)
                est.score_samples(X)
                est.transform(X)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert _blas_threads() == {2}
