"""plmc's files: the binary parameter file and the couplings text file.

plmc (J. Ingraham, https://github.com/debbiemarkslab/plmc) fits the same
symmetric Potts model as :class:`~sklearn_plm.PottsPseudoLikelihoodMemory`
with ``symmetric=True, penalty_scale="sum"``: its ``e_ij(a, b)`` is
``coupling_[i, j, a, b]`` (and ``coupling_[j, i, b, a]``), its ``h_i(a)``
is ``fields_[i, a]``, and its ``-le, -lh, -lg`` are ``alpha``,
``alpha_fields`` and ``alpha_group``. The parameter file layout is the one
of ``OutputParametersFull`` in plmc's ``src/plm.c``: little-endian 32-bit
integers and floats, pairs ``i < j`` in row-major order.
"""

import os

import numpy as np
from sklearn.utils import Bunch

from ._fileio import atomic_write
from ._potts import PottsPseudoLikelihoodMemory
from ._potts_layout import params_to_coef
from ._potts_objective import PottsPseudoLikelihood

_I32 = np.dtype("<i4")
_F32 = np.dtype("<f4")
_HEADER_INTS = 5  # nSites, nCodes, nSeqs, nSkippedSeqs, maxIter
_HEADER_FLOATS = 5  # theta, lh, le, lg, nEff
_HEADER_BYTES = 4 * (_HEADER_INTS + _HEADER_FLOATS)
# plmc's --save-weights format (weights.c): full precision of its float64 build
_WEIGHT_FORMAT = "%0.16e"


class _Reader:
    """Sequential reads of little-endian arrays, with a clear error at the end of the file."""

    def __init__(self, data, path):
        self.data, self.pos, self.path = data, 0, path

    def take(self, dtype, count):
        nbytes = np.dtype(dtype).itemsize * count
        if self.pos + nbytes > len(self.data):
            raise ValueError(
                f"{self.path!s} is not a complete plmc parameter file: it ends after "
                f"{len(self.data)} bytes, before the {nbytes} bytes of the next field.")
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += nbytes
        return out


def _pair_blocks(n_sites):
    """Row and column of each pair ``i < j``, in plmc's order."""
    return np.triu_indices(n_sites, k=1)


def _check_dims(n_sites, n_codes, n_seqs, n_skipped, max_iter, path):
    if (n_sites < 1 or not 1 <= n_codes <= 127 or n_seqs < 0 or n_skipped < 0
            or max_iter < 0):
        raise ValueError(
            f"{path!s} is not a plmc parameter file (header: nSites={n_sites}, "
            f"nCodes={n_codes}, nSeqs={n_seqs}, nSkippedSeqs={n_skipped}, "
            f"maxIter={max_iter}).")


def _params_file_size(n_sites, q, n_seqs, n_skipped):
    """Bytes of a plmc parameter file with this header (``OutputParametersFull``)."""
    n_pairs = n_sites * (n_sites - 1) // 2
    return (_HEADER_BYTES + q + 4 * (n_seqs + n_skipped) + n_sites + 4 * n_sites
            + 2 * 4 * n_sites * q + 2 * 4 * n_pairs * q * q)


def _check_finite(values, what, path, non_negative=False):
    values = np.asarray(values)
    bad = ~np.isfinite(values)
    if non_negative:
        bad |= values < 0
    if bad.any():
        k = int(np.flatnonzero(bad.ravel())[0])
        raise ValueError(
            f"{path!s} holds {values.ravel()[k]} in its {what} ({int(bad.sum())} such "
            f"values); a plmc parameter file holds finite"
            f"{' non-negative' if non_negative else ''} numbers there. The file is "
            "corrupt or was not written by plmc.")


