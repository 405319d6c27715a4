"""Multiple sequence alignments as integer state codes for Potts models."""

import importlib.util
import io
import itertools
import math
import os
import string
import warnings
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch, check_array

from .._sklearn_compat import Interval, StrOptions, validate_params
from .._threading import effective_n_threads
from .._validation import check_memory
from ._alignment_fast import count_similar
from ._alignment_formats import (
    _AMBIGUOUS_CODE,
    FORMATS,
    GZIP_ERRORS,
    AlignmentBuilder,
    Interleaved,
    _strip_bom,
    focus_positions,
    guess_format,
    open_pieces,
    read_fasta_into,
    stockholm_records,
    whole_lines,
)

#: Gap first, then the 20 amino acids in alphabetical order of their one-letter
#: codes: ``-`` is 0, ``A`` is 1, ..., ``Y`` is 20 (q = 21).
PROTEIN_ALPHABET = "-ACDEFGHIKLMNPQRSTVWY"

#: Ambiguity and rare-residue codes of protein sequences: B (D or N), J (I or
#: L), O (pyrrolysine), U (selenocysteine), X (any), Z (E or Q).
AMBIGUOUS_RESIDUES = "BJOUXZ"

_WW_PACKAGE = "logomaker"
_WW_FILE = Path("examples", "datafiles", "ww_sequences.fa")
_GAP = "-"
# entries per step of the in-place passes over the codes (bounds their temporaries)
_BLOCK_ENTRIES = 1 << 22
# warn when at least this share of the sequences is dropped, or of a column turned into gaps
_DROPPED_SHARE_WARNING = 0.1
_GAPPED_COLUMN_WARNING = 0.5


def _check_alphabet(alphabet):
    if not isinstance(alphabet, str) or not alphabet:
        raise ValueError(f"alphabet must be a non-empty string; got {alphabet!r}.")
    if len(set(alphabet)) != len(alphabet):
        raise ValueError(f"alphabet must not repeat symbols; got {alphabet!r}.")
    bad = [c for c in alphabet if not c.isprintable() or not c.isascii() or c.isspace()
           or c in string.ascii_lowercase or c == ">"]
    if bad:
        raise ValueError(
            f"alphabet symbols must be printable ASCII other than lower case letters "
            f"(insert columns), white space and '>'; got {bad[0]!r}.")
    if len(alphabet) > 127:
        raise ValueError(f"alphabet has {len(alphabet)} symbols; at most 127 are supported.")


