"""Potts (categorical) pseudo-likelihood datafits: one row per site, or packed symmetric.

Same interface as :class:`~sklearn_plm._objective.IsingPseudoLikelihood`, so
the solvers of ``_solvers.py`` fit Potts models unchanged.

Parameter layout. Site ``i`` owns the row ``coef[i]`` of length
``n_params = (N*q + f) * q`` (``f = 1`` with fields), read as a matrix of
shape ``(N*q + f, q)``::

    coef[i].reshape(N*q + f, q)[j*q + b, a] = J[i, j, a, b]
    coef[i].reshape(N*q + f, q)[N*q, a]     = h[i, a]

so the local fields of site ``i`` are a sum of N contiguous q-vectors, one
per observed state ``b = x_j`` ("gather"), or equivalently ``onehot(x) @
coef[i]``. ``_potts_layout.coef_to_params`` and ``params_to_coef`` convert to the
``coupling_`` (N, N, q, q) / ``fields_`` (N, q) attributes.
"""

import numpy as np

from ._datafits import BaseDatafit, ParameterLayout
from ._potts_dispatch import (packed_to_rows, potts_gather_value_grad, potts_residual,
                              rows_to_packed)

# Rows of X processed per GEMM in the one-hot formulation.
_CHUNK_BYTES = 32 * 2**20
# Samples per tile of the gather kernel: the tile's fields (_TILE x q values)
# stay in L1/L2 while the q x q coupling block of one neighbour is applied.
_TILE = 128
# Memory of one block of sites of the packed symmetric evaluation (its rows and
# their gradient): small models are evaluated in one block, large ones in
# blocks of at least _MIN_BLOCK_SITES sites. Against 16 MiB and 32 sites, 8 MiB
# and 16 sites took 9 MB off a DHFR fit's peak (160 sites, blocks of 16 instead
# of 32) at the same CPU per evaluation (0.63-0.76 s against 0.66-0.75 s, one
# thread, noisy machine).
_BLOCK_BYTES = 8 * 2**20
_MIN_BLOCK_SITES = 16


def _check_out(out, shape, dtype):
    """``out`` if it can receive a gradient of ``shape`` and ``dtype`` in place."""
    if out.shape != shape or out.dtype != dtype or not out.flags.c_contiguous:
        raise ValueError(f"out must be a C-contiguous {np.dtype(dtype)} array of shape {shape}, "
                         f"got {out.dtype} {out.shape}.")
    return out


def onehot(codes, n_states, dtype, ones_column=False):
    """One-hot rows (n_samples, N*q [+1]); a missing code (-1) gives a zero block."""
    n_samples, n_sites = codes.shape
    out = np.zeros((n_samples, n_sites * n_states + int(ones_column)), dtype=dtype)
    rows, cols = np.nonzero(codes >= 0)
    out[rows, cols * n_states + codes[rows, cols]] = 1
    if ones_column:
        out[:, -1] = 1
    return out