def read_plmc_params(path, *, return_info=False):
    """Read a plmc parameter file (``plmc -o``) as a fitted Potts memory.

    Parameters
    ----------
    path : str or path-like
        The binary file written by plmc's ``-o`` (or by
        :func:`write_plmc_params`).
    return_info : bool, default=False
        Also return what else the file holds.

    Returns
    -------
    model : PottsPseudoLikelihoodMemory
        Fitted (float64) with ``symmetric=True, penalty_scale="sum"`` and the
        file's ``le, lh, lg`` as ``alpha, alpha_fields, alpha_group``, so
        that refitting it on the same alignment minimizes plmc's objective.
    info : Bunch
        Only when ``return_info=True``: ``alphabet`` (the symbols of the
        states; without the gap for a ``plmc -g`` file), ``positions`` (focus
        numbering of the sites), ``focus_sequence`` (a string; the first
        symbol of the alphabet repeated when plmc had no focus),
        ``n_neighbors`` (per input sequence, 0 for the ones plmc skipped;
        the weights are its inverse), ``n_eff``, ``theta``, ``lambda_h``,
        ``lambda_e``, ``lambda_g``, ``max_iter``, ``n_sequences``,
        ``n_skipped``, ``fi`` (site marginals, ``(N, q)``) and ``fij`` (pair
        marginals, ``(N, N, q, q)``, zero on the diagonal blocks).

    Raises
    ------
    ValueError
        When the file's size differs from the size its header implies
        (checked before anything else is read), when the model would not
        fit in memory, or when the file holds NaN or infinite values, or
        negative penalties or numbers of neighbours.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_plm import PottsPseudoLikelihoodMemory, read_plmc_params, write_plmc_params
    >>> X = np.random.default_rng(0).integers(0, 4, size=(50, 5))
    >>> model = PottsPseudoLikelihoodMemory(symmetric=True).fit(X)
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "model.params")
    ...     write_plmc_params(model, path, X, alphabet="-ACG")
    ...     back, info = read_plmc_params(path, return_info=True)
    >>> info.alphabet, back.coupling_.shape
    ('-ACG', (5, 5, 4, 4))
    >>> bool(np.allclose(back.coupling_, model.coupling_, atol=1e-6))
    True
    """
    from ._validation import check_memory

    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        header = f.read(_HEADER_BYTES)
        r = _Reader(header, path)
        n_sites, q, n_seqs, n_skipped, max_iter = (int(v) for v in r.take(_I32, _HEADER_INTS))
        _check_dims(n_sites, q, n_seqs, n_skipped, max_iter, path)
        # the size the header implies is checked before anything else is read
        expected = _params_file_size(n_sites, q, n_seqs, n_skipped)
        if size != expected:
            raise ValueError(
                f"{path!s} has {size} bytes, but its header (nSites={n_sites}, "
                f"nCodes={q}, nSeqs={n_seqs}, nSkippedSeqs={n_skipped}) implies "
                f"{expected}: it is truncated, padded or not a plmc parameter file.")
        # the file as float32 blocks, then the (N, N, q, q) float64 couplings and marginals
        check_memory(size + 2 * 8 * (n_sites * q) ** 2, "plmc parameter file",
                     f"{n_sites} sites x {q} states", advice="Use a machine with more memory")
        data = header + f.read()
    r = _Reader(data, path)
    r.take(np.uint8, _HEADER_BYTES)
    theta, lh, le, lg, n_eff = (float(v) for v in np.frombuffer(
        data, dtype=_F32, count=_HEADER_FLOATS, offset=4 * _HEADER_INTS))
    _check_finite([theta, n_eff], "header (theta, nEff)", path)
    _check_finite([lh, le, lg], "header penalties (lh, le, lg)", path, non_negative=True)
    alphabet = r.take(np.uint8, q).tobytes().decode("ascii", errors="replace")
    n_neighbors = r.take(_F32, n_seqs + n_skipped).astype(np.float64)
    _check_finite(n_neighbors, "numbers of neighbours", path, non_negative=True)
    focus = r.take(np.uint8, n_sites).tobytes().decode("ascii", errors="replace")
    positions = r.take(_I32, n_sites).astype(np.int64)
    fi = r.take(_F32, n_sites * q).reshape(n_sites, q)
    h = r.take(_F32, n_sites * q).reshape(n_sites, q)
    n_pairs = n_sites * (n_sites - 1) // 2
    fij_pairs = r.take(_F32, n_pairs * q * q).reshape(n_pairs, q, q)
    e_pairs = r.take(_F32, n_pairs * q * q).reshape(n_pairs, q, q)
    _check_finite(fi, "site marginals", path)
    _check_finite(h, "fields", path)
    _check_finite(fij_pairs, "pair marginals", path)
    _check_finite(e_pairs, "couplings", path)

    model = PottsPseudoLikelihoodMemory(
        alpha=le, alpha_fields=lh, alpha_group=lg, penalty_scale="sum", symmetric=True,
        n_states=q, max_iter=max_iter if max_iter > 0 else 200)
    model.coupling_ = _pairs_to_square(e_pairs, n_sites)
    model.fields_ = np.ascontiguousarray(h, dtype=np.float64)
    model.n_states_ = q
    model.n_features_in_ = n_sites
    model.n_iter_ = 0
    model.loss_ = np.nan
    if not return_info:
        return model
    info = Bunch(
        alphabet=alphabet, positions=positions, focus_sequence=focus, n_neighbors=n_neighbors,
        n_eff=n_eff, theta=theta, lambda_h=lh, lambda_e=le, lambda_g=lg, max_iter=max_iter,
        n_sequences=n_seqs, n_skipped=n_skipped, fi=np.array(fi, dtype=np.float64),
        fij=_pairs_to_square(fij_pairs, n_sites))
    return model, info


