"""
=========================================================
Basins of attraction: pseudo-likelihood vs Hopfield rules
=========================================================

A memory is only useful if corrupted patterns flow back to the stored ones. The *basin size*
of a pattern is ``1 - m_in*``, where ``m_in*`` is the smallest overlap with the pattern from
which the zero-temperature dynamics still returns to it exactly
(:func:`~sklearn_plm.metrics.basin_size`).

This example stores random patterns of ``N = 200`` spins at increasing load ``P / N`` and
compares the basins of :class:`~sklearn_plm.PseudoLikelihoodMemory` (asymmetric and
symmetric) with those of the classical rules of :class:`~sklearn_plm.HopfieldMemory`: Hebb,
pseudo-inverse, Storkey, and the maximal-stability perceptron.
"""

# %%
# The memories
# ------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_plm import HopfieldMemory, PseudoLikelihoodMemory
from sklearn_plm.datasets import make_random_patterns
from sklearn_plm.metrics import basin_size

N = 200
loads = [0.1, 0.25, 0.4, 0.55, 0.7]
m_in = np.linspace(0, 1, 21)
# A row that does not converge in 50 synchronous steps counts as not retrieved.
recall = dict(max_recall_iter=50)
memories = {
    "PL (asymmetric)": PseudoLikelihoodMemory(alpha=1e-3, max_iter=500, **recall),
    "PL (symmetric)": PseudoLikelihoodMemory(alpha=1e-3, symmetric=True, max_iter=500, **recall),
    "max. stability": HopfieldMemory(rule="perceptron", margin="max", **recall),
    "pseudo-inverse": HopfieldMemory(rule="pseudo-inverse", **recall),
    "Storkey": HopfieldMemory(rule="storkey", **recall),
    "Hebb": HopfieldMemory(rule="hebb", **recall),
}

# %%
# Measure the basins
# ------------------
# For each load, fit every memory on the same patterns. Then corrupt each pattern to every
# initial overlap of the grid and record where recall ends.
basins = {name: [] for name in memories}
curves = {}
for load in loads:
    X = make_random_patterns(int(load * N), N, random_state=0)
    for name, memory in memories.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            memory.fit(X)
        result = basin_size(memory, X, m_in, criterion="pattern", random_state=0)
        basins[name].append(result.basin_size)
        if load == 0.4:
            curves[name] = result.final_overlap.mean(axis=0)

print("basin size at P/N =".ljust(20) + "".join(f"{load:>6}" for load in loads))
for name, values in basins.items():
    print(name.rjust(18) + "  " + "".join(f"{b:6.2f}" for b in values))

# %%
# Plot
# ----
# Left: the mean final overlap against the initial overlap at load 0.4. A curve that reaches
# 1 early has a large basin. Right: the basin size against the load.
styles = {"PL (asymmetric)": "C0-o", "PL (symmetric)": "C0--s", "max. stability": "C3-^",
          "pseudo-inverse": "C2-v", "Storkey": "C1-D", "Hebb": "C7-x"}
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
for name, curve in curves.items():
    ax1.plot(m_in, curve, styles[name], ms=4, label=name)
ax1.plot([0, 1], [0, 1], color="k", lw=0.5, ls=":")
ax1.set_xlabel("initial overlap $m_{in}$")
ax1.set_ylabel("final overlap $m_F$")
ax1.set_title("recall at load P/N = 0.4")
for name, values in basins.items():
    ax2.plot(loads, values, styles[name], ms=5, label=name)
ax2.set_xlabel("load P/N")
ax2.set_ylabel("basin size $1 - m_{in}^*$")
ax2.set_title(f"basins of random patterns, N = {N}")
ax2.legend(fontsize=9)
fig.tight_layout()
plt.show()

# %%
# Hebb's rule stores nothing beyond about 0.14 patterns per spin. The pseudo-inverse and
# Storkey rules store the patterns, but their basins shrink quickly. Pseudo-likelihood has the
# largest basins at every load. They are as large as those of the maximal-stability
# perceptron, or slightly larger, and PL approaches that perceptron as its penalty ``alpha``
# goes to zero (see :ref:`training`). The symmetric variant matches the asymmetric one at low
# load and starts to fall behind as the load grows. Its capacity is half that of asymmetric
# couplings, and in the paper its basins vanish between 0.8 and 0.9 patterns per spin.
