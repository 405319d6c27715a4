"""plmc's parameter and couplings files, against files written by plmc itself.

The fixtures in tests/data/plmc come from tests/data/make_plmc_fixtures.py
(plmc built with ``make all-openmp``, float64).
"""

import io
from pathlib import Path

import numpy as np
import pytest
from scipy.special import logsumexp

from sklearn_plm import (
    PottsPseudoLikelihoodMemory,
    plmc_objective,
    read_plmc_couplings,
    read_plmc_params,
    write_plmc_couplings,
    write_plmc_params,
)
from sklearn_plm.datasets import PROTEIN_ALPHABET, read_alignment, sequence_weights

DATA = Path(__file__).parent / "data" / "plmc"
RUNS = {"focus": "state", "gap": "missing", "group": "state"}


def plmc_final_fx(name):
    """The objective plmc printed at its last iteration (``%.1f``)."""
    rows = [line.split("\t") for line in (DATA / f"{name}.log").read_text().splitlines()]
    return float([r for r in rows if len(r) == 7 and r[0].isdigit()][-1][3])


def alignment(name):
    ali = read_alignment(DATA / "ali.fa", focus="FOCUS", gaps=RUNS[name], ambiguous="drop",
                         as_bunch=True)
    return ali, sequence_weights(ali.data, identity=0.8)


def reference_plmc_objective(X, w, h, e, le, lh, lg):
    """plmc's PLMNegLogPosterior(GapReduce) written out with numpy loops over sites.

    ``e[i, j, a, b]`` for all ordered pairs (symmetric), NaN entries of X are gaps
    left out of the model.
    """
    n, N = X.shape
    known = ~np.isnan(X)
    codes = np.where(known, X, 0).astype(int)
    fx = 0.0
    for i in range(N):
        H = np.tile(h[i], (n, 1))
        for j in range(N):
            if j != i:
                H += np.where(known[:, j, None], e[i, j][:, codes[:, j]].T, 0.0)
        nll = logsumexp(H, axis=1) - H[np.arange(n), codes[:, i]]
        fx += np.sum(np.where(known[:, i], w * nll, 0.0))
    iu = np.triu_indices(N, 1)
    pair_sq = np.sum(e[iu] ** 2, axis=(1, 2))
    return fx + lh * np.sum(h**2) + le * pair_sq.sum() + lg * np.sum(np.sqrt(1e-3 + pair_sq))


@pytest.mark.parametrize("name", RUNS)
def test_read_plmc_params(name, tmp_path):
    model, info = read_plmc_params(DATA / f"{name}.params", return_info=True)
    ali, w = alignment(name)
    N = ali.data.shape[1]
    q = 20 if name == "gap" else 21
    assert model.coupling_.shape == (N, N, q, q) and model.n_states_ == q
    assert info.alphabet == (PROTEIN_ALPHABET[1:] if name == "gap" else PROTEIN_ALPHABET)
    assert info.alphabet == ali.alphabet
    # plmc's focus columns, numbering and weights are the reader's
    np.testing.assert_array_equal(info.positions, ali.positions)
    assert info.focus_sequence == ali.focus_sequence
    np.testing.assert_allclose(1.0 / info.n_neighbors, w, rtol=1e-6)
    assert info.n_eff == pytest.approx(w.sum(), rel=1e-6)
    assert (info.lambda_e, info.lambda_h) == (2.0, pytest.approx(0.01))
    assert info.lambda_g == (5.0 if name == "group" else 0.0)
    np.testing.assert_array_equal(model.coupling_, model.coupling_.transpose(1, 0, 3, 2))
    # the marginals the writer computes are plmc's
    path = tmp_path / "model.params"
    write_plmc_params(model, path, ali.data, sample_weight=w, alphabet=info.alphabet,
                      focus_sequence=ali.focus_sequence, positions=ali.positions)
    back, info2 = read_plmc_params(path, return_info=True)
    np.testing.assert_allclose(info2.fi, info.fi, atol=1e-6)
    np.testing.assert_allclose(info2.fij, info.fij, atol=1e-6)
    np.testing.assert_array_equal(back.coupling_, model.coupling_)
    np.testing.assert_array_equal(back.fields_, model.fields_)
    for key in ("alphabet", "focus_sequence", "n_sequences", "lambda_e", "lambda_h", "lambda_g"):
        assert info2[key] == info[key], key
    np.testing.assert_array_equal(info2.positions, info.positions)
    np.testing.assert_allclose(info2.n_neighbors, info.n_neighbors, rtol=1e-6)


@pytest.mark.parametrize("name", RUNS)
def test_objective_of_plmc_model_is_plmc_objective(name):
    model, info = read_plmc_params(DATA / f"{name}.params", return_info=True)
    ali, w = alignment(name)
    fx = plmc_objective(model, ali.data, w)
    # plmc prints fx with one decimal; its parameters were rounded to float32
    assert fx == pytest.approx(plmc_final_fx(name), abs=0.06)
    X = ali.data.astype(float)
    ref = reference_plmc_objective(X, w, model.fields_, model.coupling_, info.lambda_e,
                                   info.lambda_h, info.lambda_g)
    assert fx == pytest.approx(ref, rel=1e-12)