def _pairs_to_square(pairs, n_sites):
    """Blocks ``(i < j, a, b)`` -> symmetric ``(N, N, q, q)`` with zero diagonal blocks."""
    q = pairs.shape[-1]
    out = np.zeros((n_sites, n_sites, q, q), dtype=np.float64)
    i, j = _pair_blocks(n_sites)
    out[i, j] = pairs
    out[j, i] = pairs.transpose(0, 2, 1)
    return out


def plmc_lambdas(model, weight_sum):
    """``(le, lh, lg)`` of plmc equivalent to the model's penalties.

    Parameters
    ----------
    model : PottsPseudoLikelihoodMemory
        With ``penalty_scale="sum"`` the parameters are plmc's directly;
        with ``"mean"`` they are scaled by the sum of the sample weights.
    weight_sum : float
        ``W``, the sum of the sample weights (plmc's ``nEff``).

    Returns
    -------
    le, lh, lg : float
    """
    alpha = model.alpha
    alpha_fields = alpha if model.alpha_fields is None else model.alpha_fields
    alpha_group = getattr(model, "alpha_group", 0.0)
    if getattr(model, "penalty_scale", "mean") == "sum":
        return float(alpha), float(alpha_fields), float(alpha_group)
    return (float(alpha * weight_sum), float(alpha_fields * weight_sum / 2.0),
            float(alpha_group * weight_sum))


def _codes_and_weights(model, X, sample_weight):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != model.n_features_in_:
        raise ValueError(
            f"X must be the alignment the model was fitted on, of shape (n_sequences, "
            f"{model.n_features_in_}); got shape {X.shape}.")
    missing = np.isnan(X)
    known = X[~missing]
    if known.size and (known.min() < 0 or known.max() >= model.n_states_
                       or not np.array_equal(known, np.rint(known))):
        raise ValueError(f"X must hold state codes 0..{model.n_states_ - 1} (and NaN).")
    codes = np.where(missing, -1, X).astype(np.int32)
    w = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    if w.shape != (X.shape[0],) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("sample_weight must hold one finite, non-negative weight per "
                         "sequence, with a positive sum.")
    return codes, w


