"""The datafit interface: what a solver and a penalty may ask of a data term.

The datafits themselves live next to their kernels:
:class:`~sklearn_plm._objective.IsingPseudoLikelihood` (binary spins),
:class:`~sklearn_plm._potts_objective.PottsPseudoLikelihood` (categorical
data, one row of parameters per site) and
:class:`~sklearn_plm._potts_objective.PackedSymmetricPotts` (symmetric
Potts couplings stored once per pair, as plmc stores them). Each derives
from :class:`BaseDatafit` and owns its parameter layout:

``n_sites``, ``n_params``
    Solvers work on ``coef`` of shape ``(n_sites, n_params)``; the rows of
    ``start:stop`` are the parameters of those sites' conditionals.
``value_grad(coef, start, stop, n_threads[, out]) -> (loss, grad)``
    The data term of the block and its gradient (float64). Datafits with
    ``grad_out = True`` also take ``out=``: a C-contiguous float64 array of
    the gradient's shape, owned by the caller, which receives the gradient
    and is returned, so an evaluation allocates no parameter-sized array.
    The caller passes only an array it no longer needs: L-BFGS keeps the
    accepted point's gradient while it evaluates trial points, so it owns
    two arrays and passes the one that does not hold that gradient
    (:func:`~sklearn_plm._lbfgs.minimize_lbfgs`, ``grad_out``). Without
    ``out`` the gradient is a fresh array, which the caller may keep.
``release_buffers()``
    Drop the scratch arrays a datafit keeps from one evaluation to the next
    (e.g. the per-block rows of
    :class:`~sklearn_plm._potts_objective.PackedSymmetricPotts`); the solvers
    call it when a fit ends, so that nothing parameter-sized outlives the
    fit. Scratch arrays are allocated on first use and never pickled or
    copied; one datafit object runs one evaluation at a time.
``symmetrize(grad)``
    Projection of a full gradient on the symmetric parameters (``symmetric=True``).
``layout``
    A :class:`ParameterLayout`: where the couplings are, so a penalty needs
    no knowledge of the model (``penalty.bind(datafit.layout)``).
``initial_coef(start, sample_weight)``
    The starting point a solver asks for by its ``start`` attribute.
``for_solver(solver, symmetric)``, ``from_rows(coef)``, ``to_rows(coef)``
    The datafit in the layout that suits the solver (e.g. packed symmetric
    Potts parameters for solvers that work on flat vectors), and the
    conversions from and to one row of parameters per site.
``threads_in_kernel``, ``history_dtype``, ``grad_out``
    Where an evaluation's threads go; the dtype of an L-BFGS history;
    whether ``value_grad`` takes ``out=``.
"""

from typing import NamedTuple

import numpy as np


class ParameterLayout(NamedTuple):
    """Where the couplings sit in a row of solver parameters.

    Attributes
    ----------
    n_couplings : int
        The first ``n_couplings`` columns of a row are couplings, the rest fields.
    block_size : int
        Entries of the coupling block of one pair of sites (1 binary, q*q Potts).
    pair_weight : int
        Conditionals that read one stored coupling: 1 when each site's row
        stores its own couplings, 2 when a block is stored once per pair
        (its penalty counts twice, as in the row layout).
    diagonal_blocks : bool
        Whether row ``k`` of the block starting at site ``start`` holds the
        (non-parameter) block ``J[start + k, start + k]``.
    """

    n_couplings: int
    block_size: int = 1
    pair_weight: int = 1
    diagonal_blocks: bool = True


class BaseDatafit:
    """Defaults of the datafit interface (see the module docstring)."""

    threads_in_kernel = False
    history_dtype = np.float64
    grad_out = False

    def release_buffers(self):
        """Drop scratch arrays kept between evaluations (none by default)."""

    @property
    def layout(self):
        raise NotImplementedError

    def initial_coef(self, start, sample_weight):
        """Starting parameters: ``start="optimum"`` (near the optimum of a
        smooth fit) or ``"path"`` (the start of a training-time path). The
        default is zero for both."""
        return np.zeros((self.n_sites, self.n_params))

    def for_solver(self, solver, symmetric):
        """This datafit, in the parameter layout ``solver`` works in."""
        return self

    def from_rows(self, coef):
        """One row of parameters per site -> this datafit's layout."""
        return coef

    def to_rows(self, coef):
        """This datafit's layout -> one row of parameters per site."""
        return coef
