"""
=======================================================
From memorization to generalization: random features
=======================================================

Real data are not random patterns: examples share structure. The *random-feature model*
(:func:`~sklearn_plm.datasets.make_random_features`) is the simplest such data. ``D`` hidden
features ``f^k`` are random +-1 vectors, and every example is the sign of a mixture of three
of them, ``x = sign(c1 f^a + c2 f^b + c3 f^c)``. Test examples are new mixtures of the same
features.

A :class:`~sklearn_plm.PseudoLikelihoodMemory` is trained on ``P`` examples of ``N = 200``
spins. For every example we start the dynamics *at* it and measure the overlap of where it
ends with where it started (1 means the example is a fixed point):

- **train**: examples it was trained on (memorization);
- **test**: unseen mixtures (generalization);
- **features**: the hidden features themselves, which it never saw alone.
"""

# %%
# Train at increasing load
# ------------------------
import matplotlib.pyplot as plt
import numpy as np

from sklearn_plm import HopfieldMemory, PseudoLikelihoodMemory
from sklearn_plm.datasets import make_random_features
from sklearn_plm.metrics import overlap

N = 200
n_train = [10, 20, 40, 80, 160, 320, 640]


def stays(memory, X):
    """Mean overlap between each row and the fixed point reached from it."""
    return overlap(X, memory.transform(X)).mean()


results = {}
for D in [10, 40]:
    rows = []
    for P in n_train:
        data = make_random_features(P, N, D, n_test=300, random_state=0)
        memory = PseudoLikelihoodMemory(alpha=1e-2, max_iter=300).fit(data.X_train)
        hebb = HopfieldMemory().fit(data.X_train)
        rows.append([stays(memory, data.X_train), stays(memory, data.X_test),
                     stays(memory, data.features), stays(hebb, data.X_test)])
    results[D] = np.array(rows)
    print(f"D = {D}: test overlap " + " ".join(f"{v:.2f}" for v in results[D][:, 1]))

# %%
# Plot
# ----
loads = np.array(n_train) / N
fig, axes = plt.subplots(1, 2, figsize=(9, 3.8), sharey=True)
for ax, (D, r) in zip(axes, results.items()):
    ax.plot(loads, r[:, 0], "C0-o", label="PL: train examples")
    ax.plot(loads, r[:, 1], "C3-s", label="PL: test examples")
    ax.plot(loads, r[:, 2], "C2-^", label="PL: hidden features")
    ax.plot(loads, r[:, 3], "C7--x", label="Hebb: test examples")
    ax.set_xscale("log")
    ax.set_xticks(loads, [f"{v:g}" for v in loads], minor=False)
    ax.minorticks_off()
    ax.set_xlabel("load P/N (training examples per spin)")
    ax.set_title(f"D = {D} hidden features (D/N = {D / N:g})")
axes[0].set_ylabel("overlap after recall from the example")
axes[0].legend(loc="lower right", fontsize=9)
fig.tight_layout()
plt.show()

# %%
# With few examples the memory stores each of them (train overlap 1), but unseen mixtures
# are not attractors: it has *memorized*. With ``D/N = 0.05`` (left), as the number of
# examples grows, first the hidden features and then unseen mixtures become fixed points,
# while the training examples stay stored: it has *generalized*. With four times more hidden
# features (right) the features are still learned, but the test overlap levels off near 0.7.
# D'Amico et al. find that unseen mixtures become attractors only below ``D/N`` of about
# 0.09. Hebb's rule, trained on the same data, makes no unseen mixture a fixed point at these
# loads.
