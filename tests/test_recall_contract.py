"""The contract of every recall option in the table of dynamics, binary and Potts.

A dynamics added to ``sklearn_plm._recall.DYNAMICS`` is tested here without
a test of its own: the estimators accept its name, held entries stay, the
result has the documented types, a row does not depend on its batch, and a
seed fixes the result.
"""

from dataclasses import FrozenInstanceError, replace

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_plm import HopfieldMemory, PottsPseudoLikelihoodMemory, PseudoLikelihoodMemory
from sklearn_plm._potts_layout import (coef_to_params, field_columns, params_to_coef,
                                       potts_fields, site_rows)
from sklearn_plm._recall import (DYNAMICS, FINITE_TEMPERATURE, RecallOptions, code_marginals,
                                 complete_codes, complete_spins, free_sites, spin_marginals)

METHODS = sorted(DYNAMICS)


def _ising(rng, n=20):
    J = rng.normal(scale=0.3, size=(n, n))
    np.fill_diagonal(J, 0.0)
    return J, rng.normal(scale=0.1, size=n)


def _potts(rng, n=8, q=3):
    J = rng.normal(scale=0.4, size=(n, n, q, q))
    J[np.arange(n), np.arange(n)] = 0.0
    return J, rng.normal(scale=0.2, size=(n, q))


def _options(method, **kw):
    return RecallOptions(method, max_iter=25, burn_in=5, n_sweeps=10, seed=3, **kw)


@pytest.mark.parametrize("method", METHODS)
def test_binary_dynamics_contract(method, rng):
    J, b = _ising(rng)
    S = rng.choice([-1.0, 0.0, 1.0], size=(30, 20), p=[0.4, 0.2, 0.4])
    free = free_sites(S == 0, "auto")
    options = _options(method)
    out, n_iter, converged = complete_spins(S.copy(), free, J, b, 1.0, options)
    assert out.shape == S.shape and set(np.unique(out)) <= {-1.0, 1.0}
    assert_array_equal(out[~free], S[~free])  # held entries stay
    assert n_iter.shape == (30,) and np.all((n_iter >= 1) & (n_iter <= 25 + 15))
    assert converged.dtype == bool and converged.shape == (30,)
    again = complete_spins(S.copy(), free, J, b, 1.0, options)
    for a, c in zip((out, n_iter, converged), again):
        assert_array_equal(a, c)
    # a row's result does not depend on the other rows of its batch
    one = complete_spins(S[7:8].copy(), free[7:8], J, b, 1.0, options)
    assert_array_equal(one[0][0], out[7])
    assert one[1][0] == n_iter[7]


@pytest.mark.parametrize("method", METHODS)
def test_potts_dynamics_contract(method, rng):
    J, h = _potts(rng)
    codes = rng.integers(-1, 3, size=(30, 8)).astype(np.int32)
    free = free_sites(codes < 0, "auto")
    options = _options(method)
    out, n_iter, converged = complete_codes(codes.copy(), free, J, h, 1.0, options)
    assert out.shape == codes.shape and out.min() >= 0 and out.max() < 3
    assert_array_equal(out[~free], codes[~free])
    assert n_iter.shape == (30,) and np.all((n_iter >= 1) & (n_iter <= 25 + 15))
    assert converged.dtype == bool and converged.shape == (30,)
    again = complete_codes(codes.copy(), free, J, h, 1.0, options)
    for a, c in zip((out, n_iter, converged), again):
        assert_array_equal(a, c)
    one = complete_codes(codes[7:8].copy(), free[7:8], J, h, 1.0, options)
    assert_array_equal(one[0][0], out[7])
    assert one[1][0] == n_iter[7]


@pytest.mark.parametrize("method", FINITE_TEMPERATURE)
def test_marginals_contract(method, rng):
    J, b = _ising(rng)
    S = rng.choice([-1.0, 0.0, 1.0], size=(10, 20), p=[0.4, 0.2, 0.4])
    free = S == 0
    P, _, _ = spin_marginals(S, free, J, b, 1.0, _options(method))
    assert P.shape == S.shape and np.all((P >= 0) & (P <= 1))
    assert_array_equal(P[~free], (S[~free] > 0).astype(float))
    # hotter marginals are closer to 1/2
    Phot, _, _ = spin_marginals(S, free, J, b, 1.0, _options(method, temperature=50.0))
    assert np.abs(Phot[free] - 0.5).max() < np.abs(P[free] - 0.5).max()
    Jp, h = _potts(rng)
    codes = rng.integers(-1, 3, size=(10, 8)).astype(np.int32)
    P, _, _ = code_marginals(codes, codes < 0, Jp, h, 1.0, _options(method))
    assert P.shape == (10, 8, 3)
    assert_allclose(P.sum(axis=2), 1.0)
    held = codes >= 0
    assert_array_equal(P[held, codes[held]], 1.0)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("Est", [PseudoLikelihoodMemory, HopfieldMemory,
                                 PottsPseudoLikelihoodMemory])
def test_every_dynamics_is_a_recall_option_of_every_estimator(Est, method, rng):
    X = rng.integers(0, 2, size=(40, 12)).astype(float)
    est = Est(recall=method, random_state=0, burn_in=5, n_sweeps=10).fit(X)
    probe = X[:5].copy()
    probe[:, :4] = np.nan
    result = est.complete(probe)
    assert_array_equal(result.X[:, 4:], X[:5, 4:])
    assert not np.isnan(result.X).any()


def test_recall_options_are_built_once_from_the_parameters():
    X = np.random.default_rng(0).choice([-1.0, 1.0], size=(30, 10))
    est = PseudoLikelihoodMemory(recall="async", max_recall_iter=7, burn_in=3, n_sweeps=4,
                                 clamp=True, random_state=5).fit(X)
    options = est._recall_options()
    assert (options.method, options.max_iter, options.burn_in, options.n_sweeps,
            options.clamp) == ("async", 7, 3, 4, True)
    # the seed of a seeded dynamics comes from random_state; sync draws none
    assert options.seed == est._recall_options().seed != 0
    assert est._recall_options("sync").seed == 0
    assert est._proba_options().method == "mean-field"
    with pytest.raises(FrozenInstanceError):
        options.max_iter = 3
    assert replace(options, max_iter=3).max_iter == 3


def test_potts_layouts_match_their_definitions(rng):
    N, q = 4, 3
    J, h = _potts(rng, N, q)
    rows, cols = site_rows(J, h), field_columns(J)
    for i, j, a, b in np.ndindex(N, N, q, q):
        assert rows[i, j * q + b, a] == J[i, j, a, b]
        assert cols[j * q + b, i * q + a] == J[i, j, a, b]
    assert_array_equal(rows[:, N * q], h)
    assert site_rows(J).shape == (N, N * q, q)
    assert field_columns(J.astype(np.float32)).dtype == np.float32
    # the solver rows are the site rows, flattened, and convert back
    coef = params_to_coef(J, h, fit_fields=True)
    assert_array_equal(coef, rows.reshape(N, -1))
    J2, h2 = coef_to_params(coef, N, q, fit_fields=True)
    assert_array_equal(J2, J)
    assert_array_equal(h2, h)
    # local fields: the kernel on the site rows equals the one-hot product with the columns
    codes = rng.integers(-1, q, size=(6, N)).astype(np.int32)
    onehot = np.zeros((6, N * q))
    r, s = np.nonzero(codes >= 0)
    onehot[r, s * q + codes[r, s]] = 1.0
    assert_allclose(potts_fields(codes, J, h), onehot @ cols + h.ravel(), atol=1e-12)
