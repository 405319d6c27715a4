"""Penalties of the pseudo-likelihood fits: the one place where they live.

A penalty acts on solver parameters: rows ``coef`` of shape
``(n_rows, n_params)`` of the sites ``start:start + n_rows``. Which columns
are couplings and which are fields, how large a coupling block is, and how
many conditionals share one stored block, is the datafit's business: a
penalty is built with its hyper-parameters only and bound to a datafit's
:class:`~sklearn_plm._datafits.ParameterLayout` by :meth:`BasePenalty.bind`
before a solver sees it.

What a solver may ask of a penalty (see ``BaseSolver.penalty_needs``):

``value(coef, start)``
    Every penalty.
``add_grad(coef, grad, start)``
    Smooth penalties (``smooth = True``): add the gradient in place.
``prox(coef, step, start)``
    Penalties with a closed-form proximal operator (``proximal = True``):
    ``argmin_x penalty(x) + ||x - coef||^2 / (2 step)``, in place.
``subdiff_distance(coef, grad, start)``
    Distance of ``-grad`` (the datafit's gradient) to the subdifferential of
    the penalty at ``coef``, per entry: zero at an optimum. The contract
    tests and the proximal solver's stopping rule read it.

Adding a penalty is one class here (with whatever of the above it can do)
and, for an estimator to offer it, one line where the estimator builds its
penalty; doc/developers/adding_a_penalty_or_solver.rst walks through L1.
"""

import numpy as np

# Entries per slice of an in-place update: ``a * coef`` is a temporary of that
# size (1 MB), allocated at every evaluation: small against the parameters.
_CHUNK = 1 << 17


