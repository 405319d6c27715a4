"""
========================================================
Proteins: predicted contacts against a crystal structure
========================================================

Direct coupling analysis is judged by one number: of the pairs of alignment columns with the
strongest couplings, how many are residues in contact in a structure of the protein? This
example fits a :class:`~sklearn_plm.PottsPseudoLikelihoodMemory` on the Kunitz/BPTI domain
(Pfam PF00014, 53 columns), ranks the pairs of columns with
:meth:`~sklearn_plm.PottsPseudoLikelihoodMemory.contact_map`, scores the ranking against the
residue distances of a crystal structure with :func:`~sklearn_plm.metrics.contact_precision`,
and draws the predicted contacts over the true ones.

The alignment and the distances are the ArDCA benchmark files (Trinquier et al. 2021),
downloaded once by :func:`~sklearn_plm.datasets.fetch_protein_family` into scikit-learn's
data home (or copied from the folder named by ``SKLEARN_PLM_FAMILIES_DIR``). To keep the example
fast it fits 3000 of the 13600 sequences; ``benchmarks/bench_contacts.py`` runs the full
families beside plmc and CCMpred (:doc:`../benchmarks`).
"""

# %%
# Load the alignment and the structure
# ------------------------------------
# :func:`~sklearn_plm.datasets.fetch_protein_family` returns the sequences coded as
# ``0..20`` (the gap is 0) and the ``(L, L)`` residue distances of a crystal structure in
# Angstrom, NaN for the pairs the structure does not resolve.
import matplotlib.pyplot as plt
import numpy as np

from sklearn_plm import PottsPseudoLikelihoodMemory
from sklearn_plm.datasets import fetch_protein_family, sequence_weights
from sklearn_plm.metrics import contact_precision

family = fetch_protein_family("PF00014")
X, D = family.data, family.distances
L = X.shape[1]
rng = np.random.default_rng(0)
# float32, as plmc's recommended build (0.8x the CPU of float64 on the full family)
X = X[rng.choice(len(X), size=3000, replace=False)].astype(np.float32)
weights = sequence_weights(X, identity=0.8)
print(f"{X.shape[0]} sequences x {L} columns, {weights.sum():.0f} effective sequences")

# %%
# Fit for contacts
# ----------------
# The recipe of :ref:`contacts`: the penalty grows with the number of columns and shrinks
# with the effective number of sequences (``0.5 (L - 1) / W``: plmc and CCMpred use
# ``0.2 (L - 1) / W``; 0.5 ranked contacts at least as well on both benchmark families,
# in less time), and a loose tolerance, because the ranking of the pairs settles long
# before the couplings do.
W = weights.sum()
memory = PottsPseudoLikelihoodMemory(alpha=0.5 * (L - 1) / W, n_states=21, tol=1e-2)
memory.fit(X, sample_weight=weights)

# %%
# Score the contacts
# ------------------
# The scores are the norms of the coupling blocks without the gap state, with the
# average-product correction. ``contact_precision`` ranks the pairs with ``|i - j| > 4``
# and counts those closer than 8 Angstrom among the top L/5, L/2, L and 2L.
scores = memory.contact_map(ignore_states=[0])
ks = ["L/5", "L/2", "L", "2L"]
precision = contact_precision(scores, D, k=ks)
print("precision (APC):     ", "  ".join(f"{k}: {p:.2f}" for k, p in zip(ks, precision)))
entropic = memory.contact_map(ignore_states=[0], correction="entropy", X=X,
                              sample_weight=weights)
print("precision (entropy): ", "  ".join(
    f"{k}: {p:.2f}" for k, p in zip(ks, contact_precision(entropic, D, k=ks))))

# %%
# Plot the predicted map over the true one
# ----------------------------------------
# Grey: residue pairs closer than 8 Angstrom in the structure (both triangles). Upper
# triangle: the top 2L predicted pairs with ``|i - j| > 4``, green when they are contacts,
# red when not.
i, j = np.triu_indices(L, 5)
listed = ~np.isnan(D[i, j])
i, j = i[listed], j[listed]
order = np.argsort(-scores[i, j], kind="stable")[:2 * L]
top_i, top_j = i[order], j[order]
hit = D[top_i, top_j] < 8

contacts = np.argwhere(np.nan_to_num(D, nan=np.inf) < 8)
contacts = contacts[np.abs(contacts[:, 0] - contacts[:, 1]) > 4]
fig, ax = plt.subplots(figsize=(5.6, 5.4))
ax.scatter(contacts[:, 0] + 1, contacts[:, 1] + 1, s=30, c="0.8", marker="s",
           label="contact in the structure")
ax.scatter(top_i[hit] + 1, top_j[hit] + 1, s=14, c="C2", label="predicted, true")
ax.scatter(top_i[~hit] + 1, top_j[~hit] + 1, s=14, c="C3", label="predicted, false")
ax.plot([1, L], [1, L], c="0.5", lw=0.8)
ax.set_xlim(0.5, L + 0.5)
ax.set_ylim(0.5, L + 0.5)
ax.set_aspect("equal")
ax.set_xlabel("column i")
ax.set_ylabel("column j")
ax.set_title(f"PF00014: top {2 * L} pairs, precision {precision[-1]:.2f}")
ax.legend(loc="lower right", fontsize=8)
fig.tight_layout()
plt.show()

# %%
# Almost every one of the strongest pairs is a contact; the false ones come in the last
# ranks of the top 2L. :func:`~sklearn_plm.metrics.make_contact_scorer` turns the same
# measure into a scorer, to choose ``alpha`` by contacts with
# :class:`~sklearn.model_selection.GridSearchCV` when a structure is known.
