"""Multiple sequence alignments as integer state codes for Potts models."""

import importlib.util
import io
import math
import os
import string
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from joblib import effective_n_jobs
from sklearn.utils import Bunch, check_array

from .._sklearn_compat import Interval, StrOptions, validate_params
from ._alignment_fast import count_similar

#: Gap first, then the 20 amino acids in alphabetical order of their one-letter
#: codes: ``-`` is 0, ``A`` is 1, ..., ``Y`` is 20 (q = 21).
PROTEIN_ALPHABET = "-ACDEFGHIKLMNPQRSTVWY"

#: Ambiguity and rare-residue codes of protein sequences: B (D or N), J (I or
#: L), O (pyrrolysine), U (selenocysteine), X (any), Z (E or Q).
AMBIGUOUS_RESIDUES = "BJOUXZ"

_WW_PACKAGE = "logomaker"
_WW_FILE = Path("examples", "datafiles", "ww_sequences.fa")

# A2M insert states: lower-case residues and '.' gaps are not match columns.
_DROP_INSERTS = str.maketrans("", "", string.ascii_lowercase + ".")
_DROP_SPACE = str.maketrans("", "", string.whitespace)


def _check_alphabet(alphabet):
    if not isinstance(alphabet, str) or not alphabet:
        raise ValueError(f"alphabet must be a non-empty string; got {alphabet!r}.")
    if len(set(alphabet)) != len(alphabet):
        raise ValueError(f"alphabet must not repeat symbols; got {alphabet!r}.")
    inserts = string.ascii_lowercase + "."
    bad = [c for c in alphabet if not c.isascii() or c in inserts or c.isspace()]
    if bad:
        raise ValueError(
            f"alphabet symbols must be printable ASCII other than lower case letters "
            f"and '.', which mark insert columns; got {bad[0]!r}.")
    if len(alphabet) > 127:
        raise ValueError(f"alphabet has {len(alphabet)} symbols; at most 127 are supported.")


def _parse_fasta(lines):
    """(names, match-column strings) of an aligned FASTA / A2M text."""
    names, chunks = [], []
    for lineno, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            line = line.decode("utf-8", errors="replace")
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(">"):
            names.append(line[1:].strip())
            chunks.append([])
        elif not names:
            raise ValueError(
                f"Line {lineno} holds sequence data before the first '>' header; "
                "expected aligned FASTA or A2M.")
        else:
            chunks[-1].append(line)
    seqs = ["".join(c).translate(_DROP_SPACE).translate(_DROP_INSERTS) for c in chunks]
    return names, seqs


def _encode(names, seqs, alphabet, ambiguous):
    if not seqs:
        raise ValueError("The alignment holds no sequences (no '>' header found).")
    length = len(seqs[0])
    for k, s in enumerate(seqs):
        if len(s) != length:
            raise ValueError(
                "The alignment is ragged: sequence 0 ('{}') has {} match columns but "
                "sequence {} ('{}') has {}. Match columns are upper case letters and "
                "'-'; lower case letters and '.' are insert columns and are dropped."
                .format(names[0], length, k, names[k], len(s)))
    if length == 0:
        raise ValueError("The alignment has no match columns (upper case letters or '-').")
    table = np.full(256, -1, dtype=np.int16)  # -1: unknown, -2: ambiguous
    for c in AMBIGUOUS_RESIDUES:
        table[ord(c)] = -2
    for code, c in enumerate(alphabet):
        table[ord(c)] = code
    text = "".join(seqs)
    raw = np.frombuffer(text.encode("ascii", errors="replace"), dtype=np.uint8)
    if raw.size != len(text):  # pragma: no cover - 'replace' keeps one byte per char
        raise ValueError("The alignment holds non-ASCII symbols.")
    codes = table[raw].reshape(len(seqs), length)
    unknown = codes == -1
    if unknown.any():
        row, col = np.argwhere(unknown)[0]
        symbol = seqs[row][col]
        raise ValueError(
            f"Unknown symbol {symbol!r} in sequence {row} ('{names[row]}') at match column "
            f"{col}; the alphabet is {alphabet!r}. Pass an alphabet that includes it.")
    ambig = codes == -2
    if ambig.any():
        if ambiguous == "error":
            row, col = np.argwhere(ambig)[0]
            raise ValueError(
                f"Ambiguous residue {seqs[row][col]!r} in sequence {row} ('{names[row]}') at "
                f"match column {col}; use ambiguous='gap' or 'drop' to accept it.")
        if ambiguous == "gap":
            if "-" not in alphabet:
                raise ValueError(
                    "ambiguous='gap' maps ambiguous residues to '-', which is not in the "
                    f"alphabet {alphabet!r}; add it, or use ambiguous='drop'.")
            codes[ambig] = alphabet.index("-")
        else:
            keep = ~ambig.any(axis=1)
            codes = codes[keep]
            names = [n for n, k in zip(names, keep) if k]
    return codes.astype(np.int8), names


