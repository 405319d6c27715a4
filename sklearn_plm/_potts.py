"""Pseudo-likelihood associative memory for categorical (Potts) patterns."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import DataConversionWarning

from ._sklearn_compat import _fit_context, Interval, StrOptions
from ._penalties import GroupL1Penalty, L2Penalty, SumPenalty
from ._potts_dispatch import potts_log_conditionals
from ._potts_objective import PottsPseudoLikelihood
from ._base import PL_PARAMETER_CONSTRAINTS, BaseMemory
from ._contact_scores import (CORRECTIONS, average_product_correction, block_norms,
                              column_entropies, entropy_correction, zero_sum_blocks)
from ._mutation import mutation_effects
from ._potts_layout import coef_to_params, params_to_coef, potts_fields
from ._recall import RecallResult, code_marginals, complete_codes, free_sites
from ._sampling import gibbs_potts
from ._solvers import make_solver, solve
from ._state import check_count
from ._validation import (MAX_STATES, check_model_memory, check_sample_weight, check_states,
                          check_temperature)


# the block norms and corrections of contact_map live with the other contact
# scores; zero_sum_gauge shares the block gauge change
_zero_sum_couplings = zero_sum_blocks


class PottsPseudoLikelihoodMemory(BaseMemory):
    r"""Associative memory for categorical data trained by maximum pseudo-likelihood.

    The model is a Potts network: site ``i`` takes one of ``q`` states, coded
    ``0, ..., q-1``. With couplings ``J[i, j, a, b]`` (between state ``a`` at
    site ``i`` and state ``b`` at site ``j``) and fields ``h[i, a]``, the
    local field of state :math:`a` at site :math:`i` and the conditional of a
    site given the others are

    .. math::

        H_i(a) = h_{ia} + \sum_{j \neq i} J_{ij}(a, x_j), \qquad
        p(x_i = a \mid x_{\setminus i})
        = \frac{e^{\beta H_i(a)}}{\sum_{c} e^{\beta H_i(c)}}.

    Training minimizes the mean over samples of the negative
    pseudo-log-likelihood (a sum over sites) plus
    :math:`\frac{\alpha}{2} \|J\|^2 + \frac{\alpha_h}{2} \|h\|^2`
    (``alpha`` and ``alpha_fields``); with asymmetric couplings
    this is one multinomial logistic regression per site on the one-hot
    encoding of the other sites (plmDCA's asymmetric variant).

    Run at zero temperature (each site takes the state of largest local
    field) the network is an associative memory for categorical patterns,
    such as the sequences of a protein family alignment; :meth:`sample` draws
    new patterns by Gibbs sampling and :meth:`contact_map` gives the usual
    direct-coupling-analysis contact scores.

    Parameters
    ----------
    alpha : float, default=1e-2
        L2 penalty on the couplings. Tune it on a log scale, e.g. with
        ``GridSearchCV`` (``score`` is the mean pseudo-log-likelihood).
    n_states : "auto" or int, default="auto"
        Number of states ``q``. ``"auto"`` uses the largest code seen in fit
        plus one; an int fixes ``q`` (codes seen in fit must be below it).
    beta : float, default=1.0
        Inverse temperature of the conditionals. Only ``beta * J`` and
        ``beta * h`` matter for the fit, so it rescales the penalties.
    symmetric : bool, default=False
        Constrain ``J[i, j, a, b] = J[j, i, b, a]``. This couples all sites
        into one problem, solved jointly instead of in parallel site blocks.
    fit_fields : bool, default=True
        Learn fields ``h[i, a]``, as is standard for Potts models.
    alpha_fields : float, default=None
        L2 penalty on the fields; None uses ``alpha``.
    alpha_group : float, default=0.0
        Group-L1 penalty on the coupling blocks, plmc's ``-lg``:
        ``alpha_group * sum_{i < j} sqrt(1e-3 + ||J[i, j]||^2)`` for symmetric
        couplings (half of it per ordered block ``J[i, j]`` otherwise). It
        drives the couplings of weakly coupled pairs towards zero as a block.
    penalty_scale : {"mean", "sum"}, default="mean"
        How the penalties compare with the data term. ``"mean"``: the
        objective is the weighted *mean* of the negative pseudo-log-likelihood
        plus ``alpha/2 ||J||^2 + alpha_fields/2 ||h||^2`` plus the group term.
        ``"sum"``: plmc's objective, ``alpha``, ``alpha_fields`` and
        ``alpha_group`` are plmc's ``le``, ``lh`` and ``lg``: the weighted
        *sum* ``sum_s w_s NLPL_s + alpha_fields ||h||^2 + alpha sum_{i<j}
        ||J[i, j]||^2 + alpha_group sum_{i<j} sqrt(1e-3 + ||J[i, j]||^2)``
        (for symmetric couplings; see Notes). In both modes ``loss_`` is the
        objective divided by the sum of the weights ``W``, so ``"sum"`` with
        ``(le, lh, lg)`` is the same fit as ``"mean"`` with
        ``(le / W, 2 lh / W, lg / W)``.
    solver : {"lbfgs", "gd", "fista"}, default="lbfgs"
        ``"lbfgs"`` minimizes the objective to ``tol``, starting as plmc does
        from zero couplings and the fields of the independent-site model
        (``log(W f_i(a) + 1) / beta``, with ``f_i`` the weighted state
        frequencies and ``W`` the sum of the weights); ``"gd"`` is full-batch
        gradient descent (``max_iter`` epochs at ``learning_rate``, optional
        gradient clipping), starting from zero couplings and fields;
        ``"fista"`` is accelerated proximal gradient from plmc's start (it
        needs ``alpha_group=0``: the smoothed group penalty has no proximal
        operator).
    max_iter : int, default=200
        L-BFGS iterations per site block, or gradient-descent epochs.
    tol : float, default=1e-4
        Stop when the largest absolute gradient entry is at most ``tol``
        (gradient of the objective: the weighted mean negative
        pseudo-log-likelihood summed over sites, plus the penalty). A
        smaller ``tol`` gives a closer optimum for more iterations, and
        weaker penalties need a smaller ``tol`` for the same accuracy
        (:ref:`potts` gives the distance to the optimum on a protein
        family). With ``symmetric=True`` and
        ``solver="lbfgs"`` the parameters are the blocks of the pairs
        ``i < j`` and the fields (each pair stored once, as plmc does), so a
        coupling's gradient sums the terms of both conditionals that contain
        it.
    tol_norm : {"max", "relative_l2"}, default="max"
        Which size of the gradient ``tol`` bounds (of the gradient mapping
        with ``solver="fista"``): ``"max"``, its largest absolute entry;
        ``"relative_l2"``, its Euclidean norm divided by ``max(1, ||p||)``,
        with ``||p||`` the Euclidean norm of the parameters solved together
        (a site block's, or all of them in a symmetric fit): libLBFGS's
        test. plmc runs it with ``1e-3`` on its summed objective, which is
        ``tol=1e-3 / W`` here, with ``W`` the sum of the weights:
        ``python -m sklearn_plm.plmc`` does so by default.
    tol_objective : float, default=0.0
        With ``solver="lbfgs"``, also stop when the objective fell by less
        than this fraction over the last 10 iterations (libLBFGS's ``delta``
        test with ``past=10``); 0 disables the test. In float32 plmc stops
        about there: its line search fails on the rounding of its objective
        (libLBFGS's ``ROUNDING_ERROR``) once the decrease over 10 iterations
        is a few 1e-5 of it, so ``python -m sklearn_plm.plmc`` sets this by
        default (``--delta``).
    learning_rate : float, default=1.0
        Step size of ``solver="gd"``.
    clip : float, default=None
        With ``solver="gd"``, rescale a gradient whose norm exceeds ``clip``.
    warm_start : bool, default=False
        Start from the previous fit's parameters (when the number of sites
        and of states match).
    recall : {"sync", "async", "mean-field", "gibbs"}, default="sync"
        Dynamics of :meth:`transform`. Zero temperature: parallel updates of
        all sites (local fields updated by sparse matrix products), or
        random-order sequential sweeps in a compiled kernel. Finite
        temperature: each free entry takes its most probable state under
        the model's marginals given the held entries, estimated by damped
        mean-field iteration (deterministic) or by clamped Gibbs chains (see
        :meth:`predict_proba`). Parallel updates can end in a 2-cycle, which
        stops recall (reported by :meth:`complete`); random-order sweeps
        do not stop at 2-cycles and reach a fixed point far more often, so
        prefer ``"async"`` when rows must end at a fixed point
        (:ref:`recall` gives both rates on a protein family).
    max_recall_iter : int, default=100
        Steps (sync, mean-field) or sweeps (async) before recall gives up
        on a row.
    burn_in : int, default=50
        ``recall="gibbs"``: sweeps of each row's clamped chain before its
        conditionals are averaged.
    n_sweeps : int, default=200
        ``recall="gibbs"``: sweeps over which the conditionals are averaged.
    clamp : bool or "auto", default="auto"
        Which known (non-NaN) entries recall may change. ``True``: none (only
        the unknown entries are inferred: completion); ``False``: all (the
        known entries are only the starting point: denoising); ``"auto"``:
        none in rows that have unknown entries, all in complete rows, so
        completing masked rows never changes an observed entry and denoising
        a corrupted pattern without NaN works as before.
    n_jobs : int, default=None
        Parallel site blocks of an asymmetric ``fit`` (through joblib; a
        block has at least 32 sites) and OpenMP threads of the compiled
        kernels (single-block and symmetric fits, recall, scoring,
        sampling). ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` uses all processors.
    random_state : int, RandomState instance or None, default=None
        Seeds the site order of ``recall="async"`` and, unless given there,
        :meth:`sample`.
    verbose : int, default=0
        Print one line per site block (or per 10 epochs of ``"gd"``). A
        single L-BFGS problem (symmetric or one block of sites) also prints
        its loss and largest gradient entry every 10 iterations, or every
        iteration with ``verbose >= 2``.

    Attributes
    ----------
    coupling_ : ndarray of shape (n_features, n_features, `n_states_`, `n_states_`)
        Couplings ``J[i, j, a, b]``, zero on the blocks ``i == j``, in the
        dtype of the training data and in the gauge chosen by the penalty
        (see Notes; :meth:`zero_sum_gauge` gives the zero-sum gauge).
    fields_ : ndarray of shape (n_features, `n_states_`)
        Fields ``h[i, a]`` (zeros when ``fit_fields=False``).
    n_states_ : int
        Number of states ``q``.
    n_iter_ : int
        Largest number of solver iterations over site blocks (epochs for
        ``"gd"``).
    loss_ : float
        Final objective (data term plus penalty), summed over site blocks;
        with ``penalty_scale="sum"`` it is plmc's objective divided by the sum
        of the sample weights.
    n_features_in_ : int
        Number of features (sites) seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    PseudoLikelihoodMemory : The binary (Ising) estimator.
    sklearn_plm.datasets.read_alignment : Protein alignments as state codes.

    Notes
    -----
    **Encoding.** Inputs are state codes ``0, ..., q-1`` stored in any
    numeric array; they are validated as floats (so float inputs with
    integer values are accepted). Negative values raise a ValueError;
    non-integer values are rounded to the nearest integer (halves to even)
    with a ``DataConversionWarning`` rather than rejected, as scikit-learn's
    ``CategoricalNB`` also converts them. :meth:`transform`,
    :meth:`complete` and :meth:`sample` return codes as floats with integer
    values, in the dtype of the input (or of the training data), because
    scikit-learn's validation hands transformers float arrays. For proteins,
    :func:`~sklearn_plm.datasets.read_alignment` codes the alphabet
    ``"-ACDEFGHIKLMNPQRSTVWY"`` as ``0..20`` (gap = 0).

    **Missing values.** NaN marks an unknown value. In ``fit`` and
    :meth:`score_samples` it adds nothing to the other sites' fields (its
    one-hot block is zero) and its own conditional is left out of the loss.
    In recall it is a site to infer, which contributes nothing until it is
    first set. "Adds nothing" refers to the gauge of ``coupling_``, the one
    the fit used.

    **Regularization and gauge.** The conventions of plmDCA and plmc: an L2
    penalty on couplings (``alpha``) and on fields (``alpha_fields``)
    separately, and no gauge fixing during the fit. The softmax is
    over-parametrized (adding to ``J[i, j, :, b]`` or to ``h[i, :]`` a
    constant over the states of ``i`` leaves the conditionals unchanged), and
    the penalty picks one representative: at the optimum of an asymmetric
    fit every ``J[i, j, :, b]`` sums to zero over ``a``, and with
    ``alpha_fields > 0`` every ``h[i, :]`` sums to zero (in both fits). With
    ``symmetric=True`` the penalty counts each pair ``(i, j)`` twice, once
    per ordered pair, as in the binary estimator, so ``alpha/2 ||J||^2`` is
    ``alpha sum_{i<j} ||J[i, j]||^2``: plmc's coupling penalty with ``le =
    alpha W``. With ``penalty_scale="sum"`` an asymmetric fit pays
    ``alpha/2 ||J[i, j]||^2`` per ordered block, which is plmc's ``le`` term
    when the couplings are symmetric. :meth:`zero_sum_gauge`
    returns the equivalent parameters in the zero-sum (Ising) gauge, and
    :meth:`contact_map` the APC-corrected Frobenius norms used for contact
    prediction.

    **Sampling.** :meth:`sample` runs Gibbs chains on the conditionals.
    With asymmetric couplings there is in general no energy function; the
    samples then follow the stationary distribution of the Markov chain
    defined by the conditionals.

    References
    ----------
    M. Ekeberg, C. Lövkvist, Y. Lan, M. Weigt, E. Aurell, "Improved contact
    prediction in proteins: using pseudolikelihoods to infer Potts models",
    Phys. Rev. E 87, 012707 (2013).

    F. D'Amico, D. Bocchi, L. Del Bono, S. Rossi, M. Negri, "Pseudo-likelihood
    produces associative memories able to generalize, even for asymmetric
    couplings", arXiv:2507.05147 (2025).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_plm import PottsPseudoLikelihoodMemory
    >>> rng = np.random.default_rng(0)
    >>> patterns = rng.integers(0, 4, size=(10, 40)).astype(float)
    >>> memory = PottsPseudoLikelihoodMemory(alpha=1e-3).fit(patterns)
    >>> noisy = patterns.copy()
    >>> noisy[rng.random(noisy.shape) < 0.1] = np.nan
    >>> float(np.mean(memory.transform(noisy) == patterns))
    1.0
    """

    _parameter_constraints: dict = {
        **BaseMemory._parameter_constraints,
        **PL_PARAMETER_CONSTRAINTS,
        "n_states": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "alpha_group": [Interval(Real, 0, None, closed="left")],
        "penalty_scale": [StrOptions({"mean", "sum"})],
    }

    def __init__(
        self,
        alpha=1e-2,
        *,
        n_states="auto",
        beta=1.0,
        symmetric=False,
        fit_fields=True,
        alpha_fields=None,
        alpha_group=0.0,
        penalty_scale="mean",
        solver="lbfgs",
        max_iter=200,
        tol=1e-4,
        tol_norm="max",
        tol_objective=0.0,
        learning_rate=1.0,
        clip=None,
        warm_start=False,
        recall="sync",
        max_recall_iter=100,
        burn_in=50,
        n_sweeps=200,
        clamp="auto",
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.alpha = alpha
        self.n_states = n_states
        self.beta = beta
        self.symmetric = symmetric
        self.fit_fields = fit_fields
        self.alpha_fields = alpha_fields
        self.alpha_group = alpha_group
        self.penalty_scale = penalty_scale
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.tol_norm = tol_norm
        self.tol_objective = tol_objective
        self.learning_rate = learning_rate
        self.clip = clip
        self.warm_start = warm_start
        self.recall = recall
        self.max_recall_iter = max_recall_iter
        self.burn_in = burn_in
        self.n_sweeps = n_sweeps
        self.clamp = clamp
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ input

    def _codes(self, X, n_states=None):
        """Validated float X -> (int32 codes with -1 for NaN, number of states)."""
        name = type(self).__name__
        known = ~np.isnan(X)
        values = X[known]
        if np.isinf(values).any():
            raise ValueError(
                f"Input X contains infinity. {name} expects state codes 0, ..., q-1 "
                "and NaN for unknown values.")
        if values.size and values.min() < 0:
            raise ValueError(
                f"Negative values in data passed to {name}. States are coded "
                "0, ..., q-1; mark unknown values with NaN.")
        if values.size and values.max() >= MAX_STATES:
            # 1e308 would otherwise become a model of 1e308 states (or an int32 wrap)
            raise ValueError(
                f"X contains the state code {float(values.max()):g}, but {name} codes states "
                f"0, ..., q-1 with q at most {MAX_STATES}. Encode categories as small "
                "integers first, e.g. with sklearn.preprocessing.OrdinalEncoder.")
        rounded = np.rint(values)
        if not np.array_equal(values, rounded):
            bad = values[values != rounded][0]
            warnings.warn(
                f"{name} expects integer state codes 0, ..., q-1 (and NaN for "
                f"unknown values); got non-integer values such as {float(bad)!r}, "
                "which are read as the nearest integer. Encode categories first, "
                "e.g. with sklearn.preprocessing.OrdinalEncoder.",
                DataConversionWarning,
            )
            values = rounded
        top = int(values.max()) if values.size else -1
        if n_states is None:
            if top < 0:
                raise ValueError(
                    f"{name} needs some known values to fit; every entry of X is NaN.")
            n_states = top + 1 if self.n_states == "auto" else self.n_states
            where = f"n_states={n_states}"
        else:
            where = f"the fitted model has n_states_={n_states}"
        if top >= n_states:
            raise ValueError(
                f"X contains the state code {top}, but {where} (codes 0..{n_states - 1}). "
                "Fit with a larger n_states, or recode X.")
        codes = np.full(X.shape, -1, dtype=np.int32)
        codes[known] = values.astype(np.int32)
        return codes, n_states

    _fitted_attributes = ("coupling_", "fields_", "n_states_")

    def _fitted_shapes(self):
        n = self._n_features()
        q = check_count(type(self).__name__, "n_states_", self.n_states_)
        return {"coupling_": (n, n, q, q), "fields_": (n, q)}

    def _codes_for_inference(self, X):
        self._check_fitted()
        X = self._validate_input(X, reset=False)
        codes, _ = self._codes(X, self.n_states_)
        return X, codes

    def _local_fields(self, codes):
        return potts_fields(codes, self.coupling_, self.fields_, self._n_threads())

    # -------------------------------------------------------------------- fit

    def _penalty(self, weight_sum):
        """The penalty of the mean objective, before a datafit binds it to its layout."""
        alpha, alpha_group = self.alpha, self.alpha_group
        alpha_fields = alpha if self.alpha_fields is None else self.alpha_fields
        if self.penalty_scale == "sum":
            if not weight_sum > 0:
                raise ValueError('penalty_scale="sum" needs a positive sum of sample weights.')
            # plmc's lh ||h||^2 is alpha_fields/2 ||h||^2 with alpha_fields = 2 lh
            alpha, alpha_fields = alpha / weight_sum, 2.0 * alpha_fields / weight_sum
            alpha_group = alpha_group / weight_sum
        return SumPenalty(L2Penalty(alpha, alpha_fields), GroupL1Penalty(alpha_group))

    def _initial_coef(self, datafit, solver, sample_weight):
        N, q = datafit.n_sites, datafit.n_states
        if (self.warm_start and hasattr(self, "coupling_")
                and self.coupling_.shape[0] == N and self.n_states_ == q):
            return params_to_coef(self.coupling_, self.fields_, self.fit_fields)
        return datafit.initial_coef(solver.start, sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Fit couplings and fields by maximum pseudo-likelihood.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training patterns, state codes ``0, ..., q-1``. NaN marks an
            unknown value: it adds nothing to the other sites' fields and its
            own conditional is left out of the objective.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Pattern weights, e.g. :func:`~sklearn_plm.datasets.sequence_weights`;
            integer weights are equivalent to repeated rows.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        with self._all_or_nothing():
            return self._fit(X, sample_weight)

    def _fit(self, X, sample_weight):
        X = self._validate_input(X, reset=True)
        codes, q = self._codes(X)
        N = X.shape[1]
        solver = make_solver(self)
        # A solver of flat vectors solves a symmetric fit over the free
        # parameters only (plmc's layout, half the memory): the datafit decides.
        packed = self.symmetric and solver.flat_parameters
        check_model_memory(
            N * q, solver.fit_arrays(N, symmetric=self.symmetric, n_jobs=self.n_jobs,
                                     packed=packed),
            what="Potts pseudo-likelihood fit", hint=" (sites times states)")
        sample_weight = check_sample_weight(sample_weight, X)
        rows = PottsPseudoLikelihood(q, self.beta, self.fit_fields).initialize(
            codes, sample_weight, X.dtype)
        datafit = rows.for_solver(solver, self.symmetric)
        penalty = self._penalty(float(sample_weight.sum())).bind(datafit.layout)
        solver.check(datafit, penalty, type(self).__name__)
        coef0 = self._initial_coef(rows, solver, sample_weight)
        if self.symmetric:
            coef0 = rows.symmetrize(coef0)
        # the row-layout start is dropped before solving (it is as large as the fit)
        coef0 = datafit.from_rows(coef0)
        coef, self.n_iter_, self.loss_ = solve(self, datafit, penalty, coef0)
        coef = datafit.to_rows(coef)

        J, h = coef_to_params(coef, N, q, self.fit_fields)
        if self.symmetric:
            J = 0.5 * (J + J.transpose(1, 0, 3, 2))
        J[np.arange(N), np.arange(N)] = 0.0
        self.coupling_ = np.ascontiguousarray(J, dtype=X.dtype)
        self.fields_ = np.ascontiguousarray(h, dtype=X.dtype)
        self.n_states_ = q
        return self

    # ----------------------------------------------------------------- recall

    def complete(self, X):
        """Complete each row by recall and report convergence.

        Zero temperature: each site in turn (``recall="async"``) or all
        sites at once (``"sync"``) take the state of largest local field; a
        tie keeps the current state when it is among the maxima. Finite
        temperature (``"mean-field"``, ``"gibbs"``): each free site takes
        its most probable state under the marginals of :meth:`predict_proba`.
        NaN entries are unknown sites to be inferred; ``clamp`` says which
        known entries may change (by default none in rows with unknown
        entries).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Initial states (codes), possibly with NaN for unknown entries.

        Returns
        -------
        result : RecallResult
            Named tuple ``(X, n_iter, converged)``: the final codes (floats
            with integer values, in the dtype of X), the steps or sweeps run
            per row, and whether each row reached a fixed point within
            ``max_recall_iter``.
        """
        X, codes = self._codes_for_inference(X)
        options = self._recall_options()
        free = free_sites(codes < 0, options.clamp)
        codes, n_iter, converged = complete_codes(codes, free, self.coupling_, self.fields_,
                                                  float(self.beta), options)
        return RecallResult(codes.astype(X.dtype), n_iter, converged)

    def predict_proba(self, X):
        """Probability of each state of each entry given the held entries.

        The marginals of the model at its fit temperature, with the entries
        that ``clamp`` holds (by default the known entries of rows with
        unknown ones) fixed at their states; a held entry gets probability 1
        on its state. They are estimated by ``recall`` when it is
        ``"mean-field"`` (fast, deterministic) or ``"gibbs"`` (clamped Gibbs
        chains of ``burn_in`` + ``n_sweeps`` sweeps, seeded by
        ``random_state``), and by mean-field otherwise.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            States (codes); NaN marks an unknown entry.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_features, `n_states_`)
            ``P(x_ij = a | held entries of row i)``, float64; sums to 1 over
            the last axis.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_plm import PottsPseudoLikelihoodMemory
        >>> X = np.random.default_rng(0).integers(0, 3, size=(600, 3)).astype(float)
        >>> X[:, 1] = X[:, 0]  # site 1 copies site 0
        >>> memory = PottsPseudoLikelihoodMemory(alpha=1e-3).fit(X)
        >>> P = memory.predict_proba([[2.0, np.nan, np.nan]])
        >>> P.shape, int(P[0, 1].argmax()), bool(P[0, 1, 2] > 0.9)
        ((1, 3, 3), 2, True)
        """
        _, codes = self._codes_for_inference(X)
        options = self._proba_options()
        free = free_sites(codes < 0, options.clamp)
        return code_marginals(codes, free, self.coupling_, self.fields_, float(self.beta),
                              options)[0]

    # ---------------------------------------------------------------- scoring

    def local_fields(self, X):
        """Local fields ``H[:, i, a] = h[i, a] + sum_{j != i} J[i, j, a, x_j]``.

        Unknown (NaN) entries add nothing.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            States (codes).

        Returns
        -------
        H : ndarray of shape (n_samples, n_features, `n_states_`)
        """
        _, codes = self._codes_for_inference(X)
        return self._local_fields(codes).reshape(codes.shape[0], *self.fields_.shape)

    def score_samples(self, X):
        """Exact pseudo-log-likelihood of each row.

        ``sum_i log p(x_i | x_rest)`` with ``p = softmax(beta H_i)``, summed
        over the known entries; unknown (NaN) entries are left out of the sum
        and add nothing to the other sites' fields.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Patterns (codes).

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        _, codes = self._codes_for_inference(X)
        H = self._local_fields(codes)
        out = np.empty(codes.shape[0], dtype=np.float64)
        potts_log_conditionals(H, codes, float(self.beta), out, self._n_threads())
        return out

    def energy(self, X):
        """Energy ``E(x) = -sum_i h_i(x_i) - 1/2 sum_{i != j} J[i, j, x_i, x_j]``.

        For symmetric couplings the conditionals of ``exp(-beta E)`` are the
        ones the pseudo-likelihood fits. Unknown entries are left out.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            States (codes).

        Returns
        -------
        energy : ndarray of shape (n_samples,)
        """
        _, codes = self._codes_for_inference(X)
        N, q = self.fields_.shape
        H = self._local_fields(codes).reshape(-1, N, q).astype(np.float64)
        known = codes >= 0
        idx = np.maximum(codes, 0)[..., None]
        h_own = np.take_along_axis(H, idx, axis=2)[..., 0]
        f_own = self.fields_.astype(np.float64)[np.arange(N), idx[..., 0]]
        return -0.5 * np.sum(np.where(known, h_own + f_own, 0.0), axis=1)

    # ---------------------------------------------------------- interpretation

    def zero_sum_gauge(self):
        """Couplings and fields in the zero-sum (Ising) gauge.

        Every block ``J[i, j]`` gets zero row and column sums, and the fields
        zero sum over states. The conditionals ``p(x_i | x_rest)`` of complete
        rows are unchanged, and so is the energy of a symmetric model up to a
        constant. (A missing value adds nothing to the fields in the gauge of
        ``coupling_``; in another gauge that is a different model.)

        Returns
        -------
        coupling : ndarray of shape (n_features, n_features, `n_states_`, `n_states_`)
        fields : ndarray of shape (n_features, `n_states_`)

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_plm import PottsPseudoLikelihoodMemory
        >>> X = np.random.default_rng(0).integers(0, 3, size=(100, 4))
        >>> J, h = PottsPseudoLikelihoodMemory().fit(X).zero_sum_gauge()
        >>> bool(np.allclose(J.sum(axis=2), 0) and np.allclose(h.sum(axis=1), 0))
        True
        """
        self._check_fitted()
        J = self.coupling_.astype(np.float64)
        h = self.fields_.astype(np.float64)
        # terms of J[i, j, a, b] that depend on a only move into h[i, a]; terms
        # that depend on b only are constant in the conditional of site i
        row = J.mean(axis=3) - J.mean(axis=(2, 3))[..., None]
        h0 = h + row.sum(axis=1)
        h0 -= h0.mean(axis=1, keepdims=True)
        return _zero_sum_couplings(J), h0

    def contact_map(self, apc=True, ignore_states=None, gauge="zero-sum", *, correction=None,
                    X=None, sample_weight=None):
        """Coupling strength of each pair of sites, as used for contact prediction.

        The Frobenius norm of each ``q x q`` block of the symmetrized
        couplings ``(J[i, j] + J[j, i].T) / 2`` in the zero-sum gauge (or as
        fitted), minus a background correction: the average-product
        correction (APC) by default, or the entropy correction. See
        :ref:`contacts` for the precision each choice gives on protein
        families.

        Parameters
        ----------
        apc : bool, default=True
            Subtract ``F_i. F_.j / F_..`` (means over pairs of distinct
            sites) from each score. ``apc=False`` is ``correction="none"``.
        ignore_states : sequence of int, default=None
            States left out of the norm after the gauge change, e.g. ``[0]``
            for the gap of :func:`~sklearn_plm.datasets.read_alignment`
            (and out of the column entropies of ``correction="entropy"``).
        gauge : {"zero-sum", "raw"}, default="zero-sum"
            ``"zero-sum"`` moves each block to the zero-sum gauge first;
            ``"raw"`` takes the couplings in the gauge the penalty chose,
            which is what plmc writes in its couplings file (the two differ
            by terms of order ``alpha_fields / alpha`` times the fields).
        correction : {"apc", "entropy", "none"}, default=None
            Background correction of the norms ``F``; None follows ``apc``.
            ``"apc"``: as ``apc=True``. ``"entropy"``: ``F_ij - c sqrt(s_i
            s_j)``, with ``s_i`` the entropy of column ``i`` of ``X`` (nats,
            weighted by ``sample_weight``) and ``c`` the least-squares slope
            of ``F_ij`` on ``sqrt(s_i s_j)`` over the pairs ``i < j``
            (Vorberg et al. 2018). ``"none"``: the norms as they are.
        X : array-like of shape (n_samples, n_features), default=None
            The alignment whose column entropies ``correction="entropy"``
            uses (usually the training data); NaN entries are left out.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows of ``X`` (e.g. the ones of the fit).

        Returns
        -------
        scores : ndarray of shape (n_features, n_features)
            Exactly symmetric, zero diagonal; larger means more strongly
            coupled. :func:`~sklearn_plm.metrics.contact_precision` rates them
            against a structure.

        References
        ----------
        S. Vorberg, S. Seemayer, J. Söding, "Synthetic protein alignments by
        CCMgen quantify noise in residue-residue contact prediction", PLoS
        Comput. Biol. 14, e1006526 (2018).

        N. Dietler, U. Lupo, A.-F. Bitbol, "Impact of phylogeny on structural
        contact inference from protein sequence data", J. R. Soc. Interface
        20, 20220707 (2023).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_plm import PottsPseudoLikelihoodMemory
        >>> rng = np.random.default_rng(0)
        >>> X = rng.integers(0, 4, size=(500, 6))
        >>> X[:, 4] = X[:, 1]  # sites 1 and 4 co-vary
        >>> memory = PottsPseudoLikelihoodMemory(alpha=1e-3).fit(X)
        >>> scores = memory.contact_map()
        >>> [int(i) for i in np.unravel_index(np.argmax(scores), scores.shape)]
        [1, 4]
        >>> scores = memory.contact_map(correction="entropy", X=X)
        >>> [int(i) for i in np.unravel_index(np.argmax(scores), scores.shape)]
        [1, 4]
        """
        self._check_fitted()
        if gauge not in ("zero-sum", "raw"):
            raise ValueError(f"gauge must be 'zero-sum' or 'raw'; got {gauge!r}.")
        if correction is None:
            correction = "apc" if apc else "none"
        elif correction not in CORRECTIONS:
            raise ValueError(f"correction must be one of {CORRECTIONS} or None; got {correction!r}.")
        elif not apc and correction != "none":
            raise ValueError(f"apc=False asks for no correction but correction={correction!r}; "
                             "pass only correction.")
        if correction == "entropy":
            if X is None:
                raise ValueError('correction="entropy" needs the alignment X (and its '
                                 "sample_weight) for the column entropies.")
            X, codes = self._codes_for_inference(X)
            sample_weight = check_sample_weight(sample_weight, X)
        elif X is not None or sample_weight is not None:
            raise ValueError('X and sample_weight are only used by correction="entropy".')
        keep = None
        if ignore_states is not None:
            keep = np.setdiff1d(np.arange(self.n_states_),
                                check_states(ignore_states, self.n_states_, "ignore_states"))
        F = block_norms(self.coupling_, keep, zero_sum=gauge == "zero-sum")
        if correction == "apc":
            return average_product_correction(F)
        if correction == "entropy":
            entropies = column_entropies(codes, sample_weight, self.n_states_, keep)
            return entropy_correction(F, entropies)
        return F

    # --------------------------------------------------------------- sampling

    def sample(self, n_samples=1, *, temperature=1.0, n_sweeps=10, burn_in=100, n_chains=None,
               random_state=None):
        """Draw patterns from the model by Gibbs sampling.

        Each site is redrawn from ``softmax(beta H_i / temperature)``, sites
        in index order. Each chain starts from a uniformly random state and
        gives consecutive samples: the first after ``burn_in`` sweeps, the
        next ones ``n_sweeps`` sweeps apart. With asymmetric couplings the
        samples follow the stationary distribution of the chain defined by
        the conditionals.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples.
        temperature : float, default=1.0
            Sampling temperature relative to the fit (``beta / temperature``
            is the inverse temperature of the chains).
        n_sweeps : int, default=10
            Sweeps between two samples of the same chain.
        burn_in : int, default=100
            Sweeps before the first sample of each chain.
        n_chains : int, default=None
            Independent chains; None runs one chain per sample.
        random_state : int, RandomState instance or None, default=None
            Seeds the chains; None uses the estimator's ``random_state``.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            Sampled codes, as floats with integer values in the dtype of the
            training data.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_plm import PottsPseudoLikelihoodMemory
        >>> X = np.random.default_rng(0).integers(0, 3, size=(200, 5))
        >>> memory = PottsPseudoLikelihoodMemory(random_state=0).fit(X)
        >>> memory.sample(4).shape
        (4, 5)
        """
        self._check_fitted()
        check_temperature(temperature)
        rs = self.random_state if random_state is None else random_state
        X = gibbs_potts(self.coupling_, self.fields_, n_samples, beta=self.beta / temperature,
                        n_sweeps=n_sweeps, burn_in=burn_in, n_chains=n_chains,
                        random_state=rs, n_threads=self._n_threads())
        return X.astype(self.coupling_.dtype)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True
        tags.input_tags.positive_only = True
        return tags

    # ------------------------------------------------------- mutation effects

    def mutation_effects(self, wild_type, mutants, *, positions=None, alphabet=None):
        """Statistical energy differences of mutants relative to a wild type.

        ``E(mutant) - E(wild type)`` with ``E(x) = sum_i h_i(x_i) + sum_{i<j}
        J_ij(x_i, x_j)`` (symmetrized couplings), the score EVmutation
        computes from plmc's model. Positive: the mutant is more probable
        than the wild type under the model; negative: less probable
        (predicted deleterious). It equals ``energy(wild type) -
        energy(mutant)``. See :func:`sklearn_plm.mutation_effects`.

        Parameters
        ----------
        wild_type : str or array-like of shape (n_features,)
            Reference sequence, as symbols of ``alphabet`` or state codes.
        mutants : list of str, or tuple (sites, states)
            ``"A12G"`` or ``"A12G:K15R"`` in ``positions`` numbering, or
            0-based site and new-state arrays of shape ``(n_mutants,)`` or
            ``(n_mutants, k)`` (``-1`` pads shorter mutants).
        positions : array-like of int, default=None
            Number of each site (e.g. the focus numbering of
            :func:`~sklearn_plm.datasets.read_alignment`); None is
            ``1..n_features``.
        alphabet : str, default=None
            Symbols of the states; None uses the protein alphabet when it
            has ``n_states_`` symbols (with the gap for 21, without for 20).

        Returns
        -------
        effects : ndarray of shape (n_mutants,)

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_plm import PottsPseudoLikelihoodMemory
        >>> X = np.random.default_rng(0).integers(0, 3, size=(200, 4))
        >>> memory = PottsPseudoLikelihoodMemory().fit(X)
        >>> effects = memory.mutation_effects("ACGA", ["A1C", "A1C:G3A", "wt"], alphabet="ACG")
        >>> effects.shape, float(effects[2])
        ((3,), 0.0)
        """
        self._check_fitted()
        return mutation_effects(self.coupling_, self.fields_, wild_type, mutants,
                                positions=positions, alphabet=alphabet)
