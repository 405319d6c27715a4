"""Classical learning rules for binary Hopfield networks.

Each rule maps spins ``S`` (n_samples, n_features) in {-1, 0, +1} (0 is an
unknown spin and counts as 0) to float64 couplings with a zero diagonal.
"""

import numpy as np

from ._rules_fast import storkey_fit

# Below this many sites a Storkey step is too short to pay for waking threads.
_STORKEY_MIN_SITES_PER_THREAD = 128
# Coupling updates per call into the Storkey kernel (~0.05 s on one core):
# Python sees Ctrl-C between calls, so a long fit answers it this fast.
_STORKEY_CHUNK_UPDATES = 2**24
# Pattern updates of one Storkey fit: beyond a C int (and beyond any fit that
# ends in reasonable time); larger weights would wrap around in int64.
_MAX_STORKEY_REPEATS = 2**31 - 1


def hebb(S, sample_weight=None):
    """Hebb's rule, ``J = sum_mu w_mu s^mu s^mu.T / N`` with ``J_ii = 0``."""
    S = np.asarray(S, dtype=np.float64)
    n_features = S.shape[1]
    if sample_weight is None:
        J = S.T @ S
    else:
        J = (S * np.asarray(sample_weight, dtype=np.float64)[:, None]).T @ S
    J /= n_features
    np.fill_diagonal(J, 0.0)
    return J


def pseudo_inverse(S, sample_weight=None):
    """Projector (Personnaz-Kanter-Sompolinsky) rule ``J = S.T C^+ S / N``.

    ``C = S S.T / N`` is the pattern overlap matrix; its pseudo-inverse makes
    duplicated or linearly dependent patterns harmless. Patterns with zero
    weight are left out; other weights do not change the projector.
    """
    S = np.asarray(S, dtype=np.float64)
    if sample_weight is not None:
        S = S[np.asarray(sample_weight) > 0]
    n_features = S.shape[1]
    C = S @ S.T / n_features
    J = S.T @ np.linalg.pinv(C, hermitian=True) @ S / n_features
    np.fill_diagonal(J, 0.0)
    return J


def _integer_repeats(sample_weight, n_samples):
    if sample_weight is None:
        return np.ones(n_samples, dtype=np.int64)
    w = np.asarray(sample_weight, dtype=np.float64)
    if not np.all(np.isfinite(w)) or np.any(w < 0) or np.any(w != np.round(w)):
        bad = w[~(np.isfinite(w) & (w >= 0) & (w == np.round(w)))][0]
        raise ValueError(
            "The Storkey rule applies each pattern as many times as its sample "
            "weight (0 skips it), so it needs non-negative integer weights; got "
            f"{bad!r}. Round the weights, repeat the rows instead, or use "
            'rule="hebb" or rule="perceptron", which accept real weights.'
        )
    total = w.sum()
    if total > _MAX_STORKEY_REPEATS:
        raise ValueError(
            "The Storkey rule applies each pattern as many times as its sample weight; "
            f"these weights ask for {total:.4g} pattern updates in all, more than the "
            f"{_MAX_STORKEY_REPEATS} (2**31 - 1) it counts. Divide the weights by a common "
            'factor, or use rule="hebb", whose couplings scale with the weights.'
        )
    return w.astype(np.int64)