def plmc_objective(model, X, sample_weight=None):
    """plmc's objective at the model's current parameters: the estimator's objective times W.

    ``sum_s w_s NLPL_s + lh ||h||^2 + le sum_{i<j} ||e_ij||^2 + lg sum_{i<j}
    sqrt(1e-3 + ||e_ij||^2)``, evaluated with the same datafit and penalty
    as :meth:`~sklearn_plm.PottsPseudoLikelihoodMemory.fit` (NaN entries are
    left out, which is plmc's ``-g`` objective). plmc prints it as ``fx``.

    Parameters
    ----------
    model : PottsPseudoLikelihoodMemory
        Fitted, or read with :func:`read_plmc_params`.
    X : array-like of shape (n_sequences, n_sites)
        State codes (NaN for a gap left out of the model).
    sample_weight : array-like of shape (n_sequences,), default=None
        Sequence weights (plmc's: the inverse number of neighbours).

    Returns
    -------
    objective : float
    """
    model._check_fitted()
    codes, w = _codes_and_weights(model, X, sample_weight)
    N, q = model.fields_.shape
    datafit = PottsPseudoLikelihood(q, model.beta, True).initialize(codes, w, np.float64)
    coef = params_to_coef(model.coupling_, model.fields_, fit_fields=True)
    loss, _ = datafit.value_grad(coef, 0, N)
    loss += model._penalty(float(w.sum())).bind(datafit.layout).value(coef)
    return float(loss * w.sum())


def _normalized(counts, gaps, total):
    """Frequencies from weighted counts ``(..., k)`` whose last axis is one column's
    (pair's) states: plmc -g normalizes over the non-gap entries (uniform when none)."""
    if not gaps:
        return counts / total
    sums = counts.sum(axis=-1, keepdims=True)
    return np.where(sums > 0, counts / np.where(sums > 0, sums, 1), 1.0 / counts.shape[-1])


def _weighted_counts(index, known, w, size):
    """``bincount`` of the entries of ``index`` (n, k) where ``known``, each
    weighted by its row's weight ``w``."""
    return np.bincount(index[known], weights=np.broadcast_to(w[:, None], index.shape)[known],
                       minlength=size)


def _site_frequencies(codes, w, q, gaps):
    """plmc's weighted site frequencies ``(N, q)``; with ``gaps`` (codes hold -1,
    plmc's ``-g``) conditioned on no gap."""
    n, N = codes.shape
    counts = _weighted_counts(np.arange(N) * q + codes, codes >= 0, w, N * q).reshape(N, q)
    return _normalized(counts, gaps, w.sum())


def _pair_frequencies(codes, w, q, i, gaps):
    """plmc's weighted pair frequencies ``(N - i - 1, q, q)`` of site ``i`` with each
    ``j > i``, as ``_site_frequencies``.

    One site's pairs at a time, counted with ``bincount``: a params file is
    written in ``O(n N)`` memory. The one-hot product of all pairs at once
    held two dense ``(n, N q)`` encodings and the ``(N q)^2`` result: 433 MB
    at the peak of the command line on PF00014 (13600 sequences), 212 MB
    without ``-o``.
    """
    n, N = codes.shape
    rest = codes[:, i + 1:]
    known = (codes[:, i, None] >= 0) & (rest >= 0)
    counts = _weighted_counts(np.arange(N - i - 1) * (q * q) + codes[:, i, None] * q + rest,
                              known, w, (N - i - 1) * q * q).reshape(N - i - 1, q * q)
    return _normalized(counts, gaps, w.sum()).reshape(-1, q, q)


