"""
=============================================
Proteins: mutation effects on a WW domain
=============================================

A Potts model of a protein family scores mutations: the statistical energy difference
``E(mutant) - E(wild type)``, with ``E(x) = sum_i h_i(x_i) + sum_{i<j} J_ij(x_i, x_j)``, is the
log-probability ratio of the two sequences under the model. This is the score of EVmutation
(Hopf et al., Nat. Biotechnol. 35, 128 (2017)), which computes it from plmc's model. Negative
values mean the mutant is less probable than the wild type: predicted deleterious.

This example fits plmc's model (symmetric couplings, plmc's penalties) on the Pfam WW-domain
alignment in the focus of the first WW domain of human YAP1 (UniProt P46937, residues 173-202),
and computes

- the landscape of all single mutants of the YAP1 domain,
- the effects of natural homologs seen as multiple mutants of YAP1, against random sequences
  with the same number of mutations: natural sequences should look far more probable.

The alignment ships with ``logomaker``. ``pip install --no-deps logomaker`` is enough, because
only its data file is read.
"""

# %%
# Read the alignment in focus mode
# --------------------------------
# ``focus="P46937"`` keeps the columns where the YAP1 sequence has a residue, as plmc's ``-f``
# does. ``numbering="residue"`` numbers them by YAP1's residues from the start of its region
# (``P46937/173-202``); plmc's own numbering would also count the gap characters of the
# focus row, which Pfam alignments have.
import importlib.util
from pathlib import Path

spec = importlib.util.find_spec("logomaker")
if spec is None:
    raise SystemExit("This example needs the WW-domain alignment shipped with logomaker: "
                     "pip install --no-deps logomaker")

import matplotlib.pyplot as plt
import numpy as np

from sklearn_plm import PottsPseudoLikelihoodMemory
from sklearn_plm.datasets import read_alignment, sequence_weights

path = Path(spec.origin).parent / "examples" / "datafiles" / "ww_sequences.fa"
ali = read_alignment(path, focus="P46937", numbering="residue", ambiguous="drop",
                     as_bunch=True)
X, alphabet = ali.data, ali.alphabet
wild_type = ali.focus_sequence
print(f"{X.shape[0]} sequences x {X.shape[1]} focus columns; focus {ali.focus_name}: "
      f"{wild_type} (positions {ali.positions[0]}-{ali.positions[-1]})")

rng = np.random.default_rng(0)
held_out = rng.permutation(np.setdiff1d(np.arange(len(X)), [ali.focus_index]))[:300]
train = np.setdiff1d(np.arange(len(X)), held_out)
weights = sequence_weights(X[train], identity=0.8)

# %%
# Fit plmc's model
# ----------------
# ``penalty_scale="sum"`` states the penalties as plmc does (``-le``, ``-lh``); the coupling
# penalty follows EVcouplings' default, ``0.01 (N - 1) (q - 1)``.
N, q = X.shape[1], len(alphabet)
memory = PottsPseudoLikelihoodMemory(
    alpha=0.01 * (N - 1) * (q - 1), alpha_fields=0.01, penalty_scale="sum", symmetric=True,
    n_states=q, tol=1e-3, max_iter=500)
memory.fit(X[train].astype(np.float32), sample_weight=weights)
print(f"{memory.n_iter_} L-BFGS iterations, plmc objective {memory.loss_ * weights.sum():.1f}")

# %%
# All single mutants
# ------------------
# Mutants are written ``"<wild type><position><new residue>"`` in the focus numbering.
residues = alphabet[1:]  # no mutations to gaps
mutants = [f"{wt}{pos}{new}" for pos, wt in zip(ali.positions, wild_type) for new in residues]
effects = memory.mutation_effects(wild_type, mutants, positions=ali.positions,
                                  alphabet=alphabet).reshape(N, len(residues))
worst = np.unravel_index(np.argmin(effects), effects.shape)
print(f"most deleterious single mutant: {wild_type[worst[0]]}{ali.positions[worst[0]]}"
      f"{residues[worst[1]]} ({effects[worst]:.1f}); mean effect {effects.mean():.2f}")

# %%
# The two tryptophans that name the domain (W177 and W199 in YAP1) hold its fold and bind
# the ligand; the model should rank them among the least tolerant sites.
site_mean = effects.mean(axis=1)
for pos in (177, 199):
    k = int(np.flatnonzero(ali.positions == pos)[0])
    print(f"{wild_type[k]}{pos}: mean effect {site_mean[k]:.1f}, "
          f"rank {int(np.sum(site_mean < site_mean[k])) + 1} of {N} sites")

fig, ax = plt.subplots(figsize=(9, 4))
image = ax.imshow(effects.T, cmap="RdBu", vmin=-8, vmax=8, aspect="auto")
ax.set_xticks(np.arange(N), [f"{wt}\n{pos}" for wt, pos in zip(wild_type, ali.positions)],
              fontsize=7)
ax.set_yticks(np.arange(len(residues)), list(residues), fontsize=7)
ax.set_xlabel("YAP1 wild-type residue and position")
ax.set_ylabel("mutant residue")
fig.colorbar(image, ax=ax, label="E(mutant) - E(wild type)")
ax.set_title("Single mutants of the YAP1 WW domain")
fig.tight_layout()

# %%
# Natural homologs against random sequences
# -----------------------------------------
# A held-out natural WW domain differs from YAP1 at many sites. As a multiple mutant of YAP1
# its effect should be far higher than that of a random sequence changing the same sites to
# random residues. Index mutants (sites, new states, ``-1`` padding) avoid writing strings.
wt_codes = X[ali.focus_index].astype(int)
natural = X[held_out].astype(int)
sites = np.where(natural != wt_codes, np.arange(N), -1)
states = np.where(sites >= 0, natural, -1)
random_states = np.where(sites >= 0, rng.integers(1, q, size=sites.shape), -1)
random_states = np.where(random_states == wt_codes, (random_states % (q - 1)) + 1, random_states)
random_states = np.where(sites >= 0, random_states, -1)
natural_effects = memory.mutation_effects(wt_codes, (sites, states))
random_effects = memory.mutation_effects(wt_codes, (sites, random_states))
print(f"natural homologs above their random counterparts: "
      f"{np.mean(natural_effects > random_effects):.1%} of {len(held_out)}")

fig, ax = plt.subplots(figsize=(5, 4))
n_mut = (sites >= 0).sum(axis=1)
ax.scatter(n_mut, natural_effects, s=8, label="held-out natural sequences")
ax.scatter(n_mut, random_effects, s=8, label="random, same mutated sites")
ax.set_xlabel("number of mutations from YAP1")
ax.set_ylabel("E(sequence) - E(YAP1)")
ax.legend()
fig.tight_layout()
plt.show()
