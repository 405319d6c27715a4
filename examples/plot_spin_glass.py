"""
=====================================================
An inverse problem: couplings of a spin glass
=====================================================

Pseudo-likelihood is also a classical estimator of the couplings of an Ising model from its
samples (the *inverse Ising problem*). It is consistent: with enough samples it recovers the
couplings that generated them.

:func:`~sklearn_plm.datasets.make_spin_glass` draws equilibrium samples of a 2D
Edwards-Anderson spin glass on an ``L x L`` periodic lattice, with nearest-neighbour
couplings ``J_ij = +-1`` at temperature ``T``. This is the physical system of the paper's
spin-glass experiment, here at ``L = 8`` and ``T = 1.5`` instead of ``L = 32`` and
``T = 0.99``. A :class:`~sklearn_plm.PseudoLikelihoodMemory` with ``beta=1`` fitted on the
samples estimates ``J / T``.
"""

# %%
# Sample the spin glass
# ---------------------
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker

from sklearn_plm import PseudoLikelihoodMemory
from sklearn_plm.datasets import make_spin_glass

L, T = 8, 1.5
glass = make_spin_glass(L, T, 8000, n_sweeps_between=10, n_burn_in=500, n_jobs=2,
                        random_state=0)
J_true = glass.coupling / T
swaps = glass.swap_acceptance
print(f"{glass.data.shape[0]} samples of {L * L} spins; "
      f"replica-swap acceptance {swaps.min():.2f}-{swaps.max():.2f}")

# %%
# Fit on more and more samples
# ----------------------------
# The fit is asymmetric (one logistic regression per spin), so each pair of spins gets two
# estimates, ``J_ij`` and ``J_ji``. Their mean is the estimate of the symmetric coupling.
n_samples = [100, 300, 1000, 3000, 8000]
errors = []
for P in n_samples:
    memory = PseudoLikelihoodMemory(alpha=1e-2).fit(glass.data[:P])
    J = 0.5 * (memory.coupling_ + memory.coupling_.T)
    errors.append(np.linalg.norm(J - J_true) / np.linalg.norm(J_true))
    print(f"P = {P:5d}: relative error {errors[-1]:.3f}")

# %%
# Learned against true couplings
# ------------------------------
# With all 8000 samples: the learned couplings of neighbouring spins cluster around the true
# ``+-1/T``, and those of non-neighbours around 0. The right panel shows the coupling row of
# one spin as an ``L x L`` image. It finds the spin's four lattice neighbours.
neighbours = J_true != 0
off_diagonal = ~np.eye(L * L, dtype=bool)
site = (L // 2) * L + L // 2

fig, axes = plt.subplots(1, 4, figsize=(12, 3.4), layout="constrained",
                         gridspec_kw={"width_ratios": [1.2, 1.2, 1, 1]})
axes[0].loglog(n_samples, errors, "o-", label="PL estimate")
reference = errors[-1] * np.sqrt(n_samples[-1] / np.array(n_samples[2:], dtype=float))
axes[0].loglog(n_samples[2:], reference, "k:", label=r"slope of $1/\sqrt{P}$")
axes[0].set_yticks([0.2, 0.3, 0.5, 1, 1.5])
axes[0].yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
axes[0].yaxis.set_minor_formatter(ticker.NullFormatter())
axes[0].set_xlabel("number of samples P")
axes[0].set_ylabel("relative error of J")
axes[0].set_title("reconstruction error")
axes[0].legend(fontsize=8)

bins = np.linspace(-1, 1, 81)
axes[1].hist(J[neighbours], bins=bins, color="C3", label="neighbours")
axes[1].hist(J[off_diagonal & ~neighbours], bins=bins, color="C7", alpha=0.7,
             label="non-neighbours")
for v in (-1 / T, 1 / T):
    axes[1].axvline(v, color="k", ls="--", lw=1)
axes[1].set_yscale("log")
axes[1].set_xlabel(r"learned coupling (dashed: true $\pm 1/T$)")
axes[1].set_ylabel("pairs of spins")
axes[1].set_title("learned couplings, P = 8000")
axes[1].legend(fontsize=8, loc="upper left")

for ax, M, title in [(axes[2], J_true, "true row of one spin"),
                     (axes[3], J, "learned row")]:
    im = ax.imshow(M[site].reshape(L, L), cmap="RdBu_r", vmin=-1.2 / T, vmax=1.2 / T)
    ax.plot(site % L, site // L, "k*", ms=10)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
fig.colorbar(im, ax=axes[2:], shrink=0.8, label="coupling to the starred spin")
plt.show()

# %%
# The error falls roughly like ``1 / sqrt(P)`` once there are enough samples. With few
# samples it is larger than the couplings themselves, dominated by noise on the many zero
# couplings. That is where the
# penalty ``alpha`` helps, and where cross-validating it with the default score (the held-out
# pseudo-log-likelihood) pays off (see :ref:`model_selection`).