def write_plmc_params(model, path, X, *, sample_weight=None, alphabet=None,
                      focus_sequence=None, positions=None, theta=0.2, skipped=None,
                      scale=1.0):
    """Write a fitted Potts memory as a plmc parameter file (the layout of ``plmc -o``).

    Tools that read plmc's files (e.g. EVcouplings' ``CouplingsModel``) can
    then use the model. plmc's model is symmetric: an asymmetric fit is
    written with the symmetrized couplings ``(J[i, j] + J[j, i].T) / 2``.

    Parameters
    ----------
    model : PottsPseudoLikelihoodMemory
        Fitted.
    path : str or path-like
        Output file.
    X : array-like of shape (n_sequences, n_sites)
        The alignment the model was fitted on (codes; NaN for gaps left out,
        as read with ``gaps="missing"``), for the marginals the file holds.
    sample_weight : array-like of shape (n_sequences,), default=None
        The fit's sequence weights (ones when None).
    alphabet : str, default=None
        Symbol of each state (``n_states_`` symbols; for a gap-reduced
        model the alphabet without the gap). None uses the protein alphabet
        (with or without its gap) when it has the right length.
    focus_sequence : str, default=None
        Symbols of the focus sequence at the sites (plmc writes the first
        symbol of the alphabet at every site when there is no focus).
    positions : array-like of int, default=None
        Focus numbering of the sites; None numbers them ``1..n_sites``.
    theta : float, default=0.2
        The reweighting divergence, stored for reference (``1 - identity``
        of :func:`~sklearn_plm.datasets.sequence_weights`).
    skipped : array-like of int, default=None
        Indices, in the input file, of the sequences left out of ``X`` (the
        ``dropped`` of :func:`~sklearn_plm.datasets.read_alignment` with
        ``as_bunch=True``). Recorded as plmc records them: ``nSkippedSeqs``
        in the header, and 0 at their place among the numbers of neighbours.
    scale : float, default=1.0
        plmc's ``-s``, when ``sample_weight`` includes it. plmc stores
        ``1 / (w * s)`` as the number of neighbours of a sequence of weight
        ``w``; this does the same, so the file equals plmc's.

    The file is written atomically: a temporary file in the same folder, then a rename.
    """
    from .datasets import PROTEIN_ALPHABET

    model._check_fitted()
    N, q = model.fields_.shape
    codes, w = _codes_and_weights(model, X, sample_weight)
    if alphabet is None:
        alphabet = next((a for a in (PROTEIN_ALPHABET, PROTEIN_ALPHABET[1:]) if len(a) == q),
                        None)
        if alphabet is None:
            raise ValueError(f"Pass the alphabet of the model's {q} states.")
    if len(alphabet) != q or not alphabet.isascii():
        raise ValueError(f"alphabet must have n_states_={q} ASCII symbols; got {alphabet!r}.")
    focus = alphabet[0] * N if focus_sequence is None else focus_sequence
    if len(focus) != N or not focus.isascii():
        raise ValueError(f"focus_sequence must have {N} ASCII symbols; got {len(focus)}.")
    positions = np.arange(1, N + 1) if positions is None else np.asarray(positions)
    if positions.shape != (N,):
        raise ValueError(f"positions must hold {N} numbers; got shape {positions.shape}.")
    le, lh, lg = plmc_lambdas(model, float(w.sum()))
    J = model.coupling_
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number; got {scale!r}.")
    with np.errstate(divide="ignore"):
        n_neighbors = np.where(w > 0, 1.0 / (w * scale), 0.0)
    n_neighbors = _with_skipped(n_neighbors, skipped)
    n_skipped = n_neighbors.size - codes.shape[0]
    with atomic_write(path, "wb") as f:
        f.write(np.array([N, q, codes.shape[0], n_skipped, model.max_iter],
                         dtype=_I32).tobytes())
        f.write(np.array([theta, lh, le, lg, w.sum()], dtype=_F32).tobytes())
        f.write(alphabet.encode("ascii"))
        f.write(n_neighbors.astype(_F32).tobytes())
        f.write(focus.encode("ascii"))
        f.write(positions.astype(_I32).tobytes())
        gaps = bool((codes < 0).any())
        f.write(_site_frequencies(codes, w, q, gaps).astype(_F32).tobytes())
        f.write(np.asarray(model.fields_, dtype=_F32).tobytes())
        # the pairs i < j in plmc's order, one site's at a time (no N^2 q^2 copies)
        for i in range(N - 1):
            f.write(_pair_frequencies(codes, w, q, i, gaps).astype(_F32).tobytes())
        for i in range(N - 1):
            # the symmetrized block of each pair (plmc's couplings are symmetric)
            block = 0.5 * (J[i, i + 1:].astype(np.float64)
                           + J[i + 1:, i].astype(np.float64).transpose(0, 2, 1))
            f.write(block.astype(_F32).tobytes())