@pytest.mark.parametrize("name", RUNS)
def test_library_fit_reaches_plmc_optimum(name):
    plmc_model = read_plmc_params(DATA / f"{name}.params")
    ali, w = alignment(name)
    model = PottsPseudoLikelihoodMemory(
        symmetric=True, penalty_scale="sum", alpha=2.0, alpha_fields=0.01,
        alpha_group=5.0 if name == "group" else 0.0, n_states=plmc_model.n_states_,
        tol=1e-6, max_iter=2000).fit(ali.data, sample_weight=w)
    fx = model.loss_ * w.sum()
    assert fx == pytest.approx(plmc_objective(model, ali.data, w), rel=1e-9)
    assert fx <= plmc_final_fx(name) + 0.05
    assert fx == pytest.approx(plmc_final_fx(name), abs=0.1)
    np.testing.assert_allclose(model.coupling_, plmc_model.coupling_, atol=2e-3)
    # fields of unseen states sit in flat directions (lh = 0.01) where plmc stops
    # earlier; the conditionals of the sequences agree
    np.testing.assert_allclose(model.fields_, plmc_model.fields_, atol=0.05)
    np.testing.assert_allclose(model.score_samples(ali.data),
                               plmc_model.score_samples(ali.data), atol=5e-3)


@pytest.mark.parametrize("name", RUNS)
def test_couplings_file_matches_plmc(name, tmp_path):
    model = read_plmc_params(DATA / f"{name}.params")
    ali, _ = alignment(name)
    expected = read_plmc_couplings(DATA / f"{name}.couplings")
    scores = write_plmc_couplings(model, tmp_path / "c.txt", positions=ali.positions,
                                  focus_sequence=ali.focus_sequence)
    ours = read_plmc_couplings(tmp_path / "c.txt")
    for key in ("i", "focus_i", "j", "focus_j"):
        np.testing.assert_array_equal(ours[key], expected[key])
    np.testing.assert_allclose(ours.score, expected.score, atol=2e-6)
    # the zero-sum gauge of contact_map differs from plmc's only by the field penalty
    zero_sum = model.contact_map(apc=True)
    iu = np.triu_indices(len(scores), 1)
    np.testing.assert_allclose(zero_sum[iu], expected.score, atol=0.02)
    assert np.corrcoef(zero_sum[iu], expected.score)[0, 1] > 0.999


def test_couplings_without_focus_and_errors(tmp_path):
    X = np.random.default_rng(0).integers(0, 3, size=(60, 4))
    model = PottsPseudoLikelihoodMemory(symmetric=True).fit(X)
    out = io.StringIO()
    write_plmc_couplings(model, out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 6 and lines[0].startswith("1 - 2 - 0 ")
    with pytest.raises(ValueError, match="positions must hold 4"):
        write_plmc_couplings(model, out, positions=[1, 2])
    with pytest.raises(ValueError, match="alphabet must have n_states_=3"):
        write_plmc_params(model, tmp_path / "m", X, alphabet="AB")
    with pytest.raises(ValueError, match="Pass the alphabet"):
        write_plmc_params(model, tmp_path / "m", X)
    bad = tmp_path / "bad.params"
    bad.write_bytes(b"\x01\x00")
    with pytest.raises(ValueError, match="not a complete plmc parameter file"):
        read_plmc_params(bad)
    bad.write_bytes((DATA / "focus.params").read_bytes() + b"\x00")
    with pytest.raises(ValueError, match="its header .* implies"):
        read_plmc_params(bad)
    bad.write_bytes(np.array([-3, 21, 1, 0, 0], dtype="<i4").tobytes())
    with pytest.raises(ValueError, match="not a plmc parameter file"):
        read_plmc_params(bad)
    (tmp_path / "c.txt").write_text("1 A 2\n")
    with pytest.raises(ValueError, match="Line 1"):
        read_plmc_couplings(tmp_path / "c.txt")


def test_params_file_is_written_in_memory_of_the_alignments_order(rng, tmp_path):
    # pair frequencies and coupling blocks are written one site at a time: the
    # writer never holds the (n, N q) one-hot encoding nor an N^2 q^2 array
    import tracemalloc
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    n, N, q = 2000, 40, 21
    X = rng.integers(0, q, size=(n, N)).astype(float)
    X[rng.random(X.shape) < 0.05] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = PottsPseudoLikelihoodMemory(1.0, n_states=q, symmetric=True, max_iter=1).fit(X)
    onehot_bytes = n * N * q * 8
    tracemalloc.start()
    try:
        write_plmc_params(model, tmp_path / "m.params", X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the alignment as float64 and its codes, plus one site's pairs (~n N 17 bytes)
    assert peak < 0.5 * onehot_bytes, peak / onehot_bytes
    back, info = read_plmc_params(tmp_path / "m.params", return_info=True)
    codes = np.where(np.isnan(X), -1, X).astype(int)
    both = (codes[:, 2] >= 0) & (codes[:, 7] >= 0)
    expected = np.zeros((q, q))
    np.add.at(expected, (codes[both, 2], codes[both, 7]), 1.0)
    np.testing.assert_allclose(info.fij[2, 7], expected / both.sum(), atol=1e-7)
    np.testing.assert_allclose(back.coupling_[2, 7], model.coupling_[2, 7], atol=1e-6)
