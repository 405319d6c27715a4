"""Classical learning rules for binary Hopfield networks.

Each rule maps spins ``S`` (n_samples, n_features) in {-1, +1} to couplings
with a zero diagonal.
"""

import numpy as np


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
