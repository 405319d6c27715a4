"""Contact precision, contact-map corrections and the contact scorer."""

import pathlib

import numpy as np
import pytest

from sklearn_plm import PottsPseudoLikelihoodMemory
from sklearn_plm._contact_scores import (average_product_correction, column_entropies,
                                         entropy_correction)
from sklearn_plm.metrics import contact_precision, make_contact_scorer

FAMILIES = pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data" / "families"


def _sym(L, entries):
    M = np.zeros((L, L))
    for (i, j), v in entries.items():
        M[i, j] = M[j, i] = v
    return M


@pytest.fixture
def example():
    """10 columns; scores and distances of a few pairs, worked out by hand below."""
    L = 10
    D = np.full((L, L), 15.0)
    np.fill_diagonal(D, np.nan)
    for (i, j), d in {(0, 9): 4.0, (1, 8): 7.99, (2, 7): 8.0, (0, 6): 6.0, (3, 9): 5.0}.items():
        D[i, j] = D[j, i] = d
    D[1, 9] = D[9, 1] = np.nan          # unresolved in the structure
    S = _sym(L, {(0, 9): 0.9, (1, 9): 0.8, (2, 7): 0.7, (1, 8): 0.6, (0, 6): 0.5,
                 (3, 9): 0.5, (0, 1): 5.0})   # (0, 1) is too close in sequence
    return S, D


def test_hand_computed_precision(example):
    S, D = example
    # pairs with j - i >= 5, best first, ties by (i, j): (0,9) c, [(1,9) NaN], (2,7) d=8 not
    # a contact (strict), (1,8) c, then the tie at 0.5: (0,6) c before (3,9) c, then the
    # zero-score pairs in row-major order: (0,5) 15 ...
    exclude = contact_precision(S, D, k=[1, 2, 3, 4, 5, 6])
    np.testing.assert_allclose(exclude, [1, 1 / 2, 2 / 3, 3 / 4, 4 / 5, 4 / 6])
    noncontact = contact_precision(S, D, k=[1, 2, 3, 4, 5, 6], missing="non-contact")
    np.testing.assert_allclose(noncontact, [1, 1 / 2, 1 / 3, 2 / 4, 3 / 5, 4 / 6])
    # the threshold is strict: at 8.0 the pair (2, 7) is not a contact, above it it is
    assert contact_precision(S, D, k=2, threshold=8.0) == 0.5
    assert contact_precision(S, D, k=2, threshold=8.01) == 1.0
    # a smaller separation brings (0, 1) in first; its distance 15 is no contact
    assert contact_precision(S, D, k=1, min_separation=1) == 0.0


def test_labels_are_fractions_of_the_columns(example):
    S, D = example
    # L = 10: L/5 = 2, L/2 = 5, L = 10, 2L = 20 (there are 15 pairs with j - i >= 5,
    # one without a distance: 2L is too many)
    p = contact_precision(S, D, k=["L/5", "L/2", "L"])
    np.testing.assert_allclose(p, contact_precision(S, D, k=[2, 5, 10]))
    assert contact_precision(S, D, k="3L/10") == contact_precision(S, D, k=3)
    with pytest.raises(ValueError, match="only 14 pairs"):
        contact_precision(S, D, k="2L")
    for bad in ("L/0", "M/5", "-L", "5/L"):
        with pytest.raises(ValueError, match="label such as"):
            contact_precision(S, D, k=bad)


def test_ties_follow_row_major_order():
    L = 8
    D = np.full((L, L), 20.0)
    D[1, 7] = D[7, 1] = 3.0
    S = np.ones((L, L))   # every pair ties: the first ranked pair is (0, 5)
    assert contact_precision(S, D, k=1) == 0.0
    # the contact (1, 7) comes fourth: (0, 5), (0, 6), (0, 7), (1, 6), (1, 7), (2, 7)
    np.testing.assert_allclose(contact_precision(S, D, k=[4, 5, 6]), [0, 1 / 5, 1 / 6])


def test_properties_on_random_maps():
    rng = np.random.default_rng(0)
    L = 40
    A = rng.uniform(2, 30, size=(L, L))
    D = (A + A.T) / 2
    D[rng.random((L, L)) < 0.05] = np.nan
    D = np.where(np.isnan(D) | np.isnan(D.T), np.nan, D)
    B = rng.normal(size=(L, L))
    S = B + B.T
    ks = [1, 8, 20, 40, 80]
    p = contact_precision(S, D, k=ks)
    assert np.all((p >= 0) & (p <= 1))
    # counting unknown pairs as non-contacts can only lose hits
    assert np.all(contact_precision(S, D, k=ks, missing="non-contact") <= p + 1e-12)
    # a monotone transform of the scores changes nothing
    np.testing.assert_array_equal(contact_precision(np.exp(S), D, k=ks), p)
    # ranking by closeness is perfect as long as there are that many contacts
    i, j = np.triu_indices(L, 5)
    n_contacts = int(np.sum(D[i, j] < 8))
    perfect = contact_precision(-np.nan_to_num(D, nan=99.0), D, k=[1, n_contacts, n_contacts + 1])
    np.testing.assert_allclose(perfect[:2], 1.0)
    assert perfect[2] < 1.0


@pytest.mark.parametrize("bad, match", [
    (lambda S, D: (S[:, :-1], D), "square"),
    (lambda S, D: (S[:-1, :-1], D), "same shape"),
    (lambda S, D: (S + np.triu(np.ones_like(S)), D), "symmetric"),
    (lambda S, D: (np.where(np.eye(len(S)) > 0, np.nan, S), D), "NaN"),
    (lambda S, D: (S, -np.nan_to_num(D)), "non-negative"),
])
def test_invalid_input(example, bad, match):
    S, D = bad(*example)
    with pytest.raises(ValueError, match=match):
        contact_precision(S, D, k=1)


