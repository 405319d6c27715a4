"""Streaming readers of aligned FASTA / A2M / A3M and Stockholm files.

The readers work on bytes and encode each sequence into one growing
``bytearray`` of state codes as soon as it is complete, so the peak memory
is about the size of the codes plus one record (the codes become the
returned array without a copy). Insert columns (lower case letters, and
``.`` unless the alphabet lists it) are dropped per sequence, as in A2M,
A3M and Stockholm.
"""

import gzip
import io
import os
import re
import string
from contextlib import contextmanager
from pathlib import Path

import numpy as np

_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
_WHITESPACE = string.whitespace.encode()
_AMBIGUOUS_CODE = 254
_UNKNOWN_CODE = 255
# rows copied per step when columns or rows are removed in place
_COMPACT_ROWS = 4096

FORMATS = ("fasta", "a2m", "a3m", "stockholm")
_STOCKHOLM_SUFFIXES = {".sto", ".stk", ".sth", ".stockholm"}


@contextmanager
def open_lines(path_or_file):
    """Iterate the lines of a path or file object as bytes; gzip is detected by content."""
    if hasattr(path_or_file, "read"):
        f = path_or_file
        if isinstance(f, io.TextIOBase):
            yield (line.encode("utf-8", errors="replace") for line in f)
            return
        head = f.peek(2)[:2] if hasattr(f, "peek") else b""
        if not head and f.seekable():
            pos = f.tell()
            head = f.read(2)
            f.seek(pos)
        if head == _GZIP_MAGIC:
            with gzip.GzipFile(fileobj=f, mode="rb") as g:
                yield g
        else:
            yield (line if isinstance(line, bytes) else line.encode("utf-8", errors="replace")
                   for line in f)
        return
    with open(path_or_file, "rb") as f:
        if f.peek(2)[:2] == _GZIP_MAGIC:
            with gzip.GzipFile(fileobj=f, mode="rb") as g:
                yield g
        else:
            yield f


def guess_format(path_or_file, first_line):
    """``"stockholm"`` for a '# STOCKHOLM' header or a Stockholm suffix, else ``"fasta"``."""
    if first_line.lstrip().upper().startswith(b"# STOCKHOLM"):
        return "stockholm"
    name = getattr(path_or_file, "name", path_or_file)
    if isinstance(name, (str, os.PathLike)):
        suffixes = [s.lower() for s in Path(name).suffixes]
        if suffixes and suffixes[-1] == ".gz":
            suffixes = suffixes[:-1]
        if suffixes and suffixes[-1] in _STOCKHOLM_SUFFIXES:
            return "stockholm"
    return "fasta"


def _strip_bom(lines):
    """The lines, without a UTF-8 byte-order mark on the first one."""
    lines = iter(lines)
    for first in lines:
        yield first[len(_BOM):] if first.startswith(_BOM) else first
        break
    yield from lines


def fasta_records(lines):
    """``(name, raw sequence)`` of an aligned FASTA / A2M / A3M text, one record at a time."""
    name, chunks = None, []
    for lineno, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith(b"#"):
            continue
        if line.startswith(b">"):
            if name is not None:
                yield name, b"".join(chunks)
            name, chunks = line[1:].strip(), []
        elif name is None:
            raise ValueError(
                f"Line {lineno} holds sequence data before the first '>' header; "
                "expected aligned FASTA, A2M or A3M (or pass format='stockholm').")
        else:
            chunks.append(line)
    if name is not None:
        yield name, b"".join(chunks)


class Interleaved(Exception):
    """A Stockholm file read in one pass turned out to have several blocks."""


def _stockholm_lines(lines):
    """``(name, piece)`` of each sequence line of the first alignment."""
    for lineno, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith(b"#"):
            continue
        if line.startswith(b"//"):
            return
        parts = line.split(None, 1)
        if len(parts) != 2:
            raise ValueError(
                f"Line {lineno} of the Stockholm file is not '<name> <aligned sequence>': "
                f"{line[:60].decode('utf-8', errors='replace')!r}.")
        yield parts[0], parts[1]


def stockholm_records(lines, interleaved=True):
    """``(name, raw sequence)`` of the first alignment of a Stockholm file.

    Blocks may be interleaved: the pieces of a name are joined in order.
    Mark-up lines (``#=GF``, ``#=GS``, ``#=GR``, ``#=GC``) are skipped.
    With ``interleaved=False`` each line is yielded at once, which keeps
    nothing, and :class:`Interleaved` is raised when the first name comes
    back: the caller then reads the file again with ``interleaved=True``.
    """
    if not interleaved:
        # a second block starts with the first name again (the caller also checks
        # that the names are unique: a reordered block is caught there)
        first = None
        for name, seq in _stockholm_lines(lines):
            if name == first:
                raise Interleaved
            first = name if first is None else first
            yield name, seq
        return
    # flat lists, and a list of pieces only for interleaved names: per-record Python
    # objects would cost more than the sequence itself for short alignments
    names, seqs, index = [], [], {}
    for name, seq in _stockholm_lines(lines):
        k = index.setdefault(name, len(names))
        if k == len(names):
            names.append(name)
            seqs.append(seq)
        elif isinstance(seqs[k], list):
            seqs[k].append(seq)
        else:
            seqs[k] = [seqs[k], seq]
    del index
    for k in range(len(names)):
        seq = seqs[k]
        seqs[k] = None  # each record is freed once encoded
        yield names[k], b"".join(seq) if isinstance(seq, list) else seq


