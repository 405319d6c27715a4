"""Alignment formats, focus mode, gap handling and the streaming reader's memory."""

import gzip
import io
import tracemalloc

import numpy as np
import pytest

from sklearn_plm.datasets import PROTEIN_ALPHABET, read_alignment, sequence_weights

FASTA = ">a/5-9 first\nACD-e.F\n>b\n-CDWyF.\n>c\nKCD-..F\n"
MATCH = ["ACD-F", "-CDWF", "KCD-F"]

STOCKHOLM = """# STOCKHOLM 1.0
#=GF ID   test
#=GS a/5-9 DE first

a/5-9   ACD-
b       -CDW
c       KCD-
#=GC SS_cons ....

a/5-9   e.F
b       yF.
c       ..F
//
ignored  ACDEF
"""

A3M = "#A3M header line\n>a/5-9\nACD-eF\n>b\n-CDWyF\n>c\nKCD-F\n"


def decoded(X, alphabet=PROTEIN_ALPHABET):
    return ["".join("-" if np.isnan(c) else alphabet[int(c)] for c in row) for row in X]


@pytest.mark.parametrize("text, fmt", [(FASTA, "auto"), (STOCKHOLM, "auto"),
                                        (STOCKHOLM, "stockholm"), (A3M, "a3m")])
def test_formats_give_the_same_codes(text, fmt):
    X, alphabet, names = read_alignment(io.StringIO(text), format=fmt, return_names=True)
    assert decoded(X, alphabet) == MATCH
    assert names[1:] == ["b", "c"] and names[0].startswith("a/5-9")


def test_stockholm_blocks_in_another_order_and_streams():
    reordered = ("# STOCKHOLM 1.0\na/5-9 ACD-\nb -CDW\nc KCD-\n\n"
                 "b yF.\na/5-9 e.F\nc ..F\n//\n")
    assert decoded(read_alignment(io.StringIO(reordered))[0]) == MATCH
    # read once as a stream that cannot seek: pieces are joined by name from the start
    stream = io.BufferedReader(io.BytesIO(STOCKHOLM.encode()))
    stream.seekable = lambda: False
    assert decoded(read_alignment(stream)[0]) == MATCH


def test_stockholm_suffix_and_bad_line(tmp_path):
    path = tmp_path / "msa.sto"
    path.write_text(STOCKHOLM.replace("# STOCKHOLM 1.0\n", ""))
    assert decoded(read_alignment(path)[0]) == MATCH
    with pytest.raises(ValueError, match="not '<name> <aligned sequence>'"):
        read_alignment(io.StringIO("# STOCKHOLM 1.0\nonly_a_name\n//\n"))


def test_gzip_and_bom(tmp_path):
    plain = read_alignment(io.StringIO(FASTA))[0]
    gz = tmp_path / "msa.fa.gz"
    with gzip.open(gz, "wt") as f:
        f.write("\ufeff" + FASTA)
    np.testing.assert_array_equal(read_alignment(gz)[0], plain)
    with open(gz, "rb") as f:
        np.testing.assert_array_equal(read_alignment(f)[0], plain)
    np.testing.assert_array_equal(read_alignment(io.BytesIO(gz.read_bytes()))[0], plain)
    np.testing.assert_array_equal(read_alignment(io.BytesIO(FASTA.encode()))[0], plain)
    bom = tmp_path / "bom.fa"
    bom.write_bytes(b"\xef\xbb\xbf" + FASTA.encode())
    np.testing.assert_array_equal(read_alignment(bom)[0], plain)
    np.testing.assert_array_equal(read_alignment(io.StringIO("\ufeff" + FASTA))[0], plain)
    sto = tmp_path / "msa.sto.gz"
    with gzip.open(sto, "wt") as f:
        f.write(STOCKHOLM.replace("# STOCKHOLM 1.0\n", ""))
    np.testing.assert_array_equal(read_alignment(sto)[0], plain)


