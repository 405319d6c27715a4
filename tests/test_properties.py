"""Property-based tests: any input works like its canonical form, or is refused cleanly."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from sklearn_plm import HopfieldMemory, PseudoLikelihoodMemory  # noqa: E402

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

shapes = st.tuples(st.integers(1, 12), st.integers(2, 12)) | st.sampled_from(
    [(1, 2), (1, 30), (40, 2), (3, 25)])
layouts = st.sampled_from(["C", "F", "strided", "readonly", "big-endian"])
dtypes = st.sampled_from(["float64", "float32", "int8", "bool", "object"])
estimators = st.sampled_from([
    lambda: PseudoLikelihoodMemory(max_iter=30),
    lambda: PseudoLikelihoodMemory(max_iter=30, symmetric=True, fit_fields=True),
    lambda: PseudoLikelihoodMemory(max_iter=30, recall="async", random_state=0),
    lambda: HopfieldMemory(rule="storkey", recall="async", random_state=0),
    lambda: HopfieldMemory(rule="pseudo-inverse"),
])


def _layout(X, layout, dtype):
    if dtype == "bool":
        X = X > 0
    elif dtype == "object":
        X = X.astype(object)
    else:
        X = X.astype(dtype)
    if layout == "F":
        X = np.asfortranarray(X)
    elif layout == "strided":
        X = np.repeat(X, 2, axis=1)[:, ::2]
    elif layout == "readonly":
        X = X.copy()
        X.setflags(write=False)
    elif layout == "big-endian" and X.dtype.kind == "f":
        X = X.astype(X.dtype.newbyteorder(">"))
    return X


@SETTINGS
@given(shape=shapes, layout=layouts, dtype=dtypes, make=estimators, seed=st.integers(0, 2**16))
def test_any_layout_and_dtype_matches_the_canonical_input(shape, layout, dtype, make, seed):
    import warnings

    rng = np.random.default_rng(seed)
    X = rng.choice([-1.0, 1.0], size=shape)
    if dtype == "bool":
        canonical = (X > 0).astype(np.float64)
    elif dtype == "float32":
        canonical = X.astype(np.float32)
    else:
        canonical = X
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = make().fit(canonical)
        est = make().fit(_layout(X, layout, dtype))
    np.testing.assert_allclose(est.coupling_, ref.coupling_, rtol=1e-5, atol=1e-6)
    probe = _layout(X[::-1], layout, dtype)
    assert_array_equal(est.transform(probe), ref.transform(canonical[::-1]))
    np.testing.assert_allclose(est.score_samples(probe), ref.score_samples(canonical[::-1]),
                               rtol=1e-5, atol=1e-5)


@SETTINGS
@given(shape=shapes, make=estimators, seed=st.integers(0, 2**16),
       bad=st.sampled_from([np.inf, -np.inf, np.nan]), frac=st.floats(0.0, 1.0))
def test_nan_and_inf_anywhere(shape, make, seed, bad, frac):
    import warnings

    rng = np.random.default_rng(seed)
    X = rng.choice([-1.0, 1.0], size=shape)
    mask = rng.random(shape) < frac
    if not mask.any():
        mask.flat[rng.integers(mask.size)] = True
    Xb = X.copy()
    Xb[mask] = bad
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if np.isinf(bad):
            with pytest.raises(ValueError, match="infinity"):
                make().fit(Xb)
            est = make().fit(X)
            with pytest.raises(ValueError, match="infinity"):
                est.transform(Xb)
            return
        est = make().fit(Xb)
    assert np.all(np.isfinite(est.coupling_))
    out = est.transform(Xb)
    assert np.all(np.isin(out, [-1.0, 1.0]))
    assert np.all(np.isfinite(est.score_samples(Xb)))


@pytest.mark.parametrize("bad", [
    np.array([["a", "b"], ["c", "d"]], dtype=object),
    np.array([[1 + 1j, 2], [3, 4]]),
    [[1, 2], [3]],
])
def test_unusable_inputs_raise_value_or_type_errors(bad):
    with pytest.raises((ValueError, TypeError)):
        PseudoLikelihoodMemory().fit(bad)


@SETTINGS
@given(n_samples=st.integers(1, 15), n_features=st.integers(2, 6), q=st.integers(2, 64),
       layout=layouts, dtype=st.sampled_from(["float64", "float32", "int8", "object"]),
       nan_frac=st.floats(0.0, 0.3), seed=st.integers(0, 2**16))
def test_potts_any_layout_dtype_and_q_up_to_64(n_samples, n_features, q, layout, dtype,
                                               nan_frac, seed):
    import warnings

    from sklearn_plm import PottsPseudoLikelihoodMemory

    rng = np.random.default_rng(seed)
    X = rng.integers(0, q, size=(n_samples, n_features)).astype(np.float64)
    X[0, 0] = q - 1  # every q is seen
    canonical = X.astype(np.float32) if dtype == "float32" else X
    Xl = _layout(X, layout, dtype)
    make = lambda: PottsPseudoLikelihoodMemory(max_iter=15, n_states=q)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = make().fit(canonical)
        est = make().fit(Xl)
    np.testing.assert_allclose(est.coupling_, ref.coupling_, rtol=1e-4, atol=1e-5)
    probe = X.copy()
    probe[rng.random(probe.shape) < nan_frac] = np.nan
    out = est.transform(probe)
    assert_array_equal(out, ref.transform(probe.astype(canonical.dtype)))
    assert np.all((out >= 0) & (out < q) & (out == np.round(out)))
    assert np.all(np.isfinite(est.score_samples(probe)))
    with pytest.raises(ValueError, match="state code"):
        est.transform(np.full((1, n_features), float(q)))
