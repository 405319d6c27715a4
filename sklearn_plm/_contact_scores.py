"""Contact scores from Potts couplings: block norms and their background corrections.

Direct coupling analysis ranks pairs of columns by the Frobenius norm of their
coupling block, then removes a background that grows with how variable each
column is (a highly variable column has large couplings with every other
column, in contact or not). Two corrections are offered:

- the average-product correction (APC, Dunn et al. 2008; Ekeberg et al. 2013):
  ``F_ij - F_i. F_.j / F_..`` with ``F_i.`` the mean score of column ``i``;
- the entropy correction (Vorberg, Seemayer and Söding 2018, used by Dietler,
  Lupo and Bitbol 2023): ``F_ij - c sqrt(s_i s_j)``, with ``s_i`` the entropy
  of column ``i`` in the alignment and ``c`` the least-squares slope of the
  scores on ``sqrt(s_i s_j)`` over the pairs ``i < j``. Vorberg et al. show
  that the score of an uncoupled pair grows like ``sqrt(s_i s_j)``, and that
  APC removes mostly this term.

Every function returns an exactly symmetric matrix with a zero diagonal.
"""

import numpy as np

CORRECTIONS = ("apc", "entropy", "none")


def zero_sum_blocks(J):
    """``J[i, j] - row means - column means + mean`` of each q x q block."""
    return (J - J.mean(axis=2, keepdims=True) - J.mean(axis=3, keepdims=True)
            + J.mean(axis=(2, 3), keepdims=True))


def block_norms(J, keep=None, zero_sum=True):
    """Frobenius norms of the blocks of the symmetrized couplings ``(J_ij + J_ji^T) / 2``.

    ``keep``: the states kept in the norm (after the gauge change), or None.
    """
    J = np.asarray(J, dtype=np.float64)
    J = 0.5 * (J + J.transpose(1, 0, 3, 2))
    if zero_sum:
        J = zero_sum_blocks(J)
    if keep is not None:
        J = J[:, :, keep][:, :, :, keep]
    F = np.sqrt(np.sum(J**2, axis=(2, 3)))
    # the blocks of (i, j) and (j, i) are transposes: their norms differ by
    # rounding only, and a score matrix that is not exactly symmetric ranks
    # the two orders of a pair differently
    F = 0.5 * (F + F.T)
    np.fill_diagonal(F, 0.0)
    return F


def average_product_correction(F):
    """APC of a symmetric score matrix with zero diagonal (means over ``j != i``)."""
    n = F.shape[0]
    off = ~np.eye(n, dtype=bool)
    row = F.sum(axis=1) / (n - 1)
    total = F[off].mean()
    out = F - np.outer(row, row) / total if total > 0 else F.copy()
    out[~off] = 0.0
    return out


def column_entropies(codes, sample_weight, n_states, keep=None):
    """Weighted Shannon entropy (nats) of each column's states.

    ``codes``: int array, -1 for missing entries (left out); ``keep``: the
    states counted (the others, e.g. the gap, are left out and the
    frequencies renormalized over the kept ones).
    """
    n_sites = codes.shape[1]
    counts = np.zeros((n_sites, n_states))
    for i in range(n_sites):
        known = codes[:, i] >= 0
        counts[i] = np.bincount(codes[known, i], weights=sample_weight[known],
                                minlength=n_states)[:n_states]
    if keep is not None:
        counts = counts[:, keep]
    total = counts.sum(axis=1, keepdims=True)
    f = np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.sum(np.where(f > 0, f * np.log(f), 0.0), axis=1)


def entropy_correction(F, entropies):
    """``F_ij - c sqrt(s_i s_j)`` with ``c`` fitted by least squares over ``i < j``."""
    n = F.shape[0]
    background = np.sqrt(np.outer(entropies, entropies))
    i, j = np.triu_indices(n, k=1)
    denominator = np.sum(background[i, j] ** 2)
    slope = np.sum(F[i, j] * background[i, j]) / denominator if denominator > 0 else 0.0
    out = F - slope * background
    out = 0.5 * (out + out.T)
    np.fill_diagonal(out, 0.0)
    return out
