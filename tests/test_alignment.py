"""Alignment reading, sequence reweighting and the WW-domain loader."""

import importlib.util
import io
import sys

import numpy as np
import pytest

from sklearn_plm.datasets._alignment import (
    PROTEIN_ALPHABET,
    load_ww_domain,
    read_alignment,
    sequence_weights,
)

A2M = """# a comment line, skipped
# another one, with a non-ASCII character: –
>seq1 first
ACD-e.F
GH
>seq2
-CDwYF.
GH

>seq3
XCD-F
GH
"""


def test_read_a2m_keeps_match_columns():
    X, alphabet, names = read_alignment(io.StringIO(A2M), return_names=True)
    assert alphabet == PROTEIN_ALPHABET
    assert names == ["seq1 first", "seq2", "seq3"]
    decoded = ["".join(alphabet[c] for c in row) for row in X]
    # 'X' is ambiguous and becomes a gap by default
    assert decoded == ["ACD-FGH", "-CDYFGH", "-CD-FGH"]
    assert X.dtype == np.int8
    assert X.shape == (3, 7)


def test_protein_alphabet_code_order():
    assert PROTEIN_ALPHABET == "-ACDEFGHIKLMNPQRSTVWY"
    X, _ = read_alignment(io.StringIO(">s\n" + PROTEIN_ALPHABET + "\n"))
    np.testing.assert_array_equal(X[0], np.arange(21))


def test_read_from_path_and_binary_file(tmp_path):
    path = tmp_path / "msa.a2m"
    path.write_text(A2M, encoding="utf-8")
    X_text, _ = read_alignment(io.StringIO(A2M))
    X_path, _ = read_alignment(path)
    X_str, _ = read_alignment(str(path))
    with open(path, "rb") as f:
        X_bin, _ = read_alignment(f)
    for X in (X_path, X_str, X_bin):
        np.testing.assert_array_equal(X, X_text)


def test_ambiguous_residue_options():
    text = ">a\nACDB\n>b\nACDE\n>c\nZCDE\n"
    X, alphabet = read_alignment(io.StringIO(text))
    assert "".join(alphabet[c] for c in X[0]) == "ACD-"
    with pytest.warns(UserWarning, match=r"dropped 2 of 3 sequences .* 1 'B', 1 'Z'"):
        dropped, _, names = read_alignment(io.StringIO(text), ambiguous="drop",
                                           return_names=True)
    assert names == ["b"] and dropped.shape == (1, 4)
    with pytest.raises(ValueError, match=r"Ambiguous residue 'B' in sequence 0 \('a'\)"):
        read_alignment(io.StringIO(text), ambiguous="error")
    # an alphabet that lists an ambiguity code keeps it as a state
    X, alphabet = read_alignment(io.StringIO(text), alphabet=PROTEIN_ALPHABET + "BZ")
    assert alphabet[X[0, 3]] == "B" and alphabet[X[2, 0]] == "Z"


def test_custom_alphabet():
    X, alphabet = read_alignment(io.StringIO(">r1\nACGU-\n>r2\nUUGA-\n"), alphabet="-ACGU")
    np.testing.assert_array_equal(X, [[1, 2, 3, 4, 0], [4, 4, 3, 1, 0]])
    with pytest.raises(ValueError, match="gap.*not in the alphabet"):
        read_alignment(io.StringIO(">r\nACX\n"), alphabet="ACGU")
    with pytest.raises(ValueError, match="repeat"):
        read_alignment(io.StringIO(">r\nAC\n"), alphabet="AAC")
    with pytest.raises(ValueError, match="lower case"):
        read_alignment(io.StringIO(">r\nAC\n"), alphabet="-ac")


def test_bad_alignments_raise_clear_errors():
    ragged = r"ragged: sequence 0 \('a'\) has 3 .* sequence 1 \('b'\) has 2"
    with pytest.raises(ValueError, match=ragged):
        read_alignment(io.StringIO(">a\nACD\n>b\nAC\n"))
    # lower case residues are inserts, so they do not rescue a short sequence
    with pytest.raises(ValueError, match="ragged"):
        read_alignment(io.StringIO(">a\nACD\n>b\nACd\n"))
    unknown = r"Unknown symbol '\*' in sequence 1 \('b'\) at match column 2"
    with pytest.raises(ValueError, match=unknown):
        read_alignment(io.StringIO(">a\nACD\n>b\nAC*\n"))
    with pytest.raises(ValueError, match="Unknown symbol"):
        read_alignment(io.StringIO(">a\nACD\n>b\nACÄ\n"))
    with pytest.raises(ValueError, match="before the first '>'"):
        read_alignment(io.StringIO("ACD\n>a\nACD\n"))
    with pytest.raises(ValueError, match="no sequences"):
        read_alignment(io.StringIO("# nothing\n"))
    with pytest.raises(ValueError, match="no match columns"):
        read_alignment(io.StringIO(">a\nacd\n"))