def storkey(S, sample_weight=None, n_threads=1, coupling=None):
    """Storkey's (1997) incremental rule, one pattern after another in row order.

    For each pattern ``xi``, with ``h_ij = sum_{k != i, j} w_ik xi_k``::

        w_ij += (xi_i xi_j - xi_i h_ji - h_ij xi_j) / N     (i != j)

    starting from ``W = 0`` (or from ``coupling``, to continue a previous
    run: the rule is incremental). The result depends on the order of the
    rows. A pattern with integer weight ``k`` is applied ``k`` times in a
    row, so integer weights are the same as repeating rows in place; weight
    0 skips the pattern, and non-integer weights are refused. Each pattern
    costs ``O(N^2)`` memory-bound work in a compiled loop (threads over
    rows), run in chunks of patterns so that Ctrl-C stops it promptly.

    Parameters
    ----------
    S : ndarray of shape (n_samples, n_features)
        Spins in {-1, 0, +1}.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative integer repeat counts.
    n_threads : int, default=1
        OpenMP threads for the per-pattern work.
    coupling : ndarray of shape (n_features, n_features), default=None
        Symmetric couplings with zero diagonal to continue from (not
        modified); None starts from zeros.

    Returns
    -------
    J : ndarray of shape (n_features, n_features)
        Symmetric float64 couplings with zero diagonal.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_plm._rules import storkey
    >>> S = np.array([[1.0, -1.0, 1.0, 1.0], [1.0, 1.0, -1.0, 1.0]])
    >>> J = storkey(S)
    >>> bool(np.allclose(J, J.T)), float(J[0, 3])
    (True, 0.75)
    """
    S = np.asarray(S)
    if S.dtype not in (np.float32, np.float64):
        S = S.astype(np.float64)
    S = np.ascontiguousarray(S)
    n_samples, n_features = S.shape
    repeats = _integer_repeats(sample_weight, n_samples)
    n_threads = int(max(1, min(n_threads, n_features // _STORKEY_MIN_SITES_PER_THREAD)))
    order = np.repeat(np.arange(n_samples, dtype=np.intp), repeats)
    if coupling is None:
        J = np.zeros((n_features, n_features), dtype=np.float64)
    else:
        J = np.array(coupling, dtype=np.float64, order="C")  # a copy: the input stays
        if J.shape != (n_features, n_features):
            raise ValueError(f"coupling must have shape ({n_features}, {n_features}) to "
                             f"match S; got {J.shape}.")
    h = np.empty((2, n_features), dtype=np.float64)
    chunk = max(1, _STORKEY_CHUNK_UPDATES // max(1, n_features * n_features))
    for start in range(0, order.size, chunk):
        n_apply = min(chunk, order.size - start)
        # one pattern of look-ahead: its field is left in h[0] for the next chunk
        storkey_fit(S, order[start:start + n_apply + 1], J, h, n_apply, start > 0, n_threads)
    return J


def _positive_patterns(S, sample_weight):
    """float64 spins and weights of the patterns with a positive weight."""
    S = np.asarray(S, dtype=np.float64)
    if sample_weight is None:
        return S, np.ones(S.shape[0])
    w = np.asarray(sample_weight, dtype=np.float64)
    if np.any(w < 0):
        raise ValueError(
            "The perceptron rule needs non-negative sample weights (0 drops a "
            f"pattern); got {w[w < 0][0]!r}."
        )
    keep = w > 0
    return S[keep], w[keep]


def stabilities(J, S):
    """Stabilities ``Delta_i^mu = s_i^mu sum_j J_ij s_j^mu / ||J_i||``.

    Parameters
    ----------
    J : ndarray of shape (n_features, n_features)
        Couplings (the diagonal is ignored).
    S : ndarray of shape (n_samples, n_features)
        Spins in {-1, 0, +1}.

    Returns
    -------
    Delta : ndarray of shape (n_samples, n_features)
        0 where the spin is unknown or the row of ``J`` is zero.
    """
    J = np.array(J, dtype=np.float64)
    np.fill_diagonal(J, 0.0)
    S = np.asarray(S, dtype=np.float64)
    norms = np.linalg.norm(J, axis=1)
    inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return S * (S @ J.T) * inv


def perceptron(S, sample_weight=None, *, margin=0.0, max_iter=1000, tol=1e-6):
    """Train each row of ``J`` as a perceptron on the stabilities of the patterns.

    Row ``i`` is a perceptron with inputs ``s^mu`` (site ``i`` left out) and
    labels ``s_i^mu``; its stabilities are
    ``Delta_i^mu = s_i^mu sum_{j != i} J_ij s_j^mu / ||J_i||``. Rows are
    independent, so ``J`` is asymmetric. Unknown spins (0) put no
    constraint on their own row and count as 0 as inputs.

    - ``margin=kappa`` (float >= 0): batch Gardner rule. Starting from Hebb,
      every iteration adds ``(1/N) sum_{mu: Delta_i^mu <= kappa} w_mu s_i^mu s^mu``
      to each row that still has such patterns, until every stability
      exceeds ``kappa``. Weights scale each pattern's steps (integer weights
      are the same as repeated rows).
    - ``margin="max"``: the maximal-stability (Krauth-Mezard, Gardner
      ``kappa_max``) couplings, the hard-margin linear SVM without bias
      ``min ||J_i||^2 s.t. s_i^mu J_i . s^mu >= 1`` for every row, solved in
      the dual by accelerated projected gradient (FISTA with adaptive
      restarts, all rows at once) until the relative duality gap of every
      row is at most ``tol``. Each row is scaled so that its smallest
      field-times-spin is 1, i.e. ``||J_i|| = 1 / kappa_max``. Weights only
      select patterns (weight 0 drops one): repeating a constraint does not
      change the maximal-stability solution.

    Parameters
    ----------
    S : ndarray of shape (n_samples, n_features)
        Spins in {-1, 0, +1}.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative pattern weights.
    margin : float >= 0 or "max", default=0.0
        Stability threshold ``kappa``, or ``"max"``.
    max_iter : int, default=1000
        Iterations (one or two GEMMs each, over all rows at once).
    tol : float, default=1e-6
        Relative duality gap at which ``margin="max"`` stops.

    Returns
    -------
    J : ndarray of shape (n_features, n_features)
        float64 couplings with zero diagonal.
    n_iter : int
        Iterations run.
    converged : bool
        Whether every row reached the margin (float) or the tolerance ("max").

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_plm._rules import perceptron, stabilities
    >>> rng = np.random.default_rng(0)
    >>> S = rng.choice([-1.0, 1.0], size=(30, 100))
    >>> J, n_iter, converged = perceptron(S, margin=1.0)
    >>> converged, bool(stabilities(J, S).min() > 1.0)
    (True, True)
    >>> J, n_iter, converged = perceptron(S, margin="max")
    >>> converged, bool(stabilities(J, S).min() > 1.2)
    (True, True)
    """
    S, w = _positive_patterns(S, sample_weight)
    if isinstance(margin, str):
        if margin != "max":
            raise ValueError(f'margin must be a float >= 0 or "max"; got {margin!r}.')
        return _max_stability(S, max_iter=max_iter, tol=tol)
    return _gardner(S, w, kappa=float(margin), max_iter=max_iter)


def _gardner(S, w, kappa, max_iter):
    n_features = S.shape[1]
    J = hebb(S, w)
    known = S != 0
    Sw = S * w[:, None]
    active = np.arange(n_features)
    n_iter = 0
    while True:
        # one GEMM: fields of the still-active rows for every pattern
        H = S @ J[active].T
        norms = np.linalg.norm(J[active], axis=1)
        inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        violated = known[:, active] & (S[:, active] * H * inv <= kappa)
        still = violated.any(axis=0)
        active, violated = active[still], violated[:, still]
        if active.size == 0 or n_iter == max_iter:
            break
        # second GEMM: each active row adds its violated patterns
        M = np.where(violated, Sw[:, active], 0.0)
        J[active] += (M.T @ S) / n_features
        J[active, active] = 0.0
        n_iter += 1
    return J, n_iter, active.size == 0


def _max_stability(S, max_iter, tol):
    """Batched FISTA on the duals of the N hard-margin problems (one per row).

    Row ``i`` maximises ``sum(a) - a.Q^i.a / 2`` over ``a >= 0`` with
    ``Q^i = diag(y) (C - y y.T) diag(y)``, ``y = S[:, i]`` and ``C = S S.T``.
    Every ``Q^i`` is bounded by ``C``, so ``1 / lambda_max(C)`` is a valid
    step for all rows. ``Q^i a`` for all rows is
    ``Y * (C @ (Y * A)) - K * sum(A)`` with ``K = Y**2`` the known mask;
    ``Q^i a_i`` are also the unnormalised margins ``y_mu J_i . s^mu``.
    """
    n_samples, n_features = S.shape
    Y = S
    K = (S != 0).astype(np.float64)
    if n_samples == 0:
        return np.zeros((n_features, n_features)), 0, True
    if n_samples <= n_features:
        C = S @ S.T
        lipschitz = np.linalg.eigvalsh(C)[-1]

        def gram(V):
            return C @ V
    else:
        # C @ V through S keeps memory at O(P N) when there are many patterns
        lipschitz = np.linalg.eigvalsh(S.T @ S)[-1]

        def gram(V):
            return S @ (S.T @ V)

    def qmul(A):
        return Y * gram(Y * A) - K * A.sum(axis=0)

    def gap(A, QA):
        # relative duality gap (primal - dual) / primal, primal = the dual
        # iterate's couplings rescaled to a smallest margin of 1
        norm2 = np.einsum("mi,mi->i", A, QA)
        dual = A.sum(axis=0) - 0.5 * norm2
        m_min = np.where(K > 0, QA, np.inf).min(axis=0)
        out = np.full(n_features, np.inf)
        ok = (m_min > 0) & (norm2 > 0)
        primal = 0.5 * norm2[ok] / m_min[ok] ** 2
        out[ok] = (primal - dual[ok]) / primal
        out[~K.any(axis=0)] = 0.0  # rows without any constraint
        return out

    # start on the Hebb direction (a constant), at its best scale per row
    QK = qmul(K)
    curv = np.einsum("mi,mi->i", K, QK)
    scale = np.divide(K.sum(axis=0), curv, out=np.zeros(n_features), where=curv > 0)
    A = K * scale
    QA = QK * scale
    Z, QZ = A, QA
    t = np.ones(n_features)
    step = 1.0 / lipschitz
    n_iter, converged = 0, bool(np.all(gap(A, QA) <= tol))
    while not converged and n_iter < max_iter:
        A_new = np.maximum(Z - step * (QZ - 1.0), 0.0) * K
        QA_new = qmul(A_new)
        diff = A_new - A
        # adaptive restart (O'Donoghue & Candes): drop the momentum of a row
        # whose last step went against its gradient mapping
        restart = np.einsum("mi,mi->i", Z - A_new, diff) > 0
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        beta = (t - 1.0) / t_new
        beta[restart] = 0.0
        t_new[restart] = 1.0
        # Q is linear, so Q z of the extrapolated point costs no extra GEMM
        Z = A_new + beta * diff
        QZ = QA_new + beta * (QA_new - QA)
        A, QA, t = A_new, QA_new, t_new
        n_iter += 1
        converged = bool(np.all(gap(A, QA) <= tol))
    J = (Y * A).T @ S
    np.fill_diagonal(J, 0.0)
    return J, n_iter, converged
