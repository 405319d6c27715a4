"""The binary (Ising) pseudo-likelihood datafit, kept apart from solvers and penalties.

A datafit holds the training data and evaluates, for a contiguous block of
sites ``start:stop``, the data term and its gradient with respect to that
block's parameters ``coef`` of shape ``(stop - start, n_params)``. Solvers
(``_solvers.py``) and penalties (``_penalties.py``) only see the interface
of :mod:`~sklearn_plm._datafits`, so new models plug in without touching them.
"""

import copy
import threading

import numpy as np

from ._datafits import BaseDatafit, ParameterLayout
from ._gemm import panel_matmul
from ._pseudolikelihood_fast import ising_residual

# Rows of X processed per GEMM; bounds the (rows x sites) temporaries.
_CHUNK_BYTES = 32 * 2**20


class IsingPseudoLikelihood(BaseDatafit):
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

    def lipschitz(self):
        """Bound on the curvature of the data term in the parameters of any site.

        ``-log p(s_i | s_rest)`` has second derivative ``4 beta^2 sigma (1 -
        sigma) <= beta^2`` in the local field, so the Hessian in a site's row
        is at most ``beta^2 sum_mu w_mu x^mu x^mu.T`` with ``x = [s, (1)]``;
        symmetric couplings only project it. Its largest eigenvalue is the
        step bound of proximal gradient (computed once, in float64 on one
        BLAS thread so that it does not depend on the threads).
        """
        cached = self.__dict__.get("_lipschitz")
        if cached is None:
            from ._threading import limit_blas_threads

            X = self.S.astype(np.float64)
            if self.fit_fields:
                X = np.hstack([X, np.ones((self.n_samples, 1))])
            with limit_blas_threads(1):
                C = (X * self.weight[:, None]).T @ X
            cached = self._lipschitz = float(self.beta**2 * np.linalg.eigvalsh(C)[-1])
        return cached

    @property
    def layout(self):
        """Row ``i`` is ``[J_i1, ..., J_iN, (b_i)]``."""
        return ParameterLayout(self.n_sites)

    def initial_coef(self, start, sample_weight):
        """Zeros (``start="optimum"``) or the Hebb rule (``"path"``, the paper's start)."""
        if start == "path":
            return self.hebb(sample_weight)
        return np.zeros((self.n_sites, self.n_params))
