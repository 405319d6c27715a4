"""Precision of predicted residue contacts against distances from a structure."""

import re
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_array

from .._sklearn_compat import Interval, StrOptions, validate_params

# "L", "L/5", "2L", "1.5L", "L/2": a multiple or a fraction of the number of columns
_K_LABEL = re.compile(r"^\s*(\d+(?:\.\d*)?)?\s*L\s*(?:/\s*(\d+(?:\.\d*)?))?\s*$")


def _rank_count(k, n_columns):
    """Number of pairs for one ``k``: an int, or a label such as ``"L/5"``, ``"2L"``."""
    if isinstance(k, Integral) and not isinstance(k, bool):
        if k < 1:
            raise ValueError(f"k must be at least 1; got {k}.")
        return int(k)
    if isinstance(k, str):
        match = _K_LABEL.match(k)
        if match:
            times = float(match.group(1)) if match.group(1) else 1.0
            per = float(match.group(2)) if match.group(2) else 1.0
            if per > 0:
                # floor, at least one pair: "L/5" of 53 columns is 10 pairs
                return max(1, int(np.floor(times * n_columns / per + 1e-9)))
    raise ValueError(
        f"k must be a positive int or a label such as 'L/5', 'L/2', 'L', '2L' "
        f"(L is the number of columns); got {k!r}.")


def _check_matrix(M, name, allow_nan):
    M = check_array(M, dtype=np.float64, ensure_all_finite="allow-nan" if allow_nan else True,
                    input_name=name)
    if M.shape[0] != M.shape[1]:
        raise ValueError(f"{name} must be a square (L, L) matrix; got shape {M.shape}.")
    return M


def ranked_pairs(scores, distances=None, *, min_separation=5, missing="exclude"):
    """Pairs ``(i, j)``, ``i < j``, ``j - i >= min_separation``, best score first.

    Ties in the score keep the order of ``(i, j)``: row ``i`` first, then ``j``
    (a stable sort of the upper triangle in row-major order). With
    ``missing="exclude"`` the pairs whose distance is NaN are left out.
    Returns ``(i, j)`` as index arrays. Inputs are validated by the caller.
    """
    i, j = np.triu_indices(scores.shape[0], k=min_separation)
    if distances is not None and missing == "exclude":
        listed = ~np.isnan(distances[i, j])
        i, j = i[listed], j[listed]
    order = np.argsort(-scores[i, j], kind="stable")
    return i[order], j[order]


@validate_params(
    {
        "scores": ["array-like"],
        "distances": ["array-like"],
        "k": [Interval(Integral, 1, None, closed="left"), str, list, tuple],
        "min_separation": [Interval(Integral, 1, None, closed="left")],
        "threshold": [Interval(Real, 0, None, closed="neither")],
        "missing": [StrOptions({"exclude", "non-contact"})],
    },
    prefer_skip_nested_validation=True,
)
def contact_precision(scores, distances, *, k=("L/5", "L/2", "L", "2L"), min_separation=5,
                      threshold=8.0, missing="exclude"):
    """Fraction of true contacts among the top-ranked pairs of a contact map.

    The measure by which direct coupling analysis is judged: rank the pairs
    of alignment columns ``(i, j)`` with ``i < j`` and ``j - i >=
    min_separation`` by decreasing score, take the first ``k``, and count
    those whose residues are closer than ``threshold`` in a structure of
    the family.

    Conventions:

    - **Separation.** ``min_separation=5`` keeps the pairs with ``|i - j| >=
      5``, that is ``|i - j| > 4``, the convention of the ArDCA benchmark
      families (many papers use 5 or 6; long-range precision uses 24).
    - **Contact.** A pair is a contact when its distance is strictly below
      ``threshold`` (8 Angstrom, the usual DCA criterion).
    - **Ties.** Pairs of equal score are ranked by ``i``, then ``j`` (a stable
      sort of the upper triangle in row-major order), so the result is
      deterministic and does not depend on the platform's sort.
    - **Pairs without a distance** (NaN, e.g. residues unresolved in the
      structure): ``missing="exclude"`` leaves them out of the ranking before
      the first ``k`` are taken (as ArDCA's evaluation does, which ranks only
      the pairs of its distance file); ``missing="non-contact"`` keeps them
      and counts them as non-contacts, which can only lower the precision.
    - **k.** An int, or a label ``"L/5"``, ``"L/2"``, ``"L"``, ``"2L"`` (any
      ``aL/b``) with ``L = scores.shape[0]``, the number of columns, rounded
      down, at least 1.

    Parameters
    ----------
    scores : array-like of shape (L, L)
        Symmetric contact scores, larger meaning more likely in contact, e.g.
        :meth:`~sklearn_plm.PottsPseudoLikelihoodMemory.contact_map`. Only
        the upper triangle is read.
    distances : array-like of shape (L, L)
        Distances between the residues of the columns (Angstrom), NaN where
        unknown, e.g. :func:`~sklearn_plm.datasets.read_contact_distances`.
        Only the upper triangle is read.
    k : int, str, or list or tuple of them, default=("L/5", "L/2", "L", "2L")
        Numbers of top-ranked pairs.
    min_separation : int, default=5
        Smallest ``|i - j|`` of a ranked pair.
    threshold : float, default=8.0
        Distance below which a pair is a contact.
    missing : {"exclude", "non-contact"}, default="exclude"
        Pairs whose distance is NaN: left out of the ranking, or counted as
        non-contacts.

    Returns
    -------
    precision : float or ndarray of shape (len(k),)
        A float for a single ``k``; an array in the order of ``k`` otherwise.

    Raises
    ------
    ValueError
        When the matrices are not square of the same size, ``scores`` is not
        symmetric or holds NaN or infinity, a distance is negative, or a ``k``
        exceeds the number of pairs that can be ranked.

    See Also
    --------
    sklearn_plm.datasets.read_contact_distances : The distances of a pair file.
    make_contact_scorer : This measure as a scorer for model selection.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_plm.metrics import contact_precision
    >>> D = np.full((8, 8), 20.0)
    >>> D[0, 6] = D[6, 0] = D[1, 7] = D[7, 1] = 5.0   # two contacts
    >>> S = np.zeros((8, 8))
    >>> S[0, 6] = S[6, 0] = 3.0      # a contact, ranked first
    >>> S[0, 5] = S[5, 0] = 2.0      # not a contact, second
    >>> S[1, 7] = S[7, 1] = 1.0      # a contact, third
    >>> contact_precision(S, D, k=[1, 2, 3], min_separation=5)
    array([1.        , 0.5       , 0.66666667])
    >>> float(contact_precision(S, D, k="L/4", min_separation=5))   # 8 // 4 = 2 pairs
    0.5
    """
    S = _check_matrix(scores, "scores", allow_nan=False)
    D = _check_matrix(distances, "distances", allow_nan=True)
    if S.shape != D.shape:
        raise ValueError(
            f"scores and distances must have the same shape; got {S.shape} and {D.shape}. "
            "Pass n_columns to read_contact_distances to line the distances up with "
            "the alignment.")
    if not np.allclose(S, S.T, rtol=1e-6, atol=1e-12):
        raise ValueError("scores must be symmetric; symmetrize it first, e.g. (S + S.T) / 2.")
    if np.any(D[~np.isnan(D)] < 0):
        raise ValueError("distances must be non-negative (NaN where unknown).")
    L = S.shape[0]
    single = not isinstance(k, (list, tuple))
    counts = [_rank_count(c, L) for c in ([k] if single else k)]
    if not counts:
        raise ValueError("k must name at least one number of pairs.")
    i, j = ranked_pairs(S, D, min_separation=min_separation, missing=missing)
    if max(counts) > i.size:
        raise ValueError(
            f"k={max(counts)} pairs asked, but only {i.size} pairs with |i - j| >= "
            f"{min_separation}" + (" and a known distance" if missing == "exclude" else "")
            + f" exist in {L} columns; ask for fewer pairs or a smaller min_separation.")
    d = D[i, j]
    contact = d < threshold   # NaN compares False: a non-contact
    hits = np.cumsum(contact)
    precision = np.array([hits[c - 1] / c for c in counts])
    return float(precision[0]) if single else precision


