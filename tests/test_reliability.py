"""Interrupts, numerical robustness and determinism."""

import _thread
import signal
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
def _python_sigint():
    """Python's SIGINT handler for the block, the previous one restored after.

    A real or simulated Ctrl-C (``interrupt_main``) raises KeyboardInterrupt
    only under Python's handler, and Python does not install it when it
    inherits SIGINT ignored, as a job started in the background by a
    non-interactive shell does (``(pytest &)``, ``nohup``): the tests install
    it, as an interactive session has it.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def _interrupt_after(seconds):
    """Ctrl-C in the main thread after ``seconds``; never fires after the block."""
    timer = threading.Timer(seconds, _thread.interrupt_main)
    with _python_sigint():
        timer.start()
        try:
            yield
        finally:
            timer.cancel()


def _long_problem(seed):
    # Above capacity (P = 3N) no pattern set is separable: L-BFGS needs
    # hundreds of iterations, seconds of work, to reach tol=0.
    return random_patterns(900, 300, seed=seed)


@pytest.mark.slow
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_ctrl_c_during_fit_stops_promptly_and_keeps_previous_state(n_jobs):
    X_small = random_patterns(20, 40, seed=0)
    est = PseudoLikelihoodMemory(alpha=0.0, tol=0.0, max_iter=5, n_jobs=n_jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X_small)
    before = est.coupling_.copy()
    est.set_params(max_iter=10**6)
    # threads other tests left (e.g. a reusable process pool's managers) are not the fit's
    n_before = threading.active_count()
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt), _interrupt_after(0.3):
        est.fit(_long_problem(1))
    assert time.perf_counter() - t0 < 5.0
    assert_array_equal(est.coupling_, before)
    assert est.n_features_in_ == 40
    # worker threads noticed the abort flag and finished
    time.sleep(0.5)
    assert threading.active_count() <= n_before


@pytest.mark.slow
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
    from sklearn_plm._dynamics_dispatch import async_recall
    from sklearn_plm._recall._zero_temperature import (RecallInterrupted, run_async_kernel,
                                                       sync_recall)

    S = np.ones((4, 8))
    JT = np.eye(8)
    abort = threading.Event()
    abort.set()
    with pytest.raises(RecallInterrupted):
        sync_recall(S.copy(), np.ones(S.shape, bool), JT, np.zeros(8), 10, abort=abort)
    with pytest.raises(RecallInterrupted):
        run_async_kernel(async_recall, S.copy(), S @ JT, JT, np.ones(S.shape, bool), 10, 1, 1,
                         abort)


@pytest.mark.slow
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


def _assert_partial_fit_state_consistent(est):
    state = est._adam
    n = est.n_features_in_
    assert est.n_iter_ == state.t
    J = state.coef[:, :n].copy()
    np.fill_diagonal(J, 0.0)
    assert_array_equal(est.coupling_, J.astype(est.coupling_.dtype))


def test_partial_fit_failing_after_the_step_leaves_the_previous_state(monkeypatch):
    import copy

    X = random_patterns(60, 20, seed=10)
    est = PseudoLikelihoodMemory(verbose=1)
    monkeypatch.setattr("builtins.print", lambda *a, **k: None)
    est.partial_fit(X[:30])
    before = copy.deepcopy(est.__dict__)

    def fail(*args, **kwargs):  # the verbose line comes right after the Adam step
        raise KeyboardInterrupt

    monkeypatch.setattr("builtins.print", fail)
    with pytest.raises(KeyboardInterrupt):
        est.partial_fit(X[30:])
    monkeypatch.setattr("builtins.print", lambda *a, **k: None)
    assert est.n_iter_ == before["n_iter_"] == est._adam.t == 1
    for name in ("coef", "m", "v"):
        assert_array_equal(getattr(est._adam, name), getattr(before["_adam"], name))
    assert_array_equal(est.coupling_, before["coupling_"])
    # resuming gives exactly what an uninterrupted stream gives
    est.partial_fit(X[30:])
    reference = PseudoLikelihoodMemory().partial_fit(X[:30]).partial_fit(X[30:])
    assert_array_equal(est.coupling_, reference.coupling_)


@pytest.mark.slow
def test_partial_fit_interrupted_at_random_times_stays_consistent():
    X = random_patterns(200, 300, seed=11)
    est = PseudoLikelihoodMemory(symmetric=True).partial_fit(X[:50])
    rng = np.random.default_rng(0)
    for _ in range(8):
        try:
            with _interrupt_after(rng.uniform(0.0, 0.05)):
                est.partial_fit(X[50:])
                time.sleep(0.2)  # a late interrupt lands here, not in the checks
        except KeyboardInterrupt:
            pass
        _assert_partial_fit_state_consistent(est)


@pytest.mark.slow
def test_ctrl_c_during_a_long_storkey_fit_stops_promptly():
    # 2000 patterns of 1500 sites: seconds of compiled work in one call before
    # the rule ran in chunks
    X = random_patterns(2000, 1500, seed=12)
    est = HopfieldMemory(rule="storkey").fit(X[:5, :40])
    before = est.coupling_.copy()
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt), _interrupt_after(0.3):
        est.fit(X)
    assert time.perf_counter() - t0 < 1.5
    assert_array_equal(est.coupling_, before)


@pytest.mark.slow
def test_ctrl_c_during_sequence_weighting_stops_within_a_second():
    import os

    from sklearn_plm.datasets import sequence_weights

    # 30000 x 100 codes took 14 s in one compiled call; the pairs grow as n^2
    codes = np.random.default_rng(13).integers(0, 21, size=(30000, 100))
    sent = []

    def ctrl_c():
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(0.3, ctrl_c)
    with _python_sigint():
        timer.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                sequence_weights(codes, n_jobs=2)
        finally:
            timer.cancel()
    assert sent and time.perf_counter() - sent[0] < 1.0


def test_sequence_weights_in_slices_of_rows_match_a_reference(monkeypatch):
    from sklearn_plm.datasets import _alignment, sequence_weights

    rng = np.random.default_rng(14)
    codes = rng.integers(0, 3, size=(57, 9))
    codes[20:30] = codes[0]  # a cluster of identical sequences
    identical = (codes[:, None, :] == codes[None, :, :]).sum(axis=2)
    expected = 1.0 / (identical >= np.ceil(0.7 * 9)).sum(axis=1)
    monkeypatch.setattr(_alignment, "_WEIGHT_CHUNK_COMPARISONS", 9 * 57 * 4)  # 4 rows a slice
    assert_array_equal(sequence_weights(codes, identity=0.7, n_jobs=2), expected)