def _with_skipped(values, skipped):
    """One entry per input sequence: ``values`` in order, 0 at the ``skipped`` indices."""
    if skipped is None:
        return np.asarray(values, dtype=np.float64)
    skipped = np.asarray(skipped)
    n = values.size + skipped.size
    if skipped.size and (skipped.ndim != 1 or not np.issubdtype(skipped.dtype, np.integer)
                         or skipped.min() < 0 or skipped.max() >= n
                         or np.any(np.diff(skipped) <= 0)):
        raise ValueError(
            f"skipped must hold increasing indices of input sequences in 0..{n - 1}; got "
            f"{skipped!r}.")
    out = np.zeros(n)
    keep = np.ones(n, dtype=bool)
    keep[skipped] = False
    out[keep] = values
    return out


def write_plmc_weights(path, weights, *, skipped=None):
    """Write sequence weights as plmc's ``--save-weights`` does.

    One line per input sequence, ``%.16e`` (every bit of a float64), and
    ``0.0`` for the sequences left out of the fit, so plmc's ``-w`` reads it
    back for the same alignment.

    Parameters
    ----------
    path : str or path-like
        Output file (written atomically).
    weights : array-like of shape (n_kept,)
        Weights of the sequences kept, in file order.
    skipped : array-like of int, default=None
        Indices, in the input file, of the sequences left out (the
        ``dropped`` of :func:`~sklearn_plm.datasets.read_alignment`).

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn_plm import read_plmc_weights, write_plmc_weights
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "w.txt")
    ...     write_plmc_weights(path, [0.5, 1 / 3], skipped=[1])
    ...     print(open(path).read(), end="")
    ...     back = read_plmc_weights(path)
    5.0000000000000000e-01
    0.0
    3.3333333333333331e-01
    >>> back.tolist() == [0.5, 0.0, 1 / 3]
    True
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be a 1-d array of finite non-negative numbers.")
    full = _with_skipped(w, skipped)
    kept = np.ones(full.size, dtype=bool)
    if skipped is not None:
        kept[np.asarray(skipped, dtype=np.intp)] = False
    lines = [(_WEIGHT_FORMAT % v if k else "0.0") + "\n" for v, k in zip(full.tolist(), kept)]
    with atomic_write(path, "w", encoding="ascii") as f:
        f.writelines(lines)


def read_plmc_weights(path, n_sequences=None):
    """Read a weights file: plmc's ``--save-weights`` output, or one number a line.

    Parameters
    ----------
    path : str or path-like
        The text file.
    n_sequences : int, default=None
        The number of sequences of the input alignment; the file must then
        have exactly that many lines (plmc's check).

    Returns
    -------
    weights : ndarray of shape (n_lines,)
        Float64, one per input sequence (0 for the sequences plmc skipped).
    """
    values = []
    with open(path, encoding="ascii", errors="replace") as f:
        for lineno, line in enumerate(f, start=1):
            text = line.strip()
            try:
                v = float(text)
            except ValueError:
                raise ValueError(f"Line {lineno} of {os.fspath(path)!s} is not a number: "
                                 f"{text[:40]!r}.") from None
            if not (np.isfinite(v) and v >= 0):
                raise ValueError(f"Line {lineno} of {os.fspath(path)!s} holds {text!r}; "
                                 "weights are finite non-negative numbers.")
            values.append(v)
    w = np.asarray(values, dtype=np.float64)
    if n_sequences is not None and w.size != n_sequences:
        raise ValueError(
            f"{os.fspath(path)!s} has {w.size} weights, but the alignment has {n_sequences} "
            "sequences; a weights file has one line per input sequence (0 for skipped "
            "ones), as plmc's --save-weights writes it.")
    return w


def write_plmc_couplings(model, path, *, positions=None, focus_sequence=None, apc=True,
                         gauge="raw"):
    """Write coupling scores in plmc's couplings text format (``plmc -c``).

    One line per pair ``i < j``: ``i focus_i j focus_j 0 score`` with the
    focus numbering and symbols, or ``i - j - 0 score`` with ``1..N``
    without a focus, as plmc prints them (``%f``). The score is the
    Frobenius norm of the pair's coupling block, with the average-product
    correction, as :meth:`~sklearn_plm.PottsPseudoLikelihoodMemory.contact_map`
    computes it.

    Parameters
    ----------
    model : PottsPseudoLikelihoodMemory
        Fitted, or read with :func:`read_plmc_params`.
    path : str, path-like or text file object
        Output.
    positions : array-like of int, default=None
        Focus numbering of the sites (e.g. ``positions`` of
        :func:`~sklearn_plm.datasets.read_alignment` with ``as_bunch=True``).
    focus_sequence : str, default=None
        The focus symbols at the sites; None writes ``-`` (plmc's format
        without a focus).
    apc : bool, default=True
        Average-product correction (plmc always applies it).
    gauge : {"raw", "zero-sum"}, default="raw"
        ``"raw"``: the norms of the couplings as fitted, which is what plmc
        writes; ``"zero-sum"``: in the zero-sum gauge.

    Returns
    -------
    scores : ndarray of shape (n_sites, n_sites)
        The scores written.
    """
    model._check_fitted()
    scores = model.contact_map(apc=apc, gauge=gauge)
    N = scores.shape[0]
    positions = np.arange(1, N + 1) if positions is None else np.asarray(positions)
    if positions.shape != (N,):
        raise ValueError(f"positions must hold {N} numbers; got shape {positions.shape}.")
    symbols = "-" * N if focus_sequence is None else focus_sequence
    if len(symbols) != N:
        raise ValueError(f"focus_sequence must have {N} symbols; got {len(symbols)}.")
    i, j = _pair_blocks(N)
    lines = [f"{positions[a]} {symbols[a]} {positions[b]} {symbols[b]} 0 {scores[a, b]:f}\n"
             for a, b in zip(i.tolist(), j.tolist())]
    if hasattr(path, "write"):
        path.writelines(lines)
    else:
        with atomic_write(path, "w", encoding="ascii") as f:
            f.writelines(lines)
    return scores


def read_plmc_couplings(path):
    """Read a couplings file of plmc (``-c``) or :func:`write_plmc_couplings`.

    Parameters
    ----------
    path : str or path-like
        The text file.

    Returns
    -------
    couplings : Bunch
        Arrays ``i``, ``focus_i``, ``j``, ``focus_j`` and ``score``, one
        entry per line.
    """
    cols = {"i": [], "focus_i": [], "j": [], "focus_j": [], "score": []}
    with open(path, encoding="ascii") as f:
        for lineno, line in enumerate(f, start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 6:
                raise ValueError(
                    f"Line {lineno} of {os.fspath(path)!s} is not 'i focus_i j focus_j 0 "
                    f"score': {line.strip()!r}.")
            for key, value in zip(("i", "focus_i", "j", "focus_j"), parts):
                cols[key].append(value)
            cols["score"].append(float(parts[5]))
    return Bunch(i=np.asarray(cols["i"], dtype=np.int64), focus_i=np.asarray(cols["focus_i"]),
                 j=np.asarray(cols["j"], dtype=np.int64), focus_j=np.asarray(cols["focus_j"]),
                 score=np.asarray(cols["score"]))