class AlignmentBuilder:
    """Encodes records into one ``bytearray`` of codes, checking them on the way.

    Parameters
    ----------
    alphabet : str
        Symbols in code order.
    ambiguous_symbols : str
        Symbols (not in the alphabet) coded as "ambiguous" for later treatment.
    focus : str or None
        Prefix of the focus sequence's name (the first match wins, as in plmc).
    ambiguous_error : bool
        Raise on the first ambiguous symbol.
    """

    def __init__(self, alphabet, ambiguous_symbols, focus=None, ambiguous_error=False):
        self.alphabet = alphabet
        inserts = string.ascii_lowercase + ("" if "." in alphabet else ".")
        self._delete = (inserts + string.whitespace).encode()
        table = bytearray([_UNKNOWN_CODE]) * 256
        for c in ambiguous_symbols:
            if c not in alphabet:
                table[ord(c)] = _AMBIGUOUS_CODE
        for code, c in enumerate(alphabet):
            table[ord(c)] = code
        self._table = bytes(table)
        self._ambiguous = set(ambiguous_symbols) - set(alphabet)
        self._ambiguous_error = ambiguous_error
        self._focus = None if focus is None else focus.encode("utf-8")
        self.codes = bytearray()
        self.names = []
        self.length = None
        self.has_ambiguous = False
        self.focus_index = None
        self.focus_name = None
        self.focus_raw = None

    def add(self, name, raw):
        match = raw.translate(None, self._delete)
        name_text = name.decode("utf-8", errors="replace")
        coded = match.translate(self._table)
        if _UNKNOWN_CODE in coded:
            self._raise_unknown(match, name_text)
        if self.length is None:
            self.length = len(match)
        elif len(match) != self.length:
            raise ValueError(
                "The alignment is ragged: sequence 0 ('{}') has {} match columns but "
                "sequence {} ('{}') has {}. Match columns are upper case letters and "
                "'-'; lower case letters and '.' are insert columns and are dropped."
                .format(self.names[0], self.length, len(self.names), name_text, len(match)))
        if _AMBIGUOUS_CODE in coded:
            if self._ambiguous_error:
                col = coded.index(_AMBIGUOUS_CODE)
                raise ValueError(
                    f"Ambiguous residue {chr(match[col])!r} in sequence {len(self.names)} "
                    f"('{name_text}') at match column {col}; use ambiguous='gap' or 'drop' "
                    "to accept it.")
            self.has_ambiguous = True
        if (self._focus is not None and self.focus_index is None
                and name.startswith(self._focus)):
            self.focus_index = len(self.names)
            self.focus_name = name_text
            self.focus_raw = raw.translate(None, _WHITESPACE)
        self.codes += coded
        self.names.append(name_text)

    def _raise_unknown(self, match, name_text):
        text = match.decode("utf-8", errors="replace")
        col, symbol = next((k, c) for k, c in enumerate(text)
                           if c not in self.alphabet and c not in self._ambiguous)
        raise ValueError(
            f"Unknown symbol {symbol!r} in sequence {len(self.names)} ('{name_text}') at "
            f"match column {col}; the alphabet is {self.alphabet!r}. Pass an alphabet that "
            "includes it.")

    def array(self):
        """The codes as an (n_sequences, n_columns) uint8 view (no copy)."""
        n = len(self.names)
        return np.frombuffer(self.codes, dtype=np.uint8).reshape(n, self.length or 0)

    def keep(self, rows=None, cols=None):
        """Keep the given rows and columns (sorted indices), compacting in place.

        Row ``k`` of the result goes to bytes ``[k L', (k+1) L')``, which never
        reach past the start of source row ``rows[k] + 1`` (``L' <= L`` and
        ``k <= rows[k]``): copying in increasing row order reads every row
        before anything overwrites it.
        """
        n, L = len(self.names), self.length
        rows = np.arange(n) if rows is None else np.asarray(rows)
        cols = np.arange(L) if cols is None else np.asarray(cols)
        L2 = cols.size
        flat = np.frombuffer(self.codes, dtype=np.uint8)
        src = flat.reshape(n, L)
        for k0 in range(0, rows.size, _COMPACT_ROWS):
            block = src[rows[k0:k0 + _COMPACT_ROWS]][:, cols]
            flat[k0 * L2:k0 * L2 + block.size] = block.ravel()
        del flat, src, block
        del self.codes[rows.size * L2:]
        if rows.size != n:
            keep = set(rows.tolist())
            if self.focus_index is not None:
                self.focus_index = (int(np.searchsorted(rows, self.focus_index))
                                    if self.focus_index in keep else None)
            self.names = [nm for k, nm in enumerate(self.names) if k in keep]
        self.length = L2


_REGION = re.compile(rb"(\d+)")


def focus_positions(focus, focus_name, focus_raw, alphabet, gap, numbering="plmc"):
    """Match columns of the focus that are not gaps, and their numbers.

    plmc numbers a focus column by its index in the focus row (lower case
    and gap characters included) plus the start of the region when the
    name is ``<focus>/<start>-<end>``; the first column is 1. ``"residue"``
    numbering counts only the residues of the focus (upper and lower case)
    before the column, which is the residue number in the focus protein.
    """
    start = 1
    rest = focus_name[len(focus):]
    if rest.startswith("/"):
        m = _REGION.match(rest[1:].encode())
        if m:
            start = int(m.group(1))
    insert = set(string.ascii_lowercase + ("" if "." in alphabet else "."))
    gaps = {gap, "."}
    cols, positions, match_col, n_residues = [], [], 0, 0
    for raw_index, c in enumerate(focus_raw.decode("utf-8", errors="replace")):
        number = raw_index if numbering == "plmc" else n_residues
        n_residues += c not in gaps
        if c in insert:
            continue
        if c != gap:
            cols.append(match_col)
            positions.append(number + start)
        match_col += 1
    return np.asarray(cols, dtype=np.intp), np.asarray(positions, dtype=np.int64)