def test_focus_columns_and_plmc_numbering():
    ali = read_alignment(io.StringIO(FASTA), focus="a", as_bunch=True)
    # focus row 'ACD-e.F': the gap column goes; 'e' and '.' are inserts (counted in
    # the numbering, as plmc counts every character of the focus row)
    assert decoded(ali.data) == ["ACDF", "-CDF", "KCDF"]
    assert ali.positions.tolist() == [5, 6, 7, 11]
    assert ali.focus_index == 0 and ali.focus_sequence == "ACDF"
    assert ali.focus_name == "a/5-9 first"
    # residue numbering counts the focus residues (lower case too), not its gaps
    ali = read_alignment(io.StringIO(FASTA), focus="a", numbering="residue", as_bunch=True)
    assert ali.positions.tolist() == [5, 6, 7, 9]
    # without a region the first character is 1; prefixes match, the first one wins
    ali = read_alignment(io.StringIO(">x1\nA-C\n>x2\nAAC\n"), focus="x", as_bunch=True)
    assert ali.focus_index == 0 and ali.positions.tolist() == [1, 3]
    ali = read_alignment(io.StringIO(FASTA), focus="b", as_bunch=True)
    assert ali.positions.tolist() == [2, 3, 4, 6] and ali.focus_sequence == "CDWF"
    no_focus = read_alignment(io.StringIO(FASTA), as_bunch=True)
    assert no_focus.positions.tolist() == [1, 2, 3, 4, 5] and no_focus.focus_index is None
    with pytest.raises(ValueError, match="No sequence name starts with the focus 'zz'"):
        read_alignment(io.StringIO(FASTA), focus="zz")


def test_focus_with_dropped_rows():
    text = ">a\nAXC-\n>f/3-6\nAC-D\n>b\nACCD\n"
    with pytest.warns(UserWarning, match="dropped 1 of 3 sequences"):
        ali = read_alignment(io.StringIO(text), focus="f", ambiguous="drop", as_bunch=True)
    assert ali.names == ["f/3-6", "b"] and ali.focus_index == 0
    assert ali.dropped.tolist() == [0] and ali.n_read == 3
    assert decoded(ali.data) == ["ACD", "ACD"] and ali.positions.tolist() == [3, 4, 6]
    with pytest.raises(ValueError, match="would drop it"):
        read_alignment(io.StringIO(text), focus="a", ambiguous="drop")


def test_gaps_missing():
    X, alphabet = read_alignment(io.StringIO(FASTA), gaps="missing")
    assert alphabet == PROTEIN_ALPHABET[1:] and X.dtype == np.float64
    assert decoded(X, alphabet) == MATCH
    assert np.isnan(X[0, 3]) and X[0, 0] == alphabet.index("A") == 0
    codes, _ = read_alignment(io.StringIO(FASTA))
    np.testing.assert_array_equal(np.where(codes == 0, np.nan, codes - 1.0), X)
    # weights count the gap as a state either way, as plmc's do
    np.testing.assert_array_equal(sequence_weights(X, 0.6), sequence_weights(codes, 0.6))
    with pytest.raises(ValueError, match="has no '-'"):
        read_alignment(io.StringIO(">r\nACGU\n"), alphabet="ACGU", gaps="missing")


def test_custom_alphabet_with_punctuation():
    text = ">r1\nA.C*^_\n>r2\n._^*CA\n"
    X, alphabet = read_alignment(io.StringIO(text), alphabet="._*^AC")
    np.testing.assert_array_equal(X, [[4, 0, 5, 2, 3, 1], [0, 1, 3, 2, 5, 4]])
    # without '.' in the alphabet it marks an insert column
    X, _ = read_alignment(io.StringIO(">r1\nA.C\n>r2\nA.C\n"), alphabet="AC")
    assert X.shape == (2, 2)
    with pytest.raises(ValueError, match="white space and '>'"):
        read_alignment(io.StringIO(">r\nAC\n"), alphabet="A C")


def _write_alignment(path, n_seq, length, seed=0):
    rng = np.random.default_rng(seed)
    symbols = np.frombuffer(PROTEIN_ALPHABET.encode(), dtype=np.uint8)
    with open(path, "wb") as f:
        for k in range(0, n_seq, 1000):
            rows = symbols[rng.integers(0, 21, size=(min(1000, n_seq - k), length))]
            f.write(b"".join(b">seq%d/1-%d\n" % (k + r, length) + rows[r].tobytes() + b"\n"
                             for r in range(rows.shape[0])))


@pytest.mark.parametrize("fmt", ["fasta", "stockholm"])
def test_streaming_reader_peak_memory(tmp_path, fmt):
    path = tmp_path / "big.fa"
    _write_alignment(path, 8000, 400)
    if fmt == "stockholm":
        words = path.read_text().split()
        path = tmp_path / "big.sto"
        path.write_text("# STOCKHOLM 1.0\n" + "".join(
            f"{words[k][1:]} {words[k + 1]}\n" for k in range(0, len(words), 2)) + "//\n")
        del words
    size = path.stat().st_size
    tracemalloc.start()
    try:
        X, _ = read_alignment(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert X.shape == (8000, 400)
    # the codes (~0.95x the file) and the names; the old reader peaked near 10x
    assert peak < 2.0 * size, peak / size
