"""Reference distances between alignment columns, from a crystal structure."""

import io
import math
import os
from numbers import Integral

import numpy as np

from .._sklearn_compat import Interval, validate_params
from ._alignment_formats import open_lines

# Beyond this a square distance matrix (8 bytes an entry) would take over 8 GB;
# no alignment of a single protein family comes near it.
_MAX_COLUMNS = 32768


def _parse_pair(number, raw, rows, cols, dist):
    """Append the pair on one line of a pair file (nothing for comments and blanks)."""
    line = raw.strip()
    if not line or line.startswith(b"#"):
        return
    fields = line.split()
    if len(fields) not in (3, 4):
        raise ValueError(
            f"line {number} of the pair file has {len(fields)} fields; expected "
            f"'i j d' or 'i j x d' (1-based columns, distance in Angstrom).")
    try:
        values = [float(f) for f in fields]
    except ValueError:
        raise ValueError(
            f"line {number} of the pair file holds a field that is not a number: "
            f"{line[:80].decode('ascii', 'replace')!r}.") from None
    i, j, d = values[0], values[1], values[-1]
    for index in (i, j):
        if not (math.isfinite(index) and index == int(index) and 1 <= index <= _MAX_COLUMNS):
            raise ValueError(
                f"line {number} of the pair file has column index {index!r}; indices "
                f"are 1-based integers up to {_MAX_COLUMNS}.")
    if not (math.isfinite(d) and d >= 0):
        raise ValueError(
            f"line {number} of the pair file has distance {d!r}; distances must be "
            f"finite and non-negative.")
    if i == j:
        raise ValueError(f"line {number} of the pair file pairs column {int(i)} with itself.")
    rows.append(int(i) - 1)
    cols.append(int(j) - 1)
    dist.append(d)


@validate_params(
    {"path": [str, os.PathLike, io.IOBase],
     "n_columns": [Interval(Integral, 1, _MAX_COLUMNS, closed="both"), None]},
    prefer_skip_nested_validation=True,
)
def read_contact_distances(path, n_columns=None):
    """Read the residue distances between alignment columns from a pair file.

    The format is the one of the DCA benchmark sets (ArDCA's ``*_struct.dat``):
    one line per pair of columns, white-space separated, ``i j d`` or
    ``i j x d`` with ``i`` and ``j`` 1-based alignment columns and ``d`` the
    distance in Angstrom between the two residues in a structure of the
    family; an extra middle column ``x`` is ignored. Lines starting with
    ``#`` and blank lines are skipped. Plain or gzip-compressed files.

    Parameters
    ----------
    path : str, path-like or binary file object
        The pair file.
    n_columns : int, default=None
        The number of alignment columns L. By default the largest index in the
        file; pass it when the last columns have no pair in the file, so that
        the matrix lines up with the alignment.

    Returns
    -------
    distances : ndarray of shape (n_columns, n_columns)
        Symmetric; ``distances[i, j]`` is the distance between columns ``i``
        and ``j`` (0-based), NaN for pairs that the file does not list (no
        resolved residue in the structure) and on the diagonal.

    Raises
    ------
    ValueError
        When a line does not hold 3 or 4 numbers, an index is not a positive
        integer or exceeds ``n_columns``, a distance is negative or not
        finite, or a pair is listed twice with two different distances.

    See Also
    --------
    sklearn_plm.metrics.contact_precision : Precision of predicted contacts
        against these distances.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from sklearn_plm.datasets import read_contact_distances
    >>> text = b"1 3 0.5 4.2\\n2 4 0.1 12.0\\n"
    >>> D = read_contact_distances(io.BytesIO(text), n_columns=4)
    >>> float(D[0, 2]), float(D[2, 0]), float(D[1, 3])
    (4.2, 4.2, 12.0)
    >>> bool(np.isnan(D[0, 1]))
    True
    """
    rows, cols, dist = [], [], []
    with open_lines(path) as lines:
        for number, raw in enumerate(lines, start=1):
            _parse_pair(number, raw, rows, cols, dist)
    rows = np.asarray(rows, dtype=np.intp)
    cols = np.asarray(cols, dtype=np.intp)
    dist = np.asarray(dist, dtype=np.float64)
    largest = int(max(rows.max(initial=-1), cols.max(initial=-1))) + 1
    if n_columns is None:
        if largest == 0:
            raise ValueError("the pair file lists no pair of columns.")
        n_columns = largest
    elif largest > n_columns:
        raise ValueError(
            f"the pair file names column {largest}, beyond n_columns={n_columns}.")
    D = np.full((n_columns, n_columns), np.nan)
    D[rows, cols] = dist
    D[cols, rows] = dist
    # A pair listed twice (in either order) must agree with itself: after the
    # writes above each entry holds one of its listed distances.
    lower = D[rows, cols]
    clash = lower != dist
    if clash.any():
        k = int(np.flatnonzero(clash)[0])
        raise ValueError(
            f"the pair file lists columns {rows[k] + 1} and {cols[k] + 1} with two different "
            f"distances ({dist[k]!r} and {lower[k]!r}).")
    return D
