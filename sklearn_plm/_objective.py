"""Pseudo-likelihood datafits and penalties, kept apart from the solvers.

A datafit holds the training data and evaluates, for a contiguous block of
sites ``start:stop``, the data term and its gradient with respect to that
block's parameters ``coef`` of shape ``(stop - start, n_params)``. Solvers
(``_solvers.py``) only see this interface, so new models (Potts, ...) and new
penalties plug in without touching them.
"""

import copy
import threading

import numpy as np

from ._gemm import panel_matmul
from ._pseudolikelihood_fast import ising_residual

# Rows of X processed per GEMM; bounds the (rows x sites) temporaries.
_CHUNK_BYTES = 32 * 2**20


class IsingPseudoLikelihood:
    """Negative pseudo-log-likelihood of binary spins, averaged over samples.

    For spins ``s`` in {-1, +1}^N with couplings ``J`` (zero diagonal) and
    fields ``b``, the local field of site ``i`` is ``h_i = sum_j J_ij s_j + b_i``
    and ``-log p(s_i | s_rest) = softplus(-2 beta s_i h_i)``. The data term is

        L = sum_mu w_mu sum_i m_i^mu softplus(-2 beta s_i^mu h_i^mu) / sum_mu w_mu

    where ``m_i^mu = 0`` for unknown spins, which also count as 0 in fields.
    Parameters of site ``i`` are the row ``[J_i1, ..., J_iN, (b_i)]``.

    Parameters
    ----------
    beta : float
        Inverse temperature.
    fit_fields : bool
        Whether each site has a field parameter (last column of ``coef``).
    """

    # The two matrix products do the work of an evaluation. They run on this
    # datafit's own threads, in fixed panels (see _gemm), with BLAS on one
    # thread: BLAS threads would make the result depend on n_jobs.
    threads_in_kernel = True

    def __init__(self, beta=1.0, fit_fields=False):
        self.beta = beta
        self.fit_fields = fit_fields

    def initialize(self, S, sample_weight):
        """Store spins ``S`` (C-contiguous, {-1,0,+1}) and normalized weights."""
        self.S = S
        self.weight = np.ascontiguousarray(sample_weight / sample_weight.sum(), dtype=np.float64)
        self.n_samples, self.n_sites = S.shape
        self.n_params = self.n_sites + int(self.fit_fields)
        return self

    def _chunks(self, n_cols):
        itemsize = self.S.dtype.itemsize
        rows = max(1, _CHUNK_BYTES // (itemsize * max(n_cols, self.n_sites)))
        for r0 in range(0, self.n_samples, rows):
            yield slice(r0, min(r0 + rows, self.n_samples))

    def _buffer(self, name, shape):
        # Scratch arrays reused across evaluations, one set per thread (site
        # blocks run concurrently). Fresh multi-megabyte temporaries at every
        # evaluation were returned to the OS and faulted back in each time,
        # which cost 5-8% of an evaluation.
        local = self.__dict__.get("_local")
        if local is None:
            local = self.__dict__.setdefault("_local", threading.local())
        buf = getattr(local, name, None)
        if buf is None or buf.size < np.prod(shape) or buf.dtype != self.S.dtype:
            buf = np.empty(int(np.prod(shape)), dtype=self.S.dtype)
            setattr(local, name, buf)
        return buf[: int(np.prod(shape))].reshape(shape)

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_local", None)  # thread-local scratch: neither picklable nor needed
        return state

    def value_grad(self, coef, start, stop, n_threads=1):
        """Data term of sites ``start:stop`` and its gradient.

        Parameters
        ----------
        coef : ndarray of shape (stop - start, n_params)
            Block parameters (float64).
        start, stop : int
            The block of sites.
        n_threads : int
            Threads of the matrix products (the result does not depend on it).

        Returns
        -------
        loss : float
        grad : ndarray of shape (stop - start, n_params), float64
        """
        S, N, nb = self.S, self.n_sites, stop - start
        J = self._buffer("J", (nb, N))
        np.copyto(J, coef[:, :N], casting="same_kind")
        b = coef[:, N].astype(S.dtype) if self.fit_fields else None
        G = self._buffer("G", (nb, N))
        grad = np.empty((nb, self.n_params), dtype=np.float64)
        row_loss = np.empty(self.n_samples, dtype=np.float64)
        for k, rows in enumerate(self._chunks(nb)):
            X = S[rows]
            H = panel_matmul(X, J.T, self._buffer("H", (X.shape[0], nb)), n_threads)
            if b is not None:
                H += b
            # one thread: OpenMP threads spinning after the kernel would take
            # the cores of the next product's threads
            ising_residual(H, X, start, self.weight[rows], self.beta, row_loss[rows], 1)
            panel_matmul(H.T, X, G, n_threads)
            # chunk gradients are summed in float64, in chunk order
            if k == 0:
                grad[:, :N] = G
                if b is not None:
                    grad[:, N] = H.sum(axis=0, dtype=np.float64)
            else:
                grad[:, :N] += G
                if b is not None:
                    grad[:, N] += H.sum(axis=0, dtype=np.float64)
        grad[np.arange(nb), start + np.arange(nb)] = 0.0
        return float(row_loss.sum()), grad

    def batch(self, rows):
        """The same datafit on the samples ``rows`` (a mini-batch), weights renormalized."""
        part = copy.copy(self)
        part.__dict__.pop("_local", None)
        return part.initialize(np.ascontiguousarray(self.S[rows]), self.weight[rows])

    def hebb(self, sample_weight):
        """Hebbian couplings ``sum_mu w_mu s^mu s^mu.T / N`` as parameters."""
        from ._rules import hebb

        coef = np.zeros((self.n_sites, self.n_params))
        coef[:, : self.n_sites] = hebb(self.S, sample_weight)
        return coef


class L2Penalty:
    """``alpha/2 ||J||^2 + alpha_fields/2 ||b||^2`` on the parameter rows."""

    def __init__(self, alpha, alpha_fields, n_couplings):
        self.alpha = alpha
        self.alpha_fields = alpha_fields
        self.n_couplings = n_couplings

    def _parts(self, coef):
        # zero penalties are skipped: an unpenalized fit spent 6% of its time
        # adding 0 * J to the gradient
        n = self.n_couplings
        return [(a, sl) for a, sl in ((self.alpha, np.s_[:, :n]), (self.alpha_fields, np.s_[:, n:]))
                if a != 0 and coef[sl].size]

    def value(self, coef, start=0):
        """Penalty of the block rows ``coef`` (``start``, their first site, is unused)."""
        # einsum, not BLAS: the sum must not depend on the number of BLAS threads
        return float(sum(0.5 * a * float(np.einsum("ij,ij->", coef[sl], coef[sl]))
                         for a, sl in self._parts(coef)))

    def add_grad(self, coef, grad, start=0):
        """Add the penalty's gradient to ``grad`` in place."""
        chunk = 1 << 20  # entries per slice: ``a * coef`` is a temporary of that size
        for a, sl in self._parts(coef):
            g, c = grad[sl], coef[sl]
            if c.shape[0] == 1:  # one long row (packed symmetric Potts parameters)
                g, c = g[0], c[0]
                for k in range(0, c.size, chunk):
                    g[k:k + chunk] += a * c[k:k + chunk]
            else:
                step = max(1, chunk // max(1, c.shape[1]))
                for r in range(0, c.shape[0], step):
                    g[r:r + step] += a * c[r:r + step]
        return grad


class SumPenalty:
    """Sum of penalties; the solvers see one ``value``/``add_grad`` pair.

    Each part takes ``(coef, start)``: the rows of sites ``start:start + len(coef)``.
    Parts whose ``active`` attribute is False are skipped.
    """

    def __init__(self, *parts):
        self.parts = [p for p in parts if getattr(p, "active", True)]

    def value(self, coef, start=0):
        return float(sum(p.value(coef, start) for p in self.parts))

    def add_grad(self, coef, grad, start=0):
        for p in self.parts:
            p.add_grad(coef, grad, start)
        return grad
