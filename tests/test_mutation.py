"""Mutation effects: energy differences of single and multiple mutants."""

import numpy as np
import pytest

from sklearn_plm import PottsPseudoLikelihoodMemory, mutation_effects

ALPHABET = "ACGT"


@pytest.fixture(scope="module", params=[False, True], ids=["asymmetric", "symmetric"])
def memory(request):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 4, size=(300, 6))
    X[:, 3] = (X[:, 1] + (rng.random(300) < 0.2)) % 4
    return PottsPseudoLikelihoodMemory(alpha=1e-2, symmetric=request.param).fit(X)


def brute_force(memory, wt_codes, mutant_codes):
    # the model's energy is minus the log probability up to a constant
    return memory.energy(wt_codes[None].astype(float))[0] - memory.energy(
        np.asarray(mutant_codes, dtype=float))


def test_effects_are_energy_differences(memory):
    rng = np.random.default_rng(1)
    wt = rng.integers(0, 4, size=6)
    wt_text = "".join(ALPHABET[c] for c in wt)
    mutants, rows = [], []
    for order in (1, 2, 3, 6):
        for _ in range(10):
            sites = rng.choice(6, size=order, replace=False)
            new = (wt[sites] + rng.integers(1, 4, size=order)) % 4
            row = wt.copy()
            row[sites] = new
            rows.append(row)
            mutants.append(":".join(f"{ALPHABET[wt[s]]}{s + 1}{ALPHABET[b]}"
                                    for s, b in zip(sites, new)))
    effects = memory.mutation_effects(wt_text, mutants, alphabet=ALPHABET)
    np.testing.assert_allclose(effects, brute_force(memory, wt, rows), atol=1e-10)
    # codes, index arrays with padding, and the plain function agree
    sites = np.full((len(rows), 6), -1)
    states = np.full((len(rows), 6), -1)
    for r, row in enumerate(rows):
        changed = np.flatnonzero(row != wt)
        sites[r, :changed.size], states[r, :changed.size] = changed, row[changed]
    np.testing.assert_allclose(memory.mutation_effects(wt, (sites, states)), effects, atol=1e-12)
    np.testing.assert_allclose(
        mutation_effects(memory.coupling_, memory.fields_, wt_text, mutants, alphabet=ALPHABET),
        effects, atol=1e-12)


def test_sign_and_numbering(memory):
    wt = "ACGTAC"
    codes = np.array([ALPHABET.index(c) for c in wt])
    mutants = [codes.copy() for _ in range(3)]
    for b, row in zip((0, 1, 3), mutants):
        row[2] = b
    energy_change = memory.energy(np.array(mutants, dtype=float)) - memory.energy(
        codes[None].astype(float))
    eff = memory.mutation_effects(wt, ["G3A", "G3C", "3T"], alphabet=ALPHABET)
    # positive effect = lower energy = more probable mutant
    np.testing.assert_allclose(eff, -energy_change, atol=1e-10)
    if memory.symmetric:
        H = memory.local_fields(codes[None].astype(float))[0]
        np.testing.assert_allclose(eff, H[2, [0, 1, 3]] - H[2, 2], atol=1e-10)
    numbered = memory.mutation_effects(wt, ["G102C"], alphabet=ALPHABET,
                                       positions=np.arange(100, 106))
    assert numbered[0] == pytest.approx(eff[1])
    single = memory.mutation_effects(codes, (np.array([2]), [1]))
    assert single[0] == pytest.approx(eff[1])
    assert memory.mutation_effects(wt, ["wt", "A1A"], alphabet=ALPHABET).tolist() == [0, 0]


def test_bad_mutants_raise(memory):
    wt = "ACGTAC"
    cases = {
        "C1G": "wild type has 'A'",
        "A9G": "Position 9",
        "A1Z": "not in the alphabet",
        "A1G:A1C": "twice",
        "1-2": "Cannot read",
    }
    for text, message in cases.items():
        with pytest.raises(ValueError, match=message):
            memory.mutation_effects(wt, [text], alphabet=ALPHABET)
    with pytest.raises(ValueError, match="Pass the alphabet"):
        memory.mutation_effects(wt, ["A1G"])
    with pytest.raises(ValueError, match="has 5 sites"):
        memory.mutation_effects("ACGTA", ["A1G"], alphabet=ALPHABET)
    with pytest.raises(ValueError, match="same site twice"):
        memory.mutation_effects(np.zeros(6), (np.array([[1, 1]]), np.array([[2, 3]])))
    with pytest.raises(ValueError, match="Padding"):
        memory.mutation_effects(np.zeros(6), (np.array([[1, -1]]), np.array([[2, 3]])))
