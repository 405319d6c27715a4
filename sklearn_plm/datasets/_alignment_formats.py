"""Streaming readers of aligned FASTA / A2M / A3M and Stockholm files.

The readers work on bytes, read lines in pieces of at most ``_PIECE``
bytes, and encode each piece of a sequence into one growing ``bytearray``
of state codes as soon as it is read, so the peak memory is about the size
of the codes plus one piece (the codes become the returned array without a
copy), however long a sequence line is. The codes are checked against the
machine's memory as they grow: a decompression bomb is refused with the
number instead of exhausting the memory. Insert columns (lower case letters, and
``.`` unless the alphabet lists it) are dropped per sequence, as in A2M,
A3M and Stockholm.
"""

import gzip
import io
import itertools
import os
import re
import string
import zlib
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import numpy as np

from .._validation import available_memory

_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
_WHITESPACE = string.whitespace.encode()
_AMBIGUOUS_CODE = 254
_UNKNOWN_CODE = 255
# entries copied per step when columns or rows are removed in place
_COMPACT_ENTRIES = 1 << 22
# longest piece of a line read at once (longer sequence lines are encoded piece by piece)
_PIECE = 1 << 24
# first bytes of the lines that are not sequence data: header, comment, white space
_LINE_MARKS = frozenset(b">#" + string.whitespace.encode())
# longest header line accepted
_MAX_HEADER = 1 << 24
# errors of a truncated or corrupt gzip stream
GZIP_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)

FORMATS = ("fasta", "a2m", "a3m", "stockholm")
_STOCKHOLM_SUFFIXES = {".sto", ".stk", ".sth", ".stockholm"}


@contextmanager
def _open_stream(path_or_file):
    """A readable stream of the content: a text file as given, else bytes, gunzipped if needed."""
    if hasattr(path_or_file, "read"):
        f = path_or_file
        if isinstance(f, io.TextIOBase):
            yield f
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
            yield f
        return
    with open(path_or_file, "rb") as f:
        if f.peek(2)[:2] == _GZIP_MAGIC:
            with gzip.GzipFile(fileobj=f, mode="rb") as g:
                yield g
        else:
            yield f


def _as_bytes(line):
    return line if isinstance(line, bytes) else line.encode("utf-8", errors="replace")


@contextmanager
def open_lines(path_or_file):
    """Iterate the lines of a path or file object as bytes; gzip is detected by content."""
    with _open_stream(path_or_file) as f:
        yield (_as_bytes(line) for line in f)


@contextmanager
def open_pieces(path_or_file):
    """Like :func:`open_lines`, with lines longer than ``_PIECE`` bytes split into pieces.

    A piece that does not end with a newline continues on the next piece.
    """
    with _open_stream(path_or_file) as f:
        first = f.readline(_PIECE)
        rest = iter(partial(f.readline, _PIECE), first[:0])  # C-level loop over readline
        if isinstance(first, bytes):
            yield itertools.chain([first], rest)
        else:
            yield (_as_bytes(piece) for piece in itertools.chain([first], rest))


def whole_lines(pieces):
    """Join the pieces of each line (for the Stockholm reader, which keeps lines)."""
    parts = []
    for piece in pieces:
        if piece.endswith(b"\n"):
            if parts:
                parts.append(piece)
                piece, parts = b"".join(parts), []
            yield piece
        else:
            parts.append(piece)
    if parts:
        yield b"".join(parts)


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