def test_invalid_parameters(example):
    S, D = example
    with pytest.raises(ValueError, match="min_separation"):
        contact_precision(S, D, min_separation=0)
    with pytest.raises(ValueError, match="missing"):
        contact_precision(S, D, k=1, missing="drop")
    with pytest.raises(ValueError, match="at least one"):
        contact_precision(S, D, k=[])


# ------------------------------------------------------------- contact_map corrections

@pytest.fixture(scope="module")
def covarying():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 4, size=(600, 9)).astype(float)
    X[:, 7] = X[:, 1]
    X[rng.random(600) < 0.2, 7] = 0        # a noisy copy
    X[:, 3] = np.where(rng.random(600) < 0.9, 2, X[:, 3])   # a conserved column
    w = rng.uniform(0.5, 1.5, size=600)
    return X, w, PottsPseudoLikelihoodMemory(alpha=1e-3).fit(X, sample_weight=w)


def test_corrections_are_symmetric_and_find_the_pair(covarying):
    X, w, model = covarying
    maps = {
        "apc": model.contact_map(),
        "none": model.contact_map(correction="none"),
        "entropy": model.contact_map(correction="entropy", X=X, sample_weight=w),
        "entropy-gap": model.contact_map(ignore_states=[0], correction="entropy", X=X,
                                         sample_weight=w),
    }
    for S in maps.values():
        np.testing.assert_array_equal(S, S.T)
        np.testing.assert_array_equal(np.diag(S), 0.0)
        assert np.unravel_index(np.argmax(S), S.shape) in [(1, 7), (7, 1)]
    np.testing.assert_array_equal(maps["none"], model.contact_map(apc=False))
    np.testing.assert_array_equal(maps["apc"], average_product_correction(maps["none"]))


def test_entropy_correction_by_hand(covarying):
    X, w, model = covarying
    F = model.contact_map(correction="none")
    s = np.empty(X.shape[1])
    for i in range(X.shape[1]):
        f = np.bincount(X[:, i].astype(int), weights=w, minlength=4) / w.sum()
        s[i] = -np.sum(f[f > 0] * np.log(f[f > 0]))
    np.testing.assert_allclose(column_entropies(X.astype(np.int32), w, 4), s)
    i, j = np.triu_indices(len(s), 1)
    b = np.sqrt(s[i] * s[j])
    slope = np.sum(F[i, j] * b) / np.sum(b * b)
    expected = F - slope * np.sqrt(np.outer(s, s))
    np.fill_diagonal(expected, 0.0)
    got = model.contact_map(correction="entropy", X=X, sample_weight=w)
    np.testing.assert_allclose(got, expected, atol=1e-12)
    # least squares: what is left is orthogonal to the background
    assert abs(np.sum(got[i, j] * b)) < 1e-9 * np.sum(F[i, j] * b)


def test_entropies_leave_out_missing_and_ignored_states():
    codes = np.array([[0, 1], [1, 1], [2, -1], [2, 0]], dtype=np.int32)
    w = np.ones(4)
    s = column_entropies(codes, w, 3, keep=np.array([1, 2]))
    # column 0: states 1, 2, 2 (the 0 is left out); column 1: 1, 1 (missing, 0 left out)
    np.testing.assert_allclose(s, [-(1 / 3 * np.log(1 / 3) + 2 / 3 * np.log(2 / 3)), 0.0])
    flat = entropy_correction(np.ones((2, 2)) - np.eye(2), np.zeros(2))
    np.testing.assert_array_equal(flat, np.ones((2, 2)) - np.eye(2))


def test_contact_map_argument_errors(covarying):
    X, w, model = covarying
    with pytest.raises(ValueError, match="needs the alignment X"):
        model.contact_map(correction="entropy")
    with pytest.raises(ValueError, match="only used by"):
        model.contact_map(X=X)
    with pytest.raises(ValueError, match="pass only correction"):
        model.contact_map(apc=False, correction="entropy", X=X)
    with pytest.raises(ValueError, match="correction must be"):
        model.contact_map(correction="apc2")
    with pytest.raises(ValueError, match="features"):
        model.contact_map(correction="entropy", X=X[:, :5])


def test_contact_scorer(covarying):
    X, w, model = covarying
    D = np.full((9, 9), 20.0)
    D[1, 7] = D[7, 1] = 5.0
    scorer = make_contact_scorer(D, k=1, min_separation=1)
    assert scorer(model, X) == 1.0
    D2 = D.copy()
    D2[1, 7] = D2[7, 1] = 12.0
    assert make_contact_scorer(D2, k=1, min_separation=1)(model, X) == 0.0
    # contact_kws reach contact_map
    gapless = make_contact_scorer(D, k=1, min_separation=1, contact_kws={"ignore_states": [0]})
    assert gapless(model) == 1.0
    assert "contact_kws" in repr(gapless)


@pytest.mark.skipif(not (FAMILIES / "PF00014").is_dir(), reason="shared families absent")
def test_real_distances_rank_perfectly():
    from sklearn_plm.datasets import read_contact_distances

    D = read_contact_distances(FAMILIES / "PF00014" / "PF00014_struct.dat", n_columns=53)
    S = -np.nan_to_num(D, nan=1e3)
    np.testing.assert_array_equal(contact_precision(S, D), [1, 1, 1, 1])
    # shuffled scores: about the fraction of contacts among the ranked pairs
    rng = np.random.default_rng(0)
    B = rng.normal(size=D.shape)
    p = contact_precision(B + B.T, D, k=1000)
    i, j = np.triu_indices(53, 5)
    listed = ~np.isnan(D[i, j])
    assert abs(p - np.mean(D[i, j][listed] < 8)) < 0.05
