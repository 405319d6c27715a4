"""Pseudo-likelihood associative memory for binary (Ising) patterns."""

from numbers import Integral, Real

import numpy as np

from ._sklearn_compat import _fit_context, Interval, StrOptions
from ._base import PL_PARAMETER_CONSTRAINTS, BaseIsingMemory
from ._objective import IsingPseudoLikelihood
from ._penalties import ElasticNetPenalty, L2Penalty
from ._solvers import PARTIAL_FIT_ARRAYS, make_solver, solve
from ._stochastic import AdamState, adam_step
from ._threading import limit_blas_threads
from ._validation import (
    check_model_memory, check_sample_weight, detect_encoding, fits_in_memory, to_spins,
)


class PseudoLikelihoodMemory(BaseIsingMemory):
    r"""Associative memory trained by maximum pseudo-likelihood.

    The model is a network of binary spins :math:`s_i \in \{-1, +1\}` with
    couplings :math:`J` (zero diagonal, asymmetric unless ``symmetric=True``)
    and optional fields :math:`b`. Training maximizes the pseudo-likelihood,
    the product over sites of the conditionals

    .. math::

        p(s_i \mid s_{\setminus i}) = \sigma(2 \beta s_i h_i), \qquad
        h_i = \sum_{j \neq i} J_{ij} s_j + b_i,

    with :math:`\sigma` the logistic function; with asymmetric couplings this
    is one logistic regression per site. The objective is the mean over
    patterns of the negative pseudo-log-likelihood (a sum over sites) plus
    :math:`\alpha \left(\rho \|J\|_1 + \frac{1 - \rho}{2} \|J\|^2\right)
    + \frac{\alpha_b}{2} \|b\|^2` (``alpha``, ``l1_ratio`` :math:`\rho`
    and ``alpha_fields``): an L2 penalty by default, the L1 penalty of sparse
    structure learning (Ravikumar, Wainwright and Lafferty, 2010) with
    ``l1_ratio=1``.

    Run at zero temperature (:math:`s_i \leftarrow \operatorname{sign}(h_i)`)
    the trained network is an
    associative memory: training patterns become fixed points with large
    basins of attraction, and with many structured examples its attractors
    correlate with unseen examples (D'Amico et al., 2025).

    Input values are read as spins with ``x > 0 -> +1`` and ``x <= 0 -> -1``
    (so {0, 1} and {-1, +1} data both work); NaN marks an unknown value.
    ``transform`` returns the encoding seen in fit: {0, 1} when the training
    data only held 0 and 1, {-1, +1} otherwise.

    Parameters
    ----------
    alpha : float, default=1e-2
        L2 penalty on the couplings. Tune it on a log scale, e.g. with
        ``GridSearchCV``; ``alpha=0`` with separable data lets couplings grow
        without bound, so then rely on ``max_iter`` (or ``solver="gd"``).
    beta : float, default=1.0
        Inverse temperature of the conditionals. Only the product
        ``beta * J`` matters for the fit, so it rescales ``alpha``.
    symmetric : bool, default=False
        Constrain ``J = J.T``. This couples all sites into one problem, which
        is solved jointly instead of in parallel site blocks.
    fit_fields : bool, default=False
        Learn a field ``b_i`` per site. The paper uses no fields.
    alpha_fields : float, default=None
        L2 penalty on the fields; None uses ``alpha``.
    l1_ratio : float, default=0.0
        Share of L1 in the coupling penalty (scikit-learn's ``ElasticNet``
        convention): 0 is L2, 1 is L1, whose fits set couplings exactly to
        zero (see :meth:`graph` and :func:`~sklearn_plm.pseudolikelihood_path`).
        A positive ``l1_ratio`` needs ``solver="fista"``.
    solver : {"lbfgs", "gd", "fista"}, default="lbfgs"
        ``"lbfgs"`` minimizes the objective to ``tol``; each evaluation is two
        matrix products through BLAS. ``"gd"`` is the paper's full-batch
        gradient descent (``max_iter`` epochs at ``learning_rate``, optional
        gradient clipping), whose training-time path goes from the Hebb rule
        towards maximal stability. ``"fista"`` is accelerated proximal
        gradient, for any ``l1_ratio``: it stops when the largest entry of
        the gradient mapping (zero exactly at the optimum) is at most ``tol``.
    max_iter : int, default=200
        L-BFGS or FISTA iterations per site block, or gradient-descent epochs.
    tol : float, default=1e-5
        L-BFGS stops when the largest absolute entry of the gradient of the
        objective (the mean over patterns of the negative pseudo-log-likelihood
        summed over sites, plus the penalty) is at most ``tol``; so does
        full-batch gradient descent. Use a smaller ``tol`` for a tighter
        optimum (:ref:`training` gives the distance to the optimum of the
        default).
    tol_norm : {"max", "relative_l2"}, default="max"
        Which size of the gradient ``tol`` bounds (of the gradient mapping
        with ``solver="fista"``): ``"max"``, its largest absolute entry;
        ``"relative_l2"``, its Euclidean norm divided by ``max(1, ||p||)``,
        with ``||p||`` the Euclidean norm of the parameters solved together
        (a site block's, or all of them in a symmetric fit): libLBFGS's
        test.
    tol_objective : float, default=0.0
        With ``solver="lbfgs"``, also stop when the objective fell by less
        than this fraction over the last 10 iterations (libLBFGS's ``delta``
        test with ``past=10``); 0 disables the test.
    learning_rate : float, default=1.0
        Step size of ``solver="gd"`` (of epoch 0, see ``learning_rate_decay``).
    learning_rate_decay : float, default=1.0
        With ``solver="gd"``, epoch ``e`` (from 0) steps with
        ``learning_rate * learning_rate_decay**e`` (the paper's spin-glass
        runs use 0.999).
    batch_size : int, default=None
        With ``solver="gd"``, each epoch visits the samples once in shuffled
        mini-batches of this size (seeded by ``random_state``), one step per
        batch; None is full-batch gradient descent.
    clip : float, default=None
        With ``solver="gd"``, rescale a gradient whose norm exceeds ``clip``.
        A step that makes the objective non-finite or 1000 times its starting
        value is undone and its epoch restarted with a ten times smaller
        learning rate (with a ConvergenceWarning); after five such restarts
        the fit raises ``FloatingPointError``.
    adam_learning_rate : float, default=1e-2
        Step size of the Adam updates of :meth:`partial_fit`; step ``t``
        uses ``adam_learning_rate / sqrt(1 + t / 100)``.
    init : {"auto", "zeros", "hebb"}, default="auto"
        Starting couplings: zeros, or the Hebb rule
        :math:`\frac{1}{N} \sum_\mu s^\mu s^{\mu\top}`.
        ``"auto"`` is ``"hebb"`` for ``solver="gd"`` and ``"zeros"``
        otherwise.
    warm_start : bool, default=False
        Start from the previous fit's parameters (when the number of
        features matches).
    recall : {"sync", "async", "mean-field", "gibbs"}, default="sync"
        Dynamics of :meth:`transform`. Zero temperature: parallel updates of
        all spins (one matrix product per step), or random-order sequential
        sweeps in a compiled kernel (a zero field keeps the current spin).
        Finite temperature: each free entry takes its more probable value
        under the model's marginals given the held entries, estimated by
        damped mean-field iteration (deterministic) or by clamped Gibbs
        chains (see :meth:`predict_proba`).
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
        Parallel site blocks in ``fit`` (through joblib, so
        ``joblib.parallel_config`` chooses the backend), threads of a
        symmetric fit, and threads of recall (the rows are split across
        them) and sampling. ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` uses all processors.
    random_state : int, RandomState instance or None, default=None
        Seeds the site order of ``recall="async"`` and the mini-batches of
        ``solver="gd"`` with ``batch_size``.
    verbose : int, default=0
        Print one line per site block (or per 10 epochs of ``"gd"``). A
        single L-BFGS problem (symmetric or one block of sites) also prints
        its loss and largest gradient entry every 10 iterations, or every
        iteration with ``verbose >= 2``.

    Attributes
    ----------
    coupling_ : ndarray of shape (n_features, n_features)
        Couplings ``J`` with zero diagonal, in the dtype of the training data.
    fields_ : ndarray of shape (n_features,)
        Fields ``b`` (zeros when ``fit_fields=False``).
    encoding_ : {"01", "pm1"}
        Encoding of the training data, used for the output of ``transform``.
    n_iter_ : int
        Largest number of solver iterations over site blocks (epochs for
        ``"gd"``; Adam steps taken so far after :meth:`partial_fit`).
    loss_ : float
        Final objective (data term plus penalty), summed over site blocks.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    HopfieldMemory : Classical rules (Hebb, pseudo-inverse, Storkey, perceptron).

    References
    ----------
    F. D'Amico, D. Bocchi, L. Del Bono, S. Rossi, M. Negri, "Pseudo-likelihood
    produces associative memories able to generalize, even for asymmetric
    couplings", arXiv:2507.05147 (2025).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_plm import PseudoLikelihoodMemory
    >>> rng = np.random.default_rng(0)
    >>> patterns = rng.choice([-1.0, 1.0], size=(20, 100))
    >>> memory = PseudoLikelihoodMemory(alpha=1e-3).fit(patterns)
    >>> noisy = patterns * np.where(rng.random(patterns.shape) < 0.1, -1, 1)
    >>> float(np.mean(memory.transform(noisy) == patterns))
    1.0
    """

    _parameter_constraints: dict = {
        **BaseIsingMemory._parameter_constraints,
        **PL_PARAMETER_CONSTRAINTS,
        "adam_learning_rate": [Interval(Real, 0, None, closed="neither")],
        "init": [StrOptions({"auto", "zeros", "hebb"})],
        "learning_rate_decay": [Interval(Real, 0, 1, closed="right")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(
        self,
        alpha=1e-2,
        *,
        beta=1.0,
        symmetric=False,
        fit_fields=False,
        alpha_fields=None,
        l1_ratio=0.0,
        solver="lbfgs",
        max_iter=200,
        tol=1e-5,
        tol_norm="max",
        tol_objective=0.0,
        learning_rate=1.0,
        learning_rate_decay=1.0,
        batch_size=None,
        clip=None,
        adam_learning_rate=1e-2,
        init="auto",
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
        self.beta = beta
        self.symmetric = symmetric
        self.fit_fields = fit_fields
        self.alpha_fields = alpha_fields
        self.l1_ratio = l1_ratio
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.tol_norm = tol_norm
        self.tol_objective = tol_objective
        self.learning_rate = learning_rate
        self.learning_rate_decay = learning_rate_decay
        self.batch_size = batch_size
        self.clip = clip
        self.adam_learning_rate = adam_learning_rate
        self.init = init
        self.warm_start = warm_start
        self.recall = recall
        self.max_recall_iter = max_recall_iter
        self.burn_in = burn_in
        self.n_sweeps = n_sweeps
        self.clamp = clamp
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    @property
    def _score_beta(self):
        return self.beta

    def _check_fitted(self, finite=False):
        super()._check_fitted(finite)
        state = getattr(self, "_adam", None)
        if state is not None:
            if not isinstance(state, AdamState):
                raise TypeError(f"The Adam state of this {type(self).__name__} is a "
                                f"{type(state).__name__}, not an AdamState.")
            state.check(type(self).__name__, self.n_features_in_, finite)

    def _check_fit_memory(self, n_features):
        fit_arrays = make_solver(self).fit_arrays
        kw = {"symmetric": self.symmetric, "n_jobs": self.n_jobs}
        hint = ""
        lean = fit_arrays(n_features, **{**kw, "symmetric": False, "n_jobs": 1})
        lean_bytes = lean * n_features**2 * 8.0
        if fit_arrays(n_features, **kw) > 1.2 * lean and fits_in_memory(lean_bytes):
            change = "symmetric=False and n_jobs=1" if self.symmetric else "n_jobs=1"
            hint = (f", or fit with {change} (site blocks one at a time: about "
                    f"{lean_bytes / 2**30:.1f} GiB)")
        check_model_memory(n_features, fit_arrays(n_features, **kw),
                           what="pseudo-likelihood fit", hint=hint)

    def _initial_coef(self, datafit, sample_weight):
        n = datafit.n_sites
        if self.warm_start and hasattr(self, "coupling_") and self.coupling_.shape[0] == n:
            coef = np.zeros((n, datafit.n_params))
            coef[:, :n] = self.coupling_
            if self.fit_fields:
                coef[:, n] = self.fields_
            return coef
        if self.init == "auto":
            return datafit.initial_coef(make_solver(self).start, sample_weight)
        if self.init == "hebb":
            return datafit.hebb(sample_weight)
        return np.zeros((n, datafit.n_params))

    def _penalty(self):
        """The penalty of the objective, before a datafit binds it to its layout."""
        alpha_fields = self.alpha if self.alpha_fields is None else self.alpha_fields
        if self.l1_ratio == 0:
            return L2Penalty(self.alpha, alpha_fields)
        return ElasticNetPenalty(self.alpha, self.l1_ratio, alpha_fields)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Fit the couplings by maximum pseudo-likelihood.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training patterns ({0, 1} or {-1, +1}; x > 0 is read as +1). NaN
            marks an unknown spin: it adds nothing to the other sites' fields
            and its own conditional is left out of the objective.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Pattern weights; integer weights are equivalent to repeated rows.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        with self._all_or_nothing():
            return self._fit(X, sample_weight)

    def _fit(self, X, sample_weight):
        X, encoding, S = self._set_encoding_and_spins(X)
        n_features = X.shape[1]
        self._check_fit_memory(n_features)
        sample_weight = check_sample_weight(sample_weight, X)
        datafit = IsingPseudoLikelihood(self.beta, self.fit_fields).initialize(S, sample_weight)
        penalty = self._penalty().bind(datafit.layout)
        make_solver(self).check(datafit, penalty, type(self).__name__)
        # one BLAS thread: the Hebb start of "gd" must not depend on n_jobs
        with limit_blas_threads(1):
            coef0 = self._initial_coef(datafit, sample_weight)
        if self.symmetric:
            J0 = coef0[:, :n_features]
            coef0[:, :n_features] = 0.5 * (J0 + J0.T)

        coef, self.n_iter_, self.loss_ = solve(self, datafit, penalty, coef0)
        J = coef[:, :n_features]
        if self.symmetric:
            J = 0.5 * (J + J.T)
        np.fill_diagonal(J, 0.0)
        self.coupling_ = np.ascontiguousarray(J, dtype=X.dtype)
        fields = coef[:, n_features] if self.fit_fields else np.zeros(n_features)
        self.fields_ = fields.astype(X.dtype)
        self.encoding_ = encoding
        self._adam = None
        return self

    def graph(self, rule="and", threshold=0.0):
        """Interaction graph of the couplings (see :func:`~sklearn_plm.metrics.coupling_graph`).

        Parameters
        ----------
        rule : {"and", "or"}, default="and"
            A pair is an edge when both (``"and"``) or either (``"or"``) of
            ``|J_ij|`` and ``|J_ji|`` exceed ``threshold``.
        threshold : float, default=0.0
            0 keeps every nonzero coupling: the support of an L1 fit.

        Returns
        -------
        graph : ndarray of shape (n_features, n_features), bool
            Symmetric adjacency matrix.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_plm import PseudoLikelihoodMemory
        >>> rng = np.random.default_rng(0)
        >>> X = rng.choice([-1.0, 1.0], size=(500, 4))
        >>> X[:, 1] = np.where(rng.random(500) < 0.9, X[:, 0], -X[:, 0])
        >>> memory = PseudoLikelihoodMemory(alpha=0.05, l1_ratio=1.0, solver="fista").fit(X)
        >>> memory.graph().astype(int)
        array([[0, 1, 0, 0],
               [1, 0, 0, 0],
               [0, 0, 0, 0],
               [0, 0, 0, 0]])
        """
        from .metrics import coupling_graph

        self._check_fitted()
        return coupling_graph(self.coupling_, rule=rule, threshold=threshold)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Take one Adam step on a mini-batch of patterns.

        Streams of mini-batches minimize the same objective as :meth:`fit`
        (the mean over all samples plus the penalty), so a model can be
        trained on more rows than fit in memory, e.g. chunks of a
        memory-mapped ``.npy`` file. The first call sets the number of
        features and the encoding; a call after :meth:`fit` continues from
        the fitted couplings. ``solver``, ``init`` and ``max_iter`` are not
        used.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A mini-batch of patterns (NaN = unknown spin).
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the patterns in this mini-batch.

        Returns
        -------
        self : object
            The updated estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_plm import PseudoLikelihoodMemory
        >>> X = np.random.default_rng(0).choice([-1.0, 1.0], size=(1000, 20))
        >>> memory = PseudoLikelihoodMemory()
        >>> for batch in np.array_split(X, 10):
        ...     memory = memory.partial_fit(batch)
        >>> memory.n_iter_
        10
        """
        with self._all_or_nothing():
            return self._partial_fit(X, sample_weight)

    def _partial_fit(self, X, sample_weight):
        first = not hasattr(self, "coupling_")
        X = self._validate_input(X, reset=first)
        n_features = X.shape[1]
        if first:
            check_model_memory(n_features, PARTIAL_FIT_ARRAYS, what="partial_fit")
            self.encoding_ = detect_encoding(X)
        else:
            self._check_fitted()
        S = to_spins(X, X.dtype if first else self.coupling_.dtype)
        sample_weight = check_sample_weight(sample_weight, X)
        datafit = IsingPseudoLikelihood(self.beta, self.fit_fields).initialize(S, sample_weight)
        penalty = self._penalty().bind(datafit.layout)
        if not penalty.smooth:
            raise ValueError(
                f"partial_fit takes Adam steps, which need a smooth penalty; l1_ratio="
                f"{self.l1_ratio} is not. Use fit with solver='fista', or l1_ratio=0.")
        state = getattr(self, "_adam", None)
        if state is None or state.coef.shape != (n_features, datafit.n_params):
            coef = np.zeros((n_features, datafit.n_params))
            if not first:
                coef[:, :n_features] = self.coupling_
                if self.fit_fields:
                    coef[:, n_features] = self.fields_
            state = AdamState(coef)
        state, loss = adam_step(state, datafit, penalty, self.adam_learning_rate,
                                self.symmetric, n_threads=self._n_threads())
        if self.verbose:
            print(f"[{type(self).__name__}] step {state.t}, mini-batch loss = {loss:.6f}")
        J = state.coef[:, :n_features].copy()
        if self.symmetric:
            J = 0.5 * (J + J.T)
        np.fill_diagonal(J, 0.0)
        dtype = S.dtype
        self.coupling_ = np.ascontiguousarray(J, dtype=dtype)
        fields = state.coef[:, n_features] if self.fit_fields else np.zeros(n_features)
        self.fields_ = fields.astype(dtype)
        self.n_iter_ = state.t
        self.loss_ = loss
        self._adam = state
        return self
