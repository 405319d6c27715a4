"""Synthetic binary patterns: i.i.d. spins and the random-feature model."""

from numbers import Integral

import numpy as np
from sklearn.utils import Bunch, check_random_state
from .._sklearn_compat import Interval, StrOptions, validate_params


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_random_patterns(n_samples, n_features, random_state=None):
    """Independent, uniformly random +/-1 patterns.

    The standard benchmark of associative memories: ``P = n_samples``
    patterns of ``N = n_features`` spins, at load ``alpha = P / N``.

    Parameters
    ----------
    n_samples : int
        Number of patterns.
    n_features : int
        Number of spins per pattern.
    random_state : int, RandomState instance or None, default=None
        Seeds the patterns.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Patterns in {-1.0, +1.0}.

    Examples
    --------
    >>> from sklearn_plm.datasets import make_random_patterns
    >>> X = make_random_patterns(3, 5, random_state=0)
    >>> X.shape
    (3, 5)
    >>> sorted(set(X.ravel().tolist()))
    [-1.0, 1.0]
    """
    rng = check_random_state(random_state)
    return 2.0 * rng.randint(2, size=(n_samples, n_features)) - 1.0


def _mixtures(features, n_examples, n_active, coefficients, rng):
    """Examples ``sign(c @ features)`` with ``n_active`` nonzero ``c`` per row."""
    n_hidden = features.shape[0]
    # per row, a uniformly random subset of n_active features
    active = np.argsort(rng.random_sample((n_examples, n_hidden)), axis=1)[:, :n_active]
    if coefficients == "binary":
        values = 2.0 * rng.randint(2, size=(n_examples, n_active)) - 1.0
    else:
        values = rng.standard_normal((n_examples, n_active))
    C = np.zeros((n_examples, n_hidden))
    np.put_along_axis(C, active, values / np.sqrt(n_hidden), axis=1)
    field = C @ features
    ties = 2.0 * rng.randint(2, size=field.shape) - 1.0
    # exact zeros (an even number of binary terms cancelling) get a random sign
    X = np.where(field > 0, 1.0, np.where(field < 0, -1.0, ties))
    return X, C


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "n_hidden_features": [Interval(Integral, 1, None, closed="left")],
        "n_active": [Interval(Integral, 1, None, closed="left"), None],
        "coefficients": [StrOptions({"binary", "gaussian"})],
        "n_test": [Interval(Integral, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_random_features(
    n_samples,
    n_features,
    n_hidden_features,
    *,
    n_active=3,
    coefficients="binary",
    n_test=1000,
    random_state=None,
):
    """Examples built from a few hidden +/-1 features (random-feature model).

    ``D = n_hidden_features`` features ``f^k`` are drawn uniformly from
    {-1, +1}^N. Each example is ``x = sign(sum_k c_k f^k)`` where only
    ``n_active`` coefficients, at randomly chosen ``k`` (a new subset per
    example), are nonzero. With ``coefficients="binary"`` they are
    ``+/-1 / sqrt(D)``, so with the default ``n_active=3`` every example is
    a signed majority vote of three features; ``"gaussian"`` draws them
    from ``N(0, 1/D)``. A zero sum (possible for even ``n_active``) gives a
    random sign. The test examples are new mixtures of the same features.

    This is the hidden-manifold model of D'Amico et al. (2025): a memory
    trained on enough examples should turn unseen mixtures (and the
    features themselves) into attractors.

    Parameters
    ----------
    n_samples : int
        Number of training examples ``P``.
    n_features : int
        Number of spins ``N``.
    n_hidden_features : int
        Number of hidden features ``D``.
    n_active : int or None, default=3
        Nonzero coefficients per example, at most ``n_hidden_features``.
        None means all of them (dense mixtures).
    coefficients : {"binary", "gaussian"}, default="binary"
        Distribution of the nonzero coefficients.
    n_test : int, default=1000
        Number of test examples.
    random_state : int, RandomState instance or None, default=None
        Seeds features, supports, coefficients and tie-breaking.

    Returns
    -------
    data : Bunch
        Dictionary-like object with attributes

        X_train : ndarray of shape (n_samples, n_features)
            Training examples in {-1.0, +1.0}.
        X_test : ndarray of shape (n_test, n_features)
            Test examples in {-1.0, +1.0}.
        features : ndarray of shape (n_hidden_features, n_features)
            The hidden features in {-1.0, +1.0}.
        coefficients : ndarray of shape (n_samples, n_hidden_features)
            Mixing coefficients of the training examples (zero off the
            support).
        coefficients_test : ndarray of shape (n_test, n_hidden_features)
            Mixing coefficients of the test examples.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_plm.datasets import make_random_features
    >>> data = make_random_features(50, 100, 10, n_test=20, random_state=0)
    >>> data.X_train.shape, data.X_test.shape, data.features.shape
    ((50, 100), (20, 100), (10, 100))
    >>> np.count_nonzero(data.coefficients, axis=1)[:5]
    array([3, 3, 3, 3, 3])
    >>> x, c = data.X_train[0], data.coefficients[0]
    >>> bool(np.array_equal(x, np.sign(c @ data.features)))
    True
    """
    if n_active is None:
        n_active = n_hidden_features
    if n_active > n_hidden_features:
        raise ValueError(
            f"n_active={n_active} must be at most n_hidden_features={n_hidden_features}; "
            "use n_active=None for dense mixtures of all features."
        )
    rng = check_random_state(random_state)
    features = 2.0 * rng.randint(2, size=(n_hidden_features, n_features)) - 1.0
    X_train, C_train = _mixtures(features, n_samples, n_active, coefficients, rng)
    X_test, C_test = _mixtures(features, n_test, n_active, coefficients, rng)
    return Bunch(
        X_train=X_train,
        X_test=X_test,
        features=features,
        coefficients=C_train,
        coefficients_test=C_test,
    )