def reference_weights(X, identity):
    X = np.asarray(X)
    same = (X[:, None, :] == X[None, :, :]).mean(axis=2)
    return 1.0 / (same >= identity).sum(axis=1)


@pytest.mark.parametrize("identity", [0.0, 0.5, 0.8, 1.0])
def test_sequence_weights_match_brute_force(identity):
    rng = np.random.default_rng(0)
    base = rng.integers(0, 21, size=(30, 25))
    # families of near-duplicates, so that every threshold matters
    X = np.vstack([base, base[:10] * (rng.random((10, 25)) > 0.15),
                   base[:5] * (rng.random((5, 25)) > 0.4)])
    expected = reference_weights(X, identity)
    np.testing.assert_allclose(sequence_weights(X, identity=identity), expected)
    np.testing.assert_allclose(sequence_weights(X, identity=identity, n_jobs=2), expected)
    np.testing.assert_allclose(sequence_weights(X.astype(float), identity=identity), expected)
    # codes beyond one byte take the 32-bit path
    np.testing.assert_allclose(sequence_weights(X * 1000, identity=identity), expected)


def test_sequence_weights_threshold_is_inclusive():
    # 4 of 5 columns identical: 0.8 exactly
    X = [[1, 2, 3, 4, 5], [1, 2, 3, 4, 0], [9, 9, 9, 9, 9]]
    np.testing.assert_allclose(sequence_weights(X, identity=0.8), [0.5, 0.5, 1.0])
    np.testing.assert_allclose(sequence_weights(X, identity=0.81), [1.0, 1.0, 1.0])


def test_sequence_weights_long_alignment_early_exit():
    # longer than one comparison chunk, with the difference in the last chunk
    rng = np.random.default_rng(1)
    X = rng.integers(0, 4, size=(6, 150))
    X[1] = X[0]
    X[1, -20:] = (X[0, -20:] + 1) % 4
    np.testing.assert_allclose(sequence_weights(X, identity=0.9), reference_weights(X, 0.9))


def test_sequence_weights_bad_input():
    # NaN is a gap read with gaps="missing", one more state; infinity is an error
    np.testing.assert_array_equal(sequence_weights([[0.0, np.nan], [0.0, 1.0]], 0.9), [1, 1])
    np.testing.assert_array_equal(sequence_weights([[0.0, np.nan], [0.0, np.nan]], 0.9),
                                  [0.5, 0.5])
    with pytest.raises(ValueError, match="infinity"):
        sequence_weights([[0.0, np.inf]])
    with pytest.raises(ValueError, match="non-integer"):
        sequence_weights([[0.5, 1.0]])
    with pytest.raises(ValueError, match="identity"):
        sequence_weights([[0, 1]], identity=1.5)


def test_weights_work_as_sample_weight():
    from sklearn_plm._potts import PottsPseudoLikelihoodMemory

    rng = np.random.default_rng(2)
    X = rng.integers(0, 3, size=(12, 6))
    X = np.vstack([X, X[:4], X[:4]])  # three copies of four sequences
    w = sequence_weights(X, identity=1.0)
    np.testing.assert_allclose(w[:4], 1 / 3)
    weighted = PottsPseudoLikelihoodMemory(alpha=0.1, tol=1e-8).fit(X, sample_weight=w)
    unique = PottsPseudoLikelihoodMemory(alpha=0.1, tol=1e-8).fit(X[:12])
    np.testing.assert_allclose(weighted.coupling_, unique.coupling_, atol=1e-6)


has_logomaker = importlib.util.find_spec("logomaker") is not None


@pytest.mark.skipif(not has_logomaker, reason="logomaker is not installed")
def test_load_ww_domain():
    sys.modules.pop("logomaker", None)
    ww = load_ww_domain()
    assert "logomaker" not in sys.modules
    assert ww.data.shape == (4025, 31) and ww.data.dtype == np.int8
    assert ww.data.min() >= 0 and ww.data.max() <= 20
    assert ww.alphabet == PROTEIN_ALPHABET and len(ww.names) == 4025
    assert "".join(ww.alphabet[c] for c in ww.data[0]) == "LPPQWTEAVDVDTGKFYFVHVETKETRWERP"
    # the two conserved tryptophans of the WW domain
    assert np.mean(ww.data[:, 4] == ww.alphabet.index("W")) > 0.8
    dropped = load_ww_domain(ambiguous="drop")
    assert dropped.data.shape == (4024, 31)
    w = sequence_weights(ww.data, identity=0.8)
    assert 1000 < w.sum() < 4025


def test_load_ww_domain_without_logomaker(monkeypatch):
    real = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        return None if name == "logomaker" else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(ImportError, match="pip install logomaker"):
        load_ww_domain()
