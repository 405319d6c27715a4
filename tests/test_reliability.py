"""Interrupts, numerical robustness and determinism."""

import _thread
import threading
import time
import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sklearn_plm import HopfieldMemory, PseudoLikelihoodMemory

from conftest import flip, random_patterns


@contextmanager
def _interrupt_after(seconds):
    """Ctrl-C in the main thread after ``seconds``; never fires after the block."""
    timer = threading.Timer(seconds, _thread.interrupt_main)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _long_problem(seed):
    # Above capacity (P = 3N) no pattern set is separable: L-BFGS needs
    # hundreds of iterations, seconds of work, to reach tol=0.
    return random_patterns(900, 300, seed=seed)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_ctrl_c_during_fit_stops_promptly_and_keeps_previous_state(n_jobs):
    X_small = random_patterns(20, 40, seed=0)
    est = PseudoLikelihoodMemory(alpha=0.0, tol=0.0, max_iter=5, n_jobs=n_jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X_small)
    before = est.coupling_.copy()
    est.set_params(max_iter=10**6)
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt), _interrupt_after(0.3):
        est.fit(_long_problem(1))
    assert time.perf_counter() - t0 < 5.0
    assert_array_equal(est.coupling_, before)
    assert est.n_features_in_ == 40
    # worker threads noticed the abort flag and finished
    time.sleep(0.5)
    assert threading.active_count() <= 2


def test_ctrl_c_during_recall_in_threads_stops_promptly():
    # above capacity nothing converges: a million steps of 2000 probes
    X = random_patterns(600, 200, seed=3)
    est = PseudoLikelihoodMemory(max_iter=20, n_jobs=2, max_recall_iter=10**6).fit(X)
    probes = flip(np.repeat(X, 4, axis=0)[:2000], 0.3, seed=4)
    n_before = threading.active_count()
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt), _interrupt_after(0.3):
        est.transform(probes)
    assert time.perf_counter() - t0 < 5.0
    time.sleep(0.5)
    assert threading.active_count() <= n_before


def test_aborted_recall_threads_stop_at_their_next_step_or_chunk():
    from sklearn_plm._dynamics import async_recall
    from sklearn_plm._recall import RecallInterrupted, run_async_kernel, sync_recall

    S = np.ones((4, 8))
    JT = np.eye(8)
    abort = threading.Event()
    abort.set()
    with pytest.raises(RecallInterrupted):
        sync_recall(S.copy(), np.ones(S.shape, bool), JT, np.zeros(8), 10, abort=abort)
    with pytest.raises(RecallInterrupted):
        run_async_kernel(async_recall, S.copy(), S @ JT, JT, np.ones(S.shape, bool), 10, 1, 1,
                         abort)


def test_ctrl_c_during_unfitted_fit_leaves_estimator_unfitted():
    est = PseudoLikelihoodMemory(solver="gd", alpha=0.0, tol=0.0, max_iter=10**7)
    with pytest.raises(KeyboardInterrupt), _interrupt_after(0.3):
        est.fit(_long_problem(2))
    assert not hasattr(est, "coupling_")


@pytest.mark.parametrize("beta", [1.0, 1e3])
def test_separable_data_with_no_penalty_stays_finite_and_warns_once(beta):
    X = random_patterns(20, 60, seed=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = PseudoLikelihoodMemory(alpha=0.0, beta=beta, max_iter=300, tol=0.0).fit(X)
        scores = est.score_samples(X)
    assert np.all(np.isfinite(est.coupling_)) and np.all(np.isfinite(scores))
    assert np.all(est.transform(X) == X)
    kinds = [w.category.__name__ for w in caught]
    assert all(k == "ConvergenceWarning" for k in kinds) and len(kinds) <= 1
    err = np.geterr()
    with np.errstate(all="raise"):
        est.score_samples(flip(X, 0.3))
    assert np.geterr() == err


def test_huge_beta_score_is_finite():
    X = random_patterns(10, 30, seed=4)
    est = PseudoLikelihoodMemory(beta=1e8).fit(X)
    s = est.score_samples(flip(X, 0.4))
    assert np.all(np.isfinite(s)) and np.all(s <= 0)


@pytest.mark.parametrize("Est, kw", [(PseudoLikelihoodMemory, {"recall": "async"}),
                                     (HopfieldMemory, {"recall": "async"})])
def test_same_random_state_gives_identical_async_recall_for_any_n_jobs(Est, kw):
    X = random_patterns(30, 80, seed=5)
    noisy = flip(X, 0.25, seed=6)
    outs = [Est(random_state=7, n_jobs=n, **kw).fit(X).transform(noisy) for n in (1, 2)]
    assert_array_equal(outs[0], outs[1])
    other = Est(random_state=8, **kw).fit(X).transform(noisy)
    assert other.shape == outs[0].shape


@pytest.mark.parametrize("shape", [(50, 100), (300, 300)])
def test_same_random_state_bit_identical_couplings_for_n_jobs_symmetric_and_gd(shape):
    # N=300 is one block whose products two BLAS threads used to round differently
    X = random_patterns(*shape, seed=9)
    for kw in [dict(symmetric=True, max_iter=40), dict(solver="gd", max_iter=30)]:
        a = PseudoLikelihoodMemory(n_jobs=1, **kw).fit(X).coupling_
        b = PseudoLikelihoodMemory(n_jobs=2, **kw).fit(X).coupling_
        assert_array_equal(a, b)