def read_fasta_into(pieces, builder):
    """Encode an aligned FASTA / A2M / A3M text into ``builder``, piece by piece.

    A sequence line is never held whole: each piece is encoded as it is
    read. Header lines are joined whole (one longer than ``_MAX_HEADER``
    bytes is refused); comment lines are skipped piece by piece.
    """
    at_line_start, lineno = True, 0
    in_record, header, comment = False, None, False
    extend = builder.extend
    for piece in pieces:
        starts, at_line_start = at_line_start, piece.endswith(b"\n")
        if starts:
            lineno += 1
            comment = False
        elif comment:
            continue
        if header is not None:  # the rest of a long header line
            header.append(piece)
            if sum(len(h) for h in header) > _MAX_HEADER:
                raise ValueError(
                    f"The header on line {lineno} is longer than {_MAX_HEADER} bytes.")
            if at_line_start:
                builder.start(b"".join(header)[1:].strip())
                header = None
            continue
        if starts:
            if piece[0] in _LINE_MARKS:  # most lines are sequence data: one test for them
                text = piece.lstrip()
                if not text:
                    continue
                if text.startswith(b"#"):
                    comment = True
                    continue
                if text.startswith(b">"):
                    if in_record:
                        builder.end()
                    in_record = True
                    if at_line_start:
                        builder.start(text[1:].strip())
                    else:
                        header = [text]
                    continue
            if not in_record:
                raise ValueError(
                    f"Line {lineno} holds sequence data before the first '>' header; "
                    "expected aligned FASTA, A2M or A3M (or pass format='stockholm').")
        extend(piece)
    if header is not None:
        builder.start(b"".join(header)[1:].strip())
    if in_record:
        builder.end()


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
        self.ambiguous_counts = {}
        avail = available_memory()
        self._budget = float("inf") if avail is None else 0.8 * avail
        self._focus_pieces = None
        self.focus_index = None
        self.focus_name = None
        self.focus_raw = None

    def add(self, name, raw):
        """Encode one whole record."""
        self.start(name)
        self.extend(raw)
        self.end()

    def start(self, name):
        """Begin the record ``name`` (bytes); its sequence comes through :meth:`extend`."""
        self._name = name.decode("utf-8", errors="replace")
        self._record_start = len(self.codes)
        self._focus_pieces = (
            [] if (self._focus is not None and self.focus_index is None
                   and name.startswith(self._focus)) else None)

    def extend(self, raw):
        """Encode a piece of the current record's sequence (inserts and white space dropped)."""
        coded = raw.translate(self._table, self._delete)
        offset = len(self.codes) - self._record_start
        if _UNKNOWN_CODE in coded:
            self._raise_unknown(raw.translate(None, self._delete), offset)
        if _AMBIGUOUS_CODE in coded:
            if self._ambiguous_error:
                k = coded.index(_AMBIGUOUS_CODE)
                symbol = chr(raw.translate(None, self._delete)[k])
                raise ValueError(
                    f"Ambiguous residue {symbol!r} in sequence {len(self.names)} "
                    f"('{self._name}') at match column {offset + k}; use ambiguous='gap' or "
                    "'drop' to accept it.")
            self.has_ambiguous = True
            for c in self._ambiguous:
                n = raw.count(c.encode())
                if n:
                    self.ambiguous_counts[c] = self.ambiguous_counts.get(c, 0) + n
        if len(self.codes) + len(coded) > self._budget:
            raise ValueError(
                f"The alignment holds more than {self._budget / 2**30:.1f} GiB of match "
                f"columns after {len(self.names)} sequences, more than this machine's "
                "memory allows (80 % of it). Is it a corrupt or decompression-bomb file? "
                "Split the alignment, or read fewer sequences.")
        self.codes += coded
        if self._focus_pieces is not None:
            self._focus_pieces.append(raw.translate(None, _WHITESPACE))

    def end(self):
        """Finish the current record: check its length and record its name."""
        length = len(self.codes) - self._record_start
        if self.length is None:
            self.length = length
        elif length != self.length:
            raise ValueError(
                "The alignment is ragged: sequence 0 ('{}') has {} match columns but "
                "sequence {} ('{}') has {}. Match columns are upper case letters and "
                "'-'; lower case letters and '.' are insert columns and are dropped."
                .format(self.names[0], self.length, len(self.names), self._name, length))
        if self._focus_pieces is not None:
            self.focus_index = len(self.names)
            self.focus_name = self._name
            self.focus_raw = b"".join(self._focus_pieces)
            self._focus_pieces = None
        self.names.append(self._name)

    def _raise_unknown(self, match, offset):
        text = match.decode("utf-8", errors="replace")
        col, symbol = next((k, c) for k, c in enumerate(text)
                           if c not in self.alphabet and c not in self._ambiguous)
        raise ValueError(
            f"Unknown symbol {symbol!r} in sequence {len(self.names)} ('{self._name}') at "
            f"match column {offset + col}; the alphabet is {self.alphabet!r}. Pass an "
            "alphabet that includes it.")

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
        L2 = L if cols is None else len(cols)
        flat = np.frombuffer(self.codes, dtype=np.uint8)
        src = flat.reshape(n, L)
        block = None
        # blocks of whole rows of about _COMPACT_ENTRIES entries (one row when rows are long)
        step = max(1, _COMPACT_ENTRIES // max(L, 1))
        for k0 in range(0, rows.size, step):
            block = src[rows[k0:k0 + step]]
            if cols is not None:
                block = block[:, cols]
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
_MAX_POSITION = 2**31 - 1


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
            if start > _MAX_POSITION:
                raise ValueError(
                    f"The focus name {focus_name!r} starts its region at {start}; positions "
                    f"are stored as 32-bit integers (plmc's format), at most {_MAX_POSITION}.")
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
    if positions and positions[-1] > _MAX_POSITION:
        raise ValueError(
            f"The focus {focus_name!r} numbers its last column {positions[-1]}; positions are "
            f"stored as 32-bit integers (plmc's format), at most {_MAX_POSITION}.")
    return np.asarray(cols, dtype=np.intp), np.asarray(positions, dtype=np.int64)