def sparse_tiles(codes, n_states, tile):
    """Entries of ``codes`` that differ from their column's most frequent value.

    The gather kernel adds, per sample, only the couplings of these entries
    to a per-site base (see ``potts_gather_value_grad``).

    Parameters
    ----------
    codes : ndarray of shape (n_samples, n_sites), int32
        State codes, -1 = missing.
    n_states : int
        ``q``; a missing value is coded ``q`` here.
    tile : int
        Samples per tile (at most 65536).

    Returns
    -------
    ref : ndarray of shape (n_sites,), int32
        Most frequent code of each column (``q`` when "missing" is).
    colptr : ndarray of shape (n_tiles, n_sites + 1), intp
        ``ent[colptr[t, j]:colptr[t, j + 1]]`` are the entries of column ``j``
        in tile ``t``, by increasing sample.
    ent : ndarray of shape (n_entries,), int32
        ``(r << 16) | b``: sample ``t * tile + r`` has code ``b != ref[j]``.

    Examples
    --------
    >>> import numpy as np
    >>> codes = np.array([[0, 1], [0, 2], [1, -1]], dtype=np.int32)
    >>> ref, colptr, ent = sparse_tiles(codes, 3, tile=2)
    >>> ref.tolist(), colptr.tolist()
    ([0, 1], [[0, 0, 1], [1, 2, 3]])
    >>> [(int(e) >> 16, int(e) & 0xFFFF) for e in ent]
    [(1, 2), (0, 1), (0, 3)]
    """
    if n_states >= 2**16 - 1 or tile > 2**16:
        raise ValueError(f"sparse_tiles packs codes and rows in 16 bits: n_states={n_states} "
                         f"and tile={tile} must stay below 65535 and 65537.")
    n_samples, n_sites = codes.shape
    ext = np.where(codes < 0, n_states, codes).astype(np.int32)
    counts = np.zeros((n_sites, n_states + 1), dtype=np.int64)
    for j in range(n_sites):
        counts[j] = np.bincount(ext[:, j], minlength=n_states + 1)
    ref = counts.argmax(axis=1).astype(np.int32)
    n_tiles = max(1, -(-n_samples // tile))
    colptr = np.zeros((n_tiles, n_sites + 1), dtype=np.intp)
    parts = []
    offset = 0
    for t in range(n_tiles):
        block = ext[t * tile:(t + 1) * tile]
        cols, rows = np.nonzero((block != ref).T)
        colptr[t] = offset + np.concatenate([[0], np.cumsum(np.bincount(cols, minlength=n_sites))])
        parts.append((rows.astype(np.int32) << 16) | block[rows, cols])
        offset += len(rows)
    ent = np.ascontiguousarray(np.concatenate(parts), dtype=np.int32)
    return ref, colptr, ent


class PottsPseudoLikelihood(BaseDatafit):
    """Negative pseudo-log-likelihood of categorical data, averaged over samples.

    With couplings ``J`` (zero blocks ``J[i, i]``) and fields ``h``, the
    local field of state ``a`` at site ``i`` is
    ``H_i(a) = h_i(a) + sum_{j != i} J[i, j, a, x_j]`` and
    ``-log p(x_i | x_rest) = logsumexp_a(beta H_i(a)) - beta H_i(x_i)``. The data term
    is the weighted mean over samples of this sum over sites; a missing value
    adds nothing to the other sites' fields and its own term is left out.

    Parameters
    ----------
    n_states : int
        Number of states ``q``.
    beta : float
        Inverse temperature.
    fit_fields : bool
        Whether each site has fields (the last q entries of its row).
    method : {"gather", "onehot"}
        How fields and gradients are evaluated: contiguous q-vector sums per
        site and sample in a compiled kernel, one per entry that differs from
        its column's most frequent state (:func:`sparse_tiles`), or two GEMMs
        on the one-hot matrix (``q`` times more arithmetic, most of it on
        zeros). Already before it skipped the reference states, "gather"
        measured 2-3x faster in float64 and 1.3-1.7x in float32 at q = 21,
        N = 31..200, P = 1000..5000 (one thread); "onehot" stays as an
        independent cross-check in the tests.
    """

    def __init__(self, n_states, beta=1.0, fit_fields=True, method="gather"):
        self.n_states = n_states
        self.beta = beta
        self.fit_fields = fit_fields
        self.method = method

    def initialize(self, codes, sample_weight, dtype=np.float64):
        """Store codes (int32, -1 = missing), normalized weights and the compute dtype.

        Identical rows are merged into one with the sum of their weights and
        rows of zero weight are dropped: the objective and its gradient are
        unchanged, and the kernels do less work (16% of the rows of the WW
        alignment are repeats).
        """
        codes = np.asarray(codes, dtype=np.int32)
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        codes, inverse = np.unique(codes, axis=0, return_inverse=True)
        weight = np.bincount(inverse.ravel(), weights=sample_weight, minlength=len(codes))
        keep = weight > 0
        self.codes = np.ascontiguousarray(codes[keep])
        self.weight = np.ascontiguousarray(weight[keep] / weight.sum())
        self.dtype = np.dtype(dtype)
        self.n_samples, self.n_sites = self.codes.shape
        self.n_rows = self.n_sites * self.n_states + int(self.fit_fields)
        self.n_params = self.n_rows * self.n_states
        self._onehot = None
        if self.method == "onehot":
            self._onehot = onehot(self.codes, self.n_states, self.dtype, self.fit_fields)
        else:
            # the gather kernel reads the targets of one site over a tile of samples
            self._codes_t = np.ascontiguousarray(self.codes.T)
            self._ref, self._colptr, self._ent = sparse_tiles(self.codes, self.n_states, _TILE)
        return self

    def independent_site_coef(self, weight_sum):
        """Zero couplings and plmc's starting fields ``log(W f_i(a) + 1) / beta``.

        ``f_i`` are the weighted frequencies of the states at site ``i`` (known
        values only) and ``W`` the sum of the weights, so the ``+ 1`` is one
        pseudo-count; the fields are shifted to zero sum over states. This is
        the independent-site model, the optimum when couplings are zero; from
        there L-BFGS reached plmc's final objective on the WW domain in 60
        evaluations instead of 101 from zero fields.
        """
        N, q = self.n_sites, self.n_states
        coef = np.zeros((N, self.n_params))
        if not self.fit_fields:
            return coef
        known = self.codes >= 0
        counts = np.zeros((N, q))
        for i in range(N):
            counts[i] = np.bincount(self.codes[known[:, i], i], weights=self.weight[known[:, i]],
                                    minlength=q)
        total = counts.sum(axis=1, keepdims=True)
        f = np.divide(counts, total, out=np.full_like(counts, 1.0 / q), where=total > 0)
        h = np.log(f * weight_sum + 1.0) / self.beta
        h -= h.mean(axis=1, keepdims=True)
        coef.reshape(N, self.n_rows, q)[:, N * q] = h
        return coef

    @property
    def threads_in_kernel(self):
        """The gather kernel does the work of an evaluation; one-hot uses BLAS."""
        return self.method == "gather"

    grad_out = True

    def value_grad(self, coef, start, stop, n_threads=1, grad_dtype=np.float64, out=None):
        """Data term of sites ``start:stop`` and its gradient.

        Parameters
        ----------
        coef : ndarray of shape (stop - start, n_params)
            Block parameters (float64).
        start, stop : int
            The block of sites.
        n_threads : int
            OpenMP threads of the compiled kernels.
        grad_dtype : dtype, default=float64
            Storage of the gradient (gather kernel only); float32 for a
            caller that folds it into float64 right away.
        out : ndarray of shape (stop - start, n_params), default=None
            C-contiguous array of ``grad_dtype`` (float64 with "onehot") that
            receives the gradient (see the datafit interface); a new array
            if None.

        Returns
        -------
        loss : float
        grad : ndarray of shape (stop - start, n_params), of ``grad_dtype``
        """
        nb, q = stop - start, self.n_states
        W = np.ascontiguousarray(coef, dtype=self.dtype).reshape(nb, self.n_rows, q)
        if self.method == "gather":
            if out is None:
                grad = np.empty((nb, self.n_rows, q), dtype=grad_dtype)
            else:
                grad = _check_out(out, (nb, self.n_params), grad_dtype).reshape(nb, self.n_rows, q)
            site_loss = np.empty(nb, dtype=np.float64)
            potts_gather_value_grad(self._codes_t, self._ref, self._colptr, self._ent, _TILE,
                                    W, grad, self.weight, float(self.beta), start,
                                    bool(self.fit_fields), site_loss, int(n_threads))
            return float(site_loss.sum()), grad.reshape(nb, self.n_params) if out is None else out
        loss, grad = self._onehot_value_grad(W, start, stop, n_threads)
        if out is not None:
            # one-hot is the tests' cross-check: its GEMMs allocate anyway
            _check_out(out, grad.shape, np.float64)[...] = grad
            grad = out
        return loss, grad

    def _onehot_value_grad(self, W, start, stop, n_threads):
        nb, q, n_rows = stop - start, self.n_states, self.n_rows
        # (n_rows, nb*q): column i*q + a holds the parameters of state a at site i
        Wb = np.ascontiguousarray(W.transpose(1, 0, 2).reshape(n_rows, nb * q))
        grad = np.zeros((n_rows, nb * q), dtype=np.float64)
        row_loss = np.empty(self.n_samples, dtype=np.float64)
        Y = np.ascontiguousarray(self.codes[:, start:stop])
        rows_per_chunk = max(1, _CHUNK_BYTES // (self.dtype.itemsize * max(n_rows, nb * q)))
        for r0 in range(0, self.n_samples, rows_per_chunk):
            rows = slice(r0, min(r0 + rows_per_chunk, self.n_samples))
            X1h = self._onehot[rows]
            Z = X1h @ Wb
            potts_residual(Z, Y[rows], self.weight[rows], float(self.beta), q,
                           row_loss[rows], int(n_threads))
            grad += X1h.T @ Z
        grad = grad.reshape(n_rows, nb, q).transpose(1, 0, 2)
        grad = np.ascontiguousarray(grad)
        for k in range(nb):
            i = start + k
            grad[k, i * q:(i + 1) * q] = 0.0
        return float(row_loss.sum()), grad.reshape(nb, self.n_params)

    @property
    def layout(self):
        """Row ``i`` holds the q*q blocks ``J[i, j]``, ``j = 0..N-1``, then the fields."""
        return ParameterLayout(self.n_sites * self.n_states**2, self.n_states**2)

    def initial_coef(self, start, sample_weight):
        """The independent-site model (``start="optimum"``, plmc's start) or zeros (``"path"``)."""
        if start == "optimum":
            return self.independent_site_coef(float(np.sum(sample_weight)))
        return np.zeros((self.n_sites, self.n_params))

    def for_solver(self, solver, symmetric):
        """Packed pair blocks for a symmetric fit by a solver of flat vectors (half the memory)."""
        if symmetric and solver.flat_parameters:
            return PackedSymmetricPotts(self)
        return self

    def symmetrize(self, grad):
        """Project a full gradient on ``J[i, j, a, b] = J[j, i, b, a]`` in place.

        The solvers call this for ``symmetric=True`` instead of the binary
        ``J = J.T`` projection.
        """
        N, q, nq = self.n_sites, self.n_states, self.n_sites * self.n_states
        G = grad.reshape(N, self.n_rows, q)[:, :nq].reshape(N, N, q, q)
        # in the row layout, [i, j, b, a] = J[i, j, a, b]: the constraint is G = G.T(1, 0, 3, 2)
        S = 0.5 * (G + G.transpose(1, 0, 3, 2))
        G[...] = S
        return grad


class PackedSymmetricPotts(BaseDatafit):
    """Symmetric Potts data term over the free parameters only, as plmc stores them.

    The parameter vector is one row: the blocks ``e_ij = J[i, j]`` of the
    pairs ``i < j`` (``q*q`` values each, in the row layout's ``[b, a]``
    order), then the fields (N*q, with ``fit_fields``). It is half the size of
    the row layout, in which ``J[i, j]`` and ``J[j, i]`` are both stored, so
    the solver's vectors and history are half as large, and the L-BFGS metric
    on ``(e, h)`` is plmc's. An evaluation expands it into the row layout in
    the data's dtype, calls the row datafit and folds the gradient back
    (``G[i, j] + G[j, i].T``: both conditionals see ``e_ij``).

    Parameters
    ----------
    datafit : PottsPseudoLikelihood
        Initialized row datafit.
    """

    # the solvers see one site with all the parameters; nothing to project
    n_sites = 1
    grad_out = True

    def __init__(self, datafit):
        self.datafit = datafit
        N, q = datafit.n_sites, datafit.n_states
        self.n_pairs = N * (N - 1) // 2
        self.n_couplings = self.n_pairs * q * q
        self.n_params = self.n_couplings + (N * q if datafit.fit_fields else 0)
        # Blocks of at least _MIN_BLOCK_SITES sites (a block's kernel call is
        # parallel over its sites), fewer when all the sites' row-layout
        # parameters and gradient (8 bytes per entry in float32) fit in fewer
        # blocks of _BLOCK_BYTES: fewer calls, so fewer thread barriers, per
        # evaluation of a small model.
        fit = max(1, _BLOCK_BYTES // (8 * datafit.n_params))
        n_blocks = max(1, min(N // _MIN_BLOCK_SITES, -(-N // fit)))
        edges = np.linspace(0, N, n_blocks + 1).round().astype(int)
        self._blocks_of_sites = [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]
        self._scratch = None

    def _block_buffers(self):
        """The row-layout parameters and gradient of one block of sites, in the
        data's dtype: allocated at the first evaluation, reused by the next
        ones (a fresh pair per block and evaluation was page faults and page
        zeroing, 7 % of a PF13354 fit's CPU), dropped by :meth:`release_buffers`."""
        if self._scratch is None:
            d = self.datafit
            rows = max(b - a for a, b in self._blocks_of_sites)
            self._scratch = (np.empty((rows, d.n_params), dtype=d.dtype),
                             np.empty((rows, d.n_params), dtype=d.dtype))
        return self._scratch

    def release_buffers(self):
        self._scratch = None

    def __getstate__(self):
        # scratch arrays are not part of the datafit: copies and pickles go without
        state = self.__dict__.copy()
        state["_scratch"] = None
        return state

    def _pair_rows(self):
        """``(first, stop)`` of the pairs ``(i, j > i)`` of each site ``i`` in the packing."""
        N = self.datafit.n_sites
        starts = np.concatenate([[0], np.cumsum(np.arange(N - 1, 0, -1))]).astype(int)
        return [(int(starts[i]), int(starts[i + 1])) for i in range(N - 1)]

    @property
    def threads_in_kernel(self):
        return self.datafit.threads_in_kernel

    @property
    def history_dtype(self):
        """L-BFGS pairs in the evaluation's dtype (float32 pairs for float32 data)."""
        return self.datafit.dtype

    def _blocks(self, rows):
        """View ``(N, N, q, q)`` of the coupling part of row-layout parameters."""
        d = self.datafit
        N, q = d.n_sites, d.n_states
        return rows.reshape(N, d.n_rows, q)[:, :N * q].reshape(N, N, q, q)

    def pack(self, coef):
        """Row-layout parameters (symmetric) -> one packed row (1, n_params)."""
        d = self.datafit
        N, q = d.n_sites, d.n_states
        out = np.empty((1, self.n_params))
        F = self._blocks(coef)
        e = out[0, :self.n_couplings].reshape(self.n_pairs, q, q)
        for i, (a, b) in enumerate(self._pair_rows()):
            e[a:b] = F[i, i + 1:]
        if d.fit_fields:
            out[0, self.n_couplings:] = coef.reshape(N, d.n_rows, q)[:, N * q].ravel()
        return out

    def unpack(self, x, dtype=np.float64, out=None):
        """One packed row -> row-layout parameters (N, n_params) in ``dtype``.

        The expansion of :meth:`value_grad`, over all sites at once.
        """
        d = self.datafit
        if out is None:
            out = np.empty((d.n_sites, d.n_params), dtype=dtype)
        packed_to_rows(np.ascontiguousarray(x, dtype=np.float64).ravel(), out, 0, d.n_sites,
                       d.n_states, bool(d.fit_fields), 1)
        return out

    def value_grad(self, coef, start=0, stop=1, n_threads=1, out=None):
        """Data term and its gradient in the packed parameters ``coef`` (1, n_params).

        Evaluated over blocks of sites, so only one block's row-layout
        parameters and gradient exist at a time (in two scratch arrays kept
        for the next evaluation); each block's gradient is folded into the
        pairs it touches (compiled loops, parallel over sites). ``out``, a
        C-contiguous float64 array of shape (1, n_params), receives the
        gradient (see the datafit interface); a new array if None.
        """
        d = self.datafit
        N, q = d.n_sites, d.n_states
        x = np.ascontiguousarray(coef, dtype=np.float64).ravel()
        if out is None:
            out = np.zeros((1, self.n_params))
        else:
            _check_out(out, (1, self.n_params), np.float64).fill(0.0)
        rows_buf, grad_buf = self._block_buffers()
        loss = 0.0
        for a, b in self._blocks_of_sites:
            rows, grad = rows_buf[:b - a], grad_buf[:b - a]
            packed_to_rows(x, rows, a, N, q, bool(d.fit_fields), int(n_threads))
            # the row-layout gradient in the data's dtype: each entry is one
            # conditional's sum, added into the float64 packed gradient here
            part, grad = d.value_grad(rows, a, b, n_threads, grad_dtype=d.dtype, out=grad)
            loss += part
            rows_to_packed(grad, out[0], a, N, q, bool(d.fit_fields), int(n_threads))
        return loss, out

    def symmetrize(self, grad):
        """Packed parameters are symmetric by construction."""
        return grad

    @property
    def layout(self):
        """One row: the q*q blocks of the pairs i < j, each read by two conditionals."""
        q = self.datafit.n_states
        return ParameterLayout(self.n_couplings, q * q, pair_weight=2, diagonal_blocks=False)

    def from_rows(self, coef):
        return self.pack(coef)

    def to_rows(self, coef):
        return self.unpack(coef)