class _ContactScorer:
    """Contact precision of a fitted Potts memory's contact map."""

    def __init__(self, distances, k, contact_kws, precision_kws):
        self.distances = distances
        self.k = k
        self.contact_kws = contact_kws
        self.precision_kws = precision_kws

    def __call__(self, estimator, X=None, y=None):
        memory = estimator[-1] if hasattr(estimator, "steps") else estimator
        scores = memory.contact_map(**self.contact_kws)
        return contact_precision(scores, self.distances, k=self.k, **self.precision_kws)

    def __repr__(self):
        return (f"make_contact_scorer(k={self.k!r}, contact_kws={self.contact_kws!r}, "
                f"**{self.precision_kws!r})")


@validate_params(
    {
        "distances": ["array-like"],
        "k": [Interval(Integral, 1, None, closed="left"), str],
        "contact_kws": [dict, None],
        "min_separation": [Interval(Integral, 1, None, closed="left")],
        "threshold": [Interval(Real, 0, None, closed="neither")],
        "missing": [StrOptions({"exclude", "non-contact"})],
    },
    prefer_skip_nested_validation=True,
)
def make_contact_scorer(distances, *, k="L/5", contact_kws=None, min_separation=5,
                        threshold=8.0, missing="exclude"):
    """Scorer that rates a fitted Potts memory by the precision of its contacts.

    ``scorer(estimator, X, y=None)`` returns :func:`contact_precision` of
    ``estimator.contact_map(**contact_kws)`` against ``distances`` (``X``
    is not used: the contact map is a property of the fitted couplings). Pass
    it as ``scoring=`` to :class:`~sklearn.model_selection.GridSearchCV` to
    choose the penalty by contacts. Each candidate is then judged by the
    structure, so the choice is only as general as that structure is
    representative.

    Parameters
    ----------
    distances : array-like of shape (L, L)
        Residue distances, NaN where unknown
        (:func:`~sklearn_plm.datasets.read_contact_distances`).
    k : int or str, default="L/5"
        Number of top-ranked pairs (see :func:`contact_precision`).
    contact_kws : dict, default=None
        Keyword arguments of ``contact_map``, e.g. ``{"ignore_states": [0]}``.
    min_separation, threshold, missing
        As in :func:`contact_precision`.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X=None, y=None) -> float``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_plm import PottsPseudoLikelihoodMemory
    >>> from sklearn_plm.metrics import make_contact_scorer
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 4, size=(500, 12))
    >>> X[:, 9] = X[:, 1]                        # columns 1 and 9 co-vary
    >>> D = np.full((12, 12), 20.0)
    >>> D[1, 9] = D[9, 1] = 6.0                  # and are in contact
    >>> scorer = make_contact_scorer(D, k=1)
    >>> scorer(PottsPseudoLikelihoodMemory(alpha=1e-3).fit(X), X)
    1.0
    """
    distances = _check_matrix(distances, "distances", allow_nan=True)
    return _ContactScorer(distances, k, dict(contact_kws or {}),
                          {"min_separation": min_separation, "threshold": threshold,
                           "missing": missing})