def _slices(n_rows, n_cols):
    """Row/column tiles of at most ``_CHUNK`` entries (any layout, one long row included)."""
    if n_cols <= _CHUNK:
        step = max(1, _CHUNK // max(1, n_cols))
        for r in range(0, n_rows, step):
            yield np.s_[r:r + step, :]
    else:
        for r in range(n_rows):
            for k in range(0, n_cols, _CHUNK):
                yield np.s_[r:r + 1, k:k + _CHUNK]


class BasePenalty:
    """Common part of the penalties: binding to a layout, capabilities, sums.

    Attributes
    ----------
    smooth : bool
        Has ``add_grad`` (differentiable everywhere).
    proximal : bool
        Has ``prox``.
    """

    smooth = False
    proximal = False
    # Parts whose strength is zero are dropped from sums (see SumPenalty).
    active = True
    n_couplings = None

    def bind(self, layout):
        """This penalty for parameters of ``layout`` (a ParameterLayout); self is unchanged."""
        raise NotImplementedError

    @classmethod
    def examples(cls):
        """Instances the contract tests (tests/test_contracts.py) run every solver on."""
        return []

    def _check_bound(self):
        if self.n_couplings is None:
            raise RuntimeError(f"{type(self).__name__} is not bound to a parameter layout: "
                               "call penalty.bind(datafit.layout) first.")

    def _parts(self, coef):
        """``(strength, columns)`` of the couplings and of the fields, zero strengths skipped."""
        # zero penalties are skipped: an unpenalized fit spent 6% of its time
        # adding 0 * J to the gradient
        n = self.n_couplings
        return [(a, sl) for a, sl in ((self._alpha_couplings, np.s_[:, :n]),
                                      (self.alpha_fields, np.s_[:, n:]))
                if a != 0 and coef[sl].size]


class L2Penalty(BasePenalty):
    """``alpha/2 ||J||^2 + alpha_fields/2 ||b||^2`` on the parameter rows.

    Parameters
    ----------
    alpha, alpha_fields : float
        Strengths on the couplings and the fields.
    n_couplings : int, default=None
        Coupling columns of a row (the rest are fields); :meth:`bind` sets it
        from a datafit's layout, with each stored coupling counted as many
        times as the layout's ``pair_weight`` says.
    """

    smooth = True
    proximal = True

    def __init__(self, alpha, alpha_fields, n_couplings=None, pair_weight=1):
        self.alpha = alpha
        self.alpha_fields = alpha_fields
        self.n_couplings = n_couplings
        self.pair_weight = pair_weight

    def bind(self, layout):
        return type(self)(self.alpha, self.alpha_fields, layout.n_couplings, layout.pair_weight)

    @classmethod
    def examples(cls):
        return [cls(0.05, 0.02)]

    @property
    def _alpha_couplings(self):
        # a stored block that stands for two conditionals' couplings pays twice
        return self.pair_weight * self.alpha if self.pair_weight != 1 else self.alpha

    def value(self, coef, start=0):
        """Penalty of the block rows ``coef`` (``start``, their first site, is unused)."""
        self._check_bound()
        # einsum, not BLAS: the sum must not depend on the number of BLAS threads
        return float(sum(0.5 * a * float(np.einsum("ij,ij->", coef[sl], coef[sl]))
                         for a, sl in self._parts(coef)))

    def add_grad(self, coef, grad, start=0):
        """Add the penalty's gradient to ``grad`` in place."""
        self._check_bound()
        for a, sl in self._parts(coef):
            g, c = grad[sl], coef[sl]
            for tile in _slices(*c.shape):
                g[tile] += a * c[tile]
        return grad

    def prox(self, coef, step, start=0):
        """Shrink in place: ``coef / (1 + step * strength)``."""
        self._check_bound()
        for a, sl in self._parts(coef):
            coef[sl] /= 1.0 + step * a
        return coef

    def subdiff_distance(self, coef, grad, start=0):
        """``|grad + penalty gradient|`` per entry."""
        return np.abs(self.add_grad(coef, np.array(grad, dtype=np.float64), start))


class ElasticNetPenalty(BasePenalty):
    r"""``alpha (l1_ratio ||J||_1 + (1 - l1_ratio)/2 ||J||^2) + alpha_fields/2 ||b||^2``.

    scikit-learn's ``ElasticNet`` parametrization on the couplings; the fields
    keep an L2 penalty (a field is one per site, not an edge of the graph).
    ``l1_ratio=1`` is the L1 (lasso) penalty of sparse structure learning.
    Not differentiable where a coupling is zero: solvers reach it through
    :meth:`prox`, whose soft threshold sets couplings exactly to zero.

    Parameters
    ----------
    alpha : float
        Strength on the couplings.
    l1_ratio : float
        Share of the L1 term, in [0, 1].
    alpha_fields : float
        L2 strength on the fields.
    n_couplings, pair_weight :
        As in :class:`L2Penalty`, set by :meth:`bind`.
    """

    proximal = True

    def __init__(self, alpha, l1_ratio, alpha_fields, n_couplings=None, pair_weight=1):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.alpha_fields = alpha_fields
        self.n_couplings = n_couplings
        self.pair_weight = pair_weight

    def bind(self, layout):
        return type(self)(self.alpha, self.l1_ratio, self.alpha_fields, layout.n_couplings,
                          layout.pair_weight)

    @classmethod
    def examples(cls):
        return [cls(0.02, 1.0, 0.01), cls(0.03, 0.5, 0.0)]

    @property
    def _alpha_couplings(self):
        return self.pair_weight * self.alpha

    def _strengths(self):
        a = self._alpha_couplings
        return a * self.l1_ratio, a * (1.0 - self.l1_ratio)

    def value(self, coef, start=0):
        self._check_bound()
        l1, l2 = self._strengths()
        J = coef[:, :self.n_couplings]
        b = coef[:, self.n_couplings:]
        return float(l1 * np.abs(J).sum() + 0.5 * l2 * np.einsum("ij,ij->", J, J)
                     + 0.5 * self.alpha_fields * np.einsum("ij,ij->", b, b))

    def prox(self, coef, step, start=0):
        """Soft threshold at ``step * alpha * l1_ratio``, then the L2 shrinkage, in place."""
        self._check_bound()
        l1, l2 = self._strengths()
        J = coef[:, :self.n_couplings]
        for tile in _slices(*J.shape):
            c = J[tile]
            # one temporary: the shrunk magnitudes, then the signs put back in place
            mag = np.abs(c)
            mag -= step * l1
            np.maximum(mag, 0.0, out=mag)
            if l2:
                mag /= 1.0 + step * l2
            np.sign(c, out=c)
            c *= mag
        if self.alpha_fields:
            coef[:, self.n_couplings:] /= 1.0 + step * self.alpha_fields
        return coef

    def subdiff_distance(self, coef, grad, start=0):
        """Distance of ``-grad`` to the subdifferential, per entry.

        Where a coupling is nonzero the penalty is differentiable; where it is
        zero the subdifferential of the L1 term is ``[-l1, l1]``.
        """
        self._check_bound()
        l1, l2 = self._strengths()
        n = self.n_couplings
        out = np.empty(coef.shape, dtype=np.float64)
        J, gJ = coef[:, :n], grad[:, :n] + l2 * coef[:, :n]
        out[:, :n] = np.where(J != 0, np.abs(gJ + l1 * np.sign(J)),
                              np.maximum(np.abs(gJ) - l1, 0.0))
        out[:, n:] = np.abs(grad[:, n:] + self.alpha_fields * coef[:, n:])
        return out


def L1Penalty(alpha, alpha_fields=0.0):
    """The L1 penalty ``alpha ||J||_1`` (+ L2 on fields): elastic net with ``l1_ratio=1``."""
    return ElasticNetPenalty(alpha, 1.0, alpha_fields)


class GroupL1Penalty(BasePenalty):
    """Group-L1 penalty on the coupling blocks, the smoothed form plmc uses (``-lg``).

    ``alpha_group / 2 * sum_{i != j} sqrt(eps + ||J[i, j]||^2)`` over ordered
    pairs of distinct sites, so that symmetric couplings pay plmc's
    ``alpha_group * sum_{i < j} sqrt(eps + ||e_ij||^2)``; ``eps`` keeps the
    objective smooth for L-BFGS (plmc's ``REGULARIZATION_GROUP_EPS``).

    Parameters
    ----------
    alpha_group : float
        Strength of the penalty.
    n_sites, n_states : int
        ``N`` and ``q``; the block ``J[i, j]`` is the contiguous slice
        ``coef[i, j*q*q:(j+1)*q*q]`` of the row layout. :meth:`bind` sets
        them from a layout (for packed symmetric parameters, ``n_sites`` is the
        number of stored blocks of the one row).
    eps : float, default=1e-3
        Smoothing inside the square root.
    diagonal : bool, default=True
        Whether row ``k`` holds a diagonal block ``J[start + k, start + k]``,
        which is not a parameter (False for the packed rows of
        :class:`~sklearn_plm._potts_objective.PackedSymmetricPotts`, whose
        blocks are the pairs ``i < j``).
    pair_weight : int, default=1
        Conditionals that share one stored block (2 for packed rows).
    """

    smooth = True

    def __init__(self, alpha_group, n_sites=None, n_states=None, eps=1e-3, diagonal=True,
                 pair_weight=1):
        self.alpha_group = alpha_group
        self.n_sites = n_sites
        self.n_states = n_states
        self.eps = eps
        self.diagonal = diagonal
        self.pair_weight = pair_weight

    def bind(self, layout):
        return type(self)(self.alpha_group, layout.n_couplings // layout.block_size,
                          int(round(layout.block_size ** 0.5)), self.eps,
                          layout.diagonal_blocks, layout.pair_weight)

    @classmethod
    def examples(cls):
        return [cls(0.1)]

    @property
    def active(self):
        return self.alpha_group != 0

    @property
    def _alpha(self):
        return self.pair_weight * self.alpha_group if self.pair_weight != 1 else self.alpha_group

    def _norms(self, coef, start):
        N, qq = self.n_sites, self.n_states ** 2
        blocks = coef[:, :N * qq].reshape(len(coef), N, qq)
        norms = np.sqrt(self.eps + np.einsum("kjc,kjc->kj", blocks, blocks))
        # the blocks J[i, i] are not parameters
        off = np.ones(norms.shape, dtype=bool)
        if self.diagonal:
            off[np.arange(len(coef)), start + np.arange(len(coef))] = False
        return blocks, norms, off

    def value(self, coef, start=0):
        """Penalty of the rows of sites ``start:start + len(coef)``."""
        _, norms, off = self._norms(coef, start)
        return 0.5 * self._alpha * float(norms[off].sum())

    def add_grad(self, coef, grad, start=0):
        """Add the penalty's gradient to ``grad`` in place."""
        N, qq = self.n_sites, self.n_states ** 2
        blocks, norms, off = self._norms(coef, start)
        scale = np.where(off, 0.5 * self._alpha / norms, 0.0)
        view = grad[:, :N * qq].view()
        view.shape = (len(coef), N, qq)  # raises rather than copies
        view += scale[..., None] * blocks
        return grad

    def subdiff_distance(self, coef, grad, start=0):
        return np.abs(self.add_grad(coef, np.array(grad, dtype=np.float64), start))


class SumPenalty(BasePenalty):
    """Sum of penalties; the solvers see one penalty.

    Each part takes ``(coef, start)``: the rows of sites ``start:start + len(coef)``.
    Parts whose ``active`` attribute is False are dropped. The sum is smooth
    when every part is; it has a proximal operator when it has one part only.
    """

    def __init__(self, *parts):
        self.parts = [p for p in parts if getattr(p, "active", True)]

    @property
    def smooth(self):
        return all(p.smooth for p in self.parts)

    @property
    def proximal(self):
        return len(self.parts) <= 1 and all(p.proximal for p in self.parts)

    def bind(self, layout):
        return SumPenalty(*(p.bind(layout) for p in self.parts))

    @classmethod
    def examples(cls):
        return [cls(L2Penalty(0.05, 0.02), GroupL1Penalty(0.1))]

    def value(self, coef, start=0):
        return float(sum(p.value(coef, start) for p in self.parts))

    def add_grad(self, coef, grad, start=0):
        for p in self.parts:
            p.add_grad(coef, grad, start)
        return grad

    def prox(self, coef, step, start=0):
        for p in self.parts:
            p.prox(coef, step, start)
        return coef

    def subdiff_distance(self, coef, grad, start=0):
        if not self.parts:
            return np.abs(np.asarray(grad, dtype=np.float64))
        if len(self.parts) == 1:
            return self.parts[0].subdiff_distance(coef, grad, start)
        # smooth parts first, so that at most the last one is not differentiable
        grad = np.array(grad, dtype=np.float64)
        for p in self.parts[:-1]:
            p.add_grad(coef, grad, start)
        return self.parts[-1].subdiff_distance(coef, grad, start)