def _blocks(X):
    """``(rows, cols, view)`` tiles of X of at most about ``_BLOCK_ENTRIES`` entries."""
    n, L = X.shape
    n_rows = max(1, _BLOCK_ENTRIES // max(L, 1))
    n_cols = min(max(L, 1), _BLOCK_ENTRIES)
    for r0 in range(0, n, n_rows):
        for c0 in range(0, L, n_cols):
            rows, cols = slice(r0, r0 + n_rows), slice(c0, c0 + n_cols)
            yield rows, cols, X[rows, cols]


def _resolve_ambiguous(builder, alphabet, ambiguous):
    """Recode (in place) or drop the sequences holding ambiguous residues.

    Returns the rows kept (None for ``"gap"``, which keeps them all) and, per
    column, the number of entries that held an ambiguous residue. Works in
    tiles, so its temporaries stay small however long the sequences.
    """
    X = builder.array()
    # the smallest counts that hold n: with few long sequences they would outweigh the codes
    per_column = np.zeros(X.shape[1], dtype=np.min_scalar_type(X.shape[0]))
    if ambiguous == "gap" and _GAP not in alphabet:
        raise ValueError(
            "ambiguous='gap' maps ambiguous residues to '-', which is not in the "
            f"alphabet {alphabet!r}; add it, or use ambiguous='drop'.")
    row_hit = np.zeros(X.shape[0], dtype=bool)
    for rows, cols, block in _blocks(X):
        hit = block == _AMBIGUOUS_CODE
        per_column[cols] += hit.sum(axis=0, dtype=per_column.dtype)
        if ambiguous == "gap":
            block[hit] = alphabet.index(_GAP)
        else:
            row_hit[rows] |= hit.any(axis=1)
    if ambiguous == "gap":
        return None, per_column
    return np.flatnonzero(~row_hit), per_column


def _symbols_text(counts):
    return ", ".join(f"{n} {c!r}" for c, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def _alphabet_advice(counts, alphabet):
    """What to pass instead, from the ambiguous symbols seen."""
    if "U" in counts and set(alphabet) <= set(PROTEIN_ALPHABET) and len(alphabet) > 6:
        return ("'U' is uracil in RNA: read an RNA alignment with alphabet='-ACGU'; for "
                "proteins, pass an alphabet that lists the symbols you want to keep")
    return "pass an alphabet that lists the symbols you want to keep as states"


def _capital(text):
    return text[:1].upper() + text[1:]


def _report_losses(n_read, dropped, per_column, counts, alphabet, ambiguous):
    """Warn when a large share of the sequences, or most of a column, is lost."""
    messages = []
    if dropped.size and dropped.size >= _DROPPED_SHARE_WARNING * n_read:
        messages.append(
            f"ambiguous='drop' dropped {dropped.size} of {n_read} sequences "
            f"({100 * dropped.size / n_read:.0f} %); the file holds {_symbols_text(counts)}")
    if ambiguous == "gap" and per_column.size and n_read:
        worst = int(np.argmax(per_column))
        share = int(per_column[worst]) / n_read
        if share >= _GAPPED_COLUMN_WARNING:
            messages.append(
                f"ambiguous='gap' turned {int(per_column.sum(dtype=np.int64))} entries into "
                f"gaps ({_symbols_text(counts)}), {100 * share:.0f} % of column {worst}")
    if messages:
        warnings.warn(f"read_alignment: {'; '.join(messages)}. "
                      f"{_capital(_alphabet_advice(counts, alphabet))}.", UserWarning, stacklevel=4)


@validate_params(
    {
        "path_or_file": [str, os.PathLike, io.IOBase],
        "alphabet": [str],
        "ambiguous": [StrOptions({"gap", "drop", "error"})],
        "focus": [str, None],
        "numbering": [StrOptions({"plmc", "residue"})],
        "gaps": [StrOptions({"state", "missing"})],
        "format": [StrOptions({"auto", *FORMATS})],
        "return_names": ["boolean"],
        "as_bunch": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def read_alignment(path_or_file, *, alphabet=PROTEIN_ALPHABET, ambiguous="gap", focus=None,
                   numbering="plmc", gaps="state", format="auto", return_names=False,
                   as_bunch=False):
    """Read a multiple sequence alignment into integer state codes.

    Reads aligned FASTA, A2M, A3M and Stockholm, plain or gzip-compressed
    (detected from the content), with or without a UTF-8 byte-order mark.
    Match columns (upper case letters and ``-``) are kept; insert columns
    (lower case letters, and ``.`` unless the alphabet lists it, as in A2M,
    A3M, Stockholm and Pfam's aligned FASTA) are dropped, so every sequence
    must have the same number of match columns. Lines starting with ``#``
    and blank lines are skipped. The file is parsed in one streaming pass:
    the peak memory is about the size of the returned codes plus one line
    (lines longer than 16 MiB are read in pieces of 16 MiB), plus 8 bytes
    per column for the ``positions`` of ``as_bunch=True``. Content that
    would exceed 80 % of the machine's memory is refused.

    Parameters
    ----------
    path_or_file : str, path-like or file object
        The alignment, or an open text (or binary) file.
    alphabet : str, default=PROTEIN_ALPHABET
        Symbols in code order: symbol ``alphabet[k]`` becomes code ``k``. The
        default ``"-ACDEFGHIKLMNPQRSTVWY"`` codes the gap as 0 and the 20
        amino acids as 1..20 in alphabetical order (q = 21). Any printable
        ASCII symbol other than lower case letters, white space and ``>``
        may be listed (plmc's ``-a``), e.g. ``"-ACGU"`` for RNA or ``'*'``,
        ``'^'``, ``'_'`` as states of their own; an alphabet that lists
        ``'.'`` makes it a symbol instead of an insert gap.
    ambiguous : {"gap", "drop", "error"}, default="gap"
        Treatment of the ambiguous or rare residues ``B J O U X Z`` when the
        alphabet does not list them: code them as the gap (as plmDCA does),
        drop the sequences that contain any (as plmc does), or raise. Any
        other symbol outside the alphabet raises a ValueError.
    focus : str, default=None
        Focus mode of plmc (``-f``): the first sequence whose name starts
        with ``focus`` is the focus, and only the match columns where it
        holds a residue (not ``-``) are kept. Its columns are numbered as
        plmc numbers them: ``start + k`` for the ``k``-th character of the
        focus row (0-based, lower case and gaps counted), where ``start`` is
        read from a name ``<focus>/<start>-<end>`` and is 1 otherwise.
    numbering : {"plmc", "residue"}, default="plmc"
        Numbering of the focus columns: plmc's (above), or ``start`` plus
        the number of residues of the focus before the column (its residue
        number in the protein). They agree when the focus row holds no gap
        characters (``-``, ``.``), as in the focus-aligned files plmc is fed
        by EVcouplings; in a Pfam alignment they do not.
    gaps : {"state", "missing"}, default="state"
        ``"state"`` codes the gap ``-`` as a state like the residues.
        ``"missing"`` leaves gaps out of the model, like plmc's ``-g``: X is
        returned as floats with NaN at the gaps and the other symbols coded
        ``0..len(alphabet) - 2`` by the alphabet without ``-``. A Potts fit
        leaves a NaN out of its own conditional and out of the other sites'
        fields, which is plmc's gap-reduced objective.
    format : {"auto", "fasta", "a2m", "a3m", "stockholm"}, default="auto"
        ``"auto"`` reads Stockholm when the file starts with ``# STOCKHOLM``
        or its name ends in ``.sto``, ``.stk``, ``.sth`` or ``.stockholm``
        (before ``.gz``), else FASTA / A2M / A3M (one reader: lower case
        letters are inserts in all three). Only the first alignment of a
        Stockholm file is read; interleaved blocks are joined by name.
    return_names : bool, default=False
        Also return the sequence names (the header lines without ``>``).
    as_bunch : bool, default=False
        Return a :class:`~sklearn.utils.Bunch` instead of a tuple.

    Returns
    -------
    X : ndarray of shape (n_sequences, n_columns)
        State codes ``0, ..., len(alphabet) - 1``, dtype int8; float64 with
        NaN at the gaps when ``gaps="missing"``.
    alphabet : str
        The alphabet of the codes, for decoding (``alphabet[X[i, j]]``);
        without ``-`` when ``gaps="missing"``.
    names : list of str
        Only when ``return_names=True``.
    data : Bunch
        When ``as_bunch=True``, with attributes ``data`` (X), ``alphabet``,
        ``names``, ``positions`` (the number of each column: plmc's focus
        numbering, or ``1..n_columns`` without focus), ``focus_index`` (row
        of the focus, or None), ``focus_name`` and ``focus_sequence`` (its
        symbols in the kept columns, or None), and what was lost on the way:
        ``n_read`` (sequences in the file), ``dropped`` (their indices, in
        file order, of the sequences ``ambiguous="drop"`` left out),
        ``n_gapped`` (entries of the kept columns that ``ambiguous="gap"``
        turned into gaps) and ``ambiguous_counts`` (each ambiguous symbol
        of the file's match columns and how often it occurs).

    Warns
    -----
    UserWarning
        When ``ambiguous="drop"`` drops at least 10 % of the sequences, or
        ``ambiguous="gap"`` turns at least half of a column into gaps (for
        example every ``U`` of an RNA file read with the protein alphabet);
        the message gives the counts and the alphabet to pass instead.

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

    In focus mode the columns follow the focus sequence and are numbered
    from the start of its region:

    >>> msa = io.StringIO(">P1/10-13\\nA-CDE\\n>P2\\nAKC-E\\n")
    >>> ali = read_alignment(msa, focus="P1", as_bunch=True)
    >>> ali.data.shape, ali.positions.tolist(), ali.focus_sequence
    ((2, 4), [10, 12, 13, 14], 'ACDE')
    """
    _check_alphabet(alphabet)
    if gaps == "missing" and _GAP not in alphabet:
        raise ValueError(
            f"gaps='missing' leaves the gap '-' out of the model, but the alphabet "
            f"{alphabet!r} has no '-'; add it or use gaps='state'.")
    def parse(interleaved):
        builder = AlignmentBuilder(alphabet, AMBIGUOUS_RESIDUES, focus,
                                   ambiguous_error=ambiguous == "error")
        with open_pieces(path_or_file) as raw_pieces:
            pieces = _strip_bom(raw_pieces)
            first = next(pieces, b"")
            fmt = guess_format(path_or_file, first) if format == "auto" else format
            pieces = itertools.chain([first], pieces)
            if fmt != "stockholm":
                read_fasta_into(pieces, builder)
                return builder
            one_block = not interleaved
            for name, seq in stockholm_records(whole_lines(pieces), interleaved):
                try:
                    builder.add(name, seq)
                except ValueError:
                    # a piece of a later block, in another order than the first one
                    if one_block and name.decode("utf-8", errors="replace") in builder.names:
                        raise Interleaved from None
                    raise
        if one_block and len(set(builder.names)) < len(builder.names):
            raise Interleaved
        return builder

    # a Stockholm file is first read as one block (nothing kept but the codes); a
    # second block means reading it again, pieces joined by name
    start = _rewind_point(path_or_file)
    try:
        try:
            builder = parse(interleaved=start is None)
        except Interleaved:
            builder = None  # read again outside the handler, which holds the first try's frame
        if builder is None:
            if start is not True:
                path_or_file.seek(start)
            builder = parse(interleaved=True)
    except GZIP_ERRORS as exc:
        name = getattr(path_or_file, "name", path_or_file)
        raise ValueError(
            f"{os.fspath(name) if isinstance(name, (str, os.PathLike)) else 'The input'} is "
            f"a truncated or corrupt gzip file ({exc}); download or "
            "compress it again.") from exc
    if not builder.names:
        raise ValueError(
            "The alignment holds no sequences (no '>' header found, or an empty "
            "Stockholm block).")
    if builder.length == 0:
        raise ValueError("The alignment has no match columns (upper case letters or '-').")

    n_read = len(builder.names)
    # per-column arrays only when needed: with few long sequences they outweigh the codes
    rows, per_column = (_resolve_ambiguous(builder, alphabet, ambiguous) if builder.has_ambiguous
                        else (None, None))
    dropped = (np.zeros(0, dtype=np.intp) if rows is None
               else np.setdiff1d(np.arange(n_read), rows).astype(np.intp))
    if rows is not None and rows.size == 0:
        raise ValueError(
            f"Every one of the {n_read} sequences holds an ambiguous residue "
            f"({_symbols_text(builder.ambiguous_counts)}); ambiguous='drop' would drop them "
            f"all. {_capital(_alphabet_advice(builder.ambiguous_counts, alphabet))}, or "
            "use ambiguous='gap'.")
    cols, positions = None, None
    if focus is not None:
        if builder.focus_index is None:
            raise ValueError(
                f"No sequence name starts with the focus {focus!r}; pass the start of the "
                "focus sequence's header (without '>').")
        if rows is not None and builder.focus_index not in set(rows.tolist()):
            raise ValueError(
                f"The focus sequence {builder.focus_name!r} holds an ambiguous residue and "
                "ambiguous='drop' would drop it; use ambiguous='gap'.")
        cols, positions = focus_positions(
            focus, builder.focus_name, builder.focus_raw, alphabet, _GAP, numbering)
        if cols.size == 0:
            raise ValueError(f"The focus sequence {builder.focus_name!r} has no residues.")
    if rows is not None or cols is not None:
        builder.keep(rows, cols)
    if cols is not None and per_column is not None:
        per_column = per_column[cols]
    if per_column is not None:
        _report_losses(n_read, dropped, per_column, builder.ambiguous_counts, alphabet,
                       ambiguous)

    X = builder.array().view(np.int8)
    names = builder.names
    out_alphabet = alphabet
    if gaps == "missing":
        check_memory(9.0 * X.size, "gaps='missing' copy of the alignment",
                     f"{X.shape[0]} x {X.shape[1]} float64 codes",
                     advice="Read fewer sequences, or use gaps='state'")
        X, out_alphabet = _gaps_to_missing(X, alphabet)
    if as_bunch:
        fi = builder.focus_index
        return Bunch(
            data=X, alphabet=out_alphabet, names=names,
            positions=np.arange(1, X.shape[1] + 1) if positions is None else positions,
            focus_index=fi, focus_name=builder.focus_name if fi is not None else None,
            focus_sequence=None if fi is None else decode_sequence(X[fi], out_alphabet),
            n_read=n_read, dropped=dropped,
            n_gapped=(int(per_column.sum(dtype=np.int64))
                      if ambiguous == "gap" and per_column is not None else 0),
            ambiguous_counts=dict(builder.ambiguous_counts))
    if return_names:
        return X, out_alphabet, names
    return X, out_alphabet


def _rewind_point(path_or_file):
    """True for a path (it can be opened again), the position of a seekable file, else None."""
    if not hasattr(path_or_file, "read"):
        return True
    try:
        return path_or_file.tell() if path_or_file.seekable() else None
    except (OSError, ValueError):
        return None


def _gaps_to_missing(X, alphabet):
    """Gap codes -> NaN, the other codes renumbered in the alphabet without the gap."""
    g = alphabet.index(_GAP)
    out = X.astype(np.float64)
    out[X > g] -= 1
    out[X == g] = np.nan
    return out, alphabet.replace(_GAP, "")


def decode_sequence(codes, alphabet):
    """State codes (NaN for a missing value) -> string; a missing value prints as '-'.

    Examples
    --------
    >>> from sklearn_plm.datasets import decode_sequence
    >>> decode_sequence([1, 0, 20], "-ACDEFGHIKLMNPQRSTVWY")
    'A-Y'
    """
    codes = np.asarray(codes, dtype=float)
    return "".join(_GAP if np.isnan(c) else alphabet[int(c)] for c in codes)


# Column comparisons per slice of sequence_weights' rows: 5e7 take 0.02-0.05 s
# on one core (fewer with the early exit of dissimilar pairs).
_WEIGHT_CHUNK_COMPARISONS = 50_000_000


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
        Integer state codes, e.g. from :func:`read_alignment`. NaN (a gap
        read with ``gaps="missing"``) counts as one more state, as plmc
        weights its gap-reduced alignments.
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
    X = check_array(X, dtype=None, ensure_all_finite="allow-nan", ensure_min_features=1)
    if X.dtype.kind == "f":
        missing = np.isnan(X)
        if missing.any():
            # a missing value (a gap read with gaps="missing") is one more state
            X = np.where(missing, np.nanmax(X, initial=-1) + 1, X)
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
    n_threads = effective_n_threads(n_jobs)
    # Slices of rows of at most ~_WEIGHT_CHUNK_COMPARISONS column comparisons
    # (a few hundredths of a second): the compiled loop cannot see Ctrl-C, and
    # Python raises KeyboardInterrupt between slices.
    rows = max(n_threads, _WEIGHT_CHUNK_COMPARISONS // max(1, n_seq * n_col))
    for start in range(0, n_seq, rows):
        count_similar(codes, n_col - min_matches, counts, n_threads,
                      start, min(start + rows, n_seq))
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