@validate_params(
    {
        "path_or_file": [str, os.PathLike, io.IOBase],
        "alphabet": [str],
        "ambiguous": [StrOptions({"gap", "drop", "error"})],
        "return_names": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def read_alignment(path_or_file, *, alphabet=PROTEIN_ALPHABET, ambiguous="gap", return_names=False):
    """Read an aligned FASTA or A2M file into integer state codes.

    Match columns (upper case letters and ``-``) are kept; insert columns
    (lower case letters and ``.``, as in A2M and Pfam's aligned FASTA) are
    dropped, so every sequence must have the same number of match columns.
    Lines starting with ``#`` and blank lines are skipped.

    Parameters
    ----------
    path_or_file : str, path-like or file object
        The alignment, or an open text (or binary) file.
    alphabet : str, default=PROTEIN_ALPHABET
        Symbols in code order: symbol ``alphabet[k]`` becomes code ``k``. The
        default ``"-ACDEFGHIKLMNPQRSTVWY"`` codes the gap as 0 and the 20
        amino acids as 1..20 in alphabetical order (q = 21).
    ambiguous : {"gap", "drop", "error"}, default="gap"
        Treatment of the ambiguous or rare residues ``B J O U X Z`` when the
        alphabet does not list them: code them as the gap (as plmDCA does),
        drop the sequences that contain any, or raise. Any other symbol
        outside the alphabet raises a ValueError.
    return_names : bool, default=False
        Also return the sequence names (the header lines without ``>``).

    Returns
    -------
    X : ndarray of shape (n_sequences, n_columns), dtype int8
        State codes ``0, ..., len(alphabet) - 1``.
    alphabet : str
        The alphabet, for decoding (``alphabet[X[i, j]]``).
    names : list of str
        Only when ``return_names=True``.

    Examples
    --------
    >>> import io
    >>> from sklearn_plm.datasets import read_alignment
    >>> a2m = io.StringIO(">s1\\nAC-d.E\\n>s2\\nW-Y..C\\n")
    >>> X, alphabet = read_alignment(a2m)
    >>> X
    array([[ 1,  2,  0,  4],
           [19,  0, 20,  2]], dtype=int8)
    >>> "".join(alphabet[c] for c in X[1])
    'W-YC'
    """
    _check_alphabet(alphabet)
    if hasattr(path_or_file, "read"):
        names, seqs = _parse_fasta(path_or_file)
    else:
        with open(path_or_file, encoding="utf-8", errors="replace") as f:
            names, seqs = _parse_fasta(f)
    X, names = _encode(names, seqs, alphabet, ambiguous)
    if return_names:
        return X, alphabet, names
    return X, alphabet


@validate_params(
    {
        "X": ["array-like"],
        "identity": [Interval(Real, 0, 1, closed="both")],
        "n_jobs": [Integral, None],
    },
    prefer_skip_nested_validation=True,
)
def sequence_weights(X, identity=0.8, n_jobs=None):
    """Standard DCA reweighting of redundant sequences.

    The weight of a sequence is ``1 / n``, with ``n`` the number of sequences
    (itself included) whose fraction of identical columns with it is at least
    ``identity``; gaps count as a state. Their sum is the effective number of
    sequences. Pass them as ``sample_weight`` to a Potts fit.

    Parameters
    ----------
    X : array-like of shape (n_sequences, n_columns)
        Integer state codes, e.g. from :func:`read_alignment`.
    identity : float, default=0.8
        Identity threshold (plmDCA's ``1 - theta``).
    n_jobs : int, default=None
        OpenMP threads; ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context, ``-1`` all processors.

    Returns
    -------
    weights : ndarray of shape (n_sequences,)
        Float64 weights in ``(0, 1]``.

    Examples
    --------
    >>> from sklearn_plm.datasets import sequence_weights
    >>> X = [[1, 2, 3, 4, 5], [1, 2, 3, 4, 6], [7, 8, 9, 10, 11]]
    >>> sequence_weights(X, identity=0.8)
    array([0.5, 0.5, 1. ])
    """
    X = check_array(X, dtype=None, ensure_all_finite=True, ensure_min_features=1)
    if X.dtype.kind == "f":
        if not np.array_equal(X, np.rint(X)):
            raise ValueError(
                "sequence_weights expects integer state codes; X has non-integer values.")
    elif X.dtype.kind not in "iub":
        raise ValueError(f"sequence_weights expects integer state codes; got dtype {X.dtype}.")
    lo, hi = (X.min(), X.max()) if X.size else (0, 0)
    if lo >= 0 and hi < 256:
        codes = np.ascontiguousarray(X, dtype=np.uint8)
    elif lo >= np.iinfo(np.int32).min and hi <= np.iinfo(np.int32).max:
        codes = np.ascontiguousarray(X, dtype=np.int32)
    else:
        raise ValueError("sequence_weights expects state codes that fit in 32-bit integers.")
    n_seq, n_col = codes.shape
    # identical columns >= identity * n_col, with a margin for 0.8 * 5 = 4.000...01
    min_matches = max(0, math.ceil(identity * n_col - 1e-9))
    counts = np.zeros(n_seq, dtype=np.int32)
    count_similar(codes, n_col - min_matches, counts, max(1, effective_n_jobs(n_jobs)))
    return 1.0 / counts


def _ww_path():
    """Locate the WW alignment inside the logomaker wheel without importing logomaker."""
    spec = importlib.util.find_spec(_WW_PACKAGE)
    if spec is None or spec.origin is None:
        raise ImportError(
            "load_ww_domain reads the Pfam WW-domain alignment shipped with the "
            "'logomaker' package, which is not installed. Install it with "
            "`pip install logomaker` (or `pip install --no-deps logomaker`: only the "
            "data file is used).")
    path = Path(spec.origin).parent / _WW_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"The installed logomaker has no {_WW_FILE.as_posix()}; install a version "
            "that ships it with `pip install 'logomaker>=0.8'`.")
    return path


@validate_params(
    {"ambiguous": [StrOptions({"gap", "drop", "error"})]},
    prefer_skip_nested_validation=True,
)
def load_ww_domain(*, ambiguous="gap"):
    """The Pfam WW-domain alignment (PF00397, RP15): 4025 sequences x 31 columns.

    The alignment ships with the ``logomaker`` package (as its example data)
    and is read from the installed files without importing logomaker. Its 31
    match columns are coded with :data:`PROTEIN_ALPHABET` (gap = 0, q = 21)
    by :func:`read_alignment`.

    Parameters
    ----------
    ambiguous : {"gap", "drop", "error"}, default="gap"
        Treatment of ambiguous residues (one ``X``), see
        :func:`read_alignment`.

    Returns
    -------
    data : Bunch
        Dictionary-like object with attributes

        data : ndarray of shape (4025, 31), dtype int8
            State codes 0..20.
        names : list of str
            Sequence names (UniProt accession and residue range).
        alphabet : str
            ``"-ACDEFGHIKLMNPQRSTVWY"``; ``alphabet[code]`` decodes.
        DESCR : str
            Description of the data set.

    Raises
    ------
    ImportError
        When logomaker is not installed.

    Examples
    --------
    >>> from sklearn_plm.datasets import load_ww_domain
    >>> ww = load_ww_domain()  # doctest: +SKIP
    >>> ww.data.shape  # doctest: +SKIP
    (4025, 31)
    """
    X, alphabet, names = read_alignment(_ww_path(), ambiguous=ambiguous, return_names=True)
    return Bunch(
        data=X,
        names=names,
        alphabet=alphabet,
        DESCR=(
            "Pfam PF00397 (WW domain) RP15 alignment of 4025 sequences, as shipped with "
            "logomaker; the 31 match columns (upper case and '-') are kept and insert "
            f"columns dropped. Codes: {alphabet!r} -> 0..{len(alphabet) - 1}; ambiguous "
            f"residues: {ambiguous!r}. Pfam: R. D. Finn et al., Nucleic Acids Res. 42, "
            "D222 (2014)."
        ),
    )
