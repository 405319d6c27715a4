"""The interaction graph of fitted couplings, and how well it recovers a true one."""

import numpy as np

_RULES = ("and", "or")


def coupling_graph(coupling, *, rule="and", threshold=0.0):
    """Edge set of couplings: which pairs of sites interact.

    Site ``i`` has an edge to ``j`` when ``|J_ij| > threshold`` (for Potts
    couplings of shape (N, N, q, q), the Frobenius norm of the block
    ``J[i, j]``). Asymmetric couplings give two answers per pair; ``rule``
    combines them, as in neighbourhood selection (Meinshausen and Buhlmann
    2006; Ravikumar, Wainwright and Lafferty 2010): ``"and"`` keeps a pair
    when both directions are above the threshold, ``"or"`` when either is.

    Parameters
    ----------
    coupling : array-like of shape (n_features, n_features) or (N, N, q, q)
        Couplings, e.g. ``coupling_`` of a fitted memory.
    rule : {"and", "or"}, default="and"
        How the two directions of a pair are combined.
    threshold : float, default=0.0
        Couplings of at most this magnitude count as absent (0 keeps every
        nonzero coupling, the support of an L1 fit).

    Returns
    -------
    graph : ndarray of shape (n_features, n_features), bool
        Symmetric adjacency matrix with a False diagonal.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_plm.metrics import coupling_graph
    >>> J = np.array([[0.0, 0.5, 0.0], [0.4, 0.0, 0.2], [0.0, 0.0, 0.0]])
    >>> coupling_graph(J, rule="and").astype(int).tolist()
    [[0, 1, 0], [1, 0, 0], [0, 0, 0]]
    >>> coupling_graph(J, rule="or").astype(int).tolist()
    [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    """
    if rule not in _RULES:
        raise ValueError(f"rule must be 'and' or 'or', got {rule!r}.")
    if not (np.isscalar(threshold) and threshold >= 0):
        raise ValueError(f"threshold must be a non-negative number, got {threshold!r}.")
    J = np.asarray(coupling)
    if J.ndim == 4:
        J = np.sqrt(np.einsum("ijab,ijab->ij", J, J))
    if J.ndim != 2 or J.shape[0] != J.shape[1]:
        raise ValueError("coupling must be a square (n_features, n_features) matrix or "
                         f"Potts couplings (N, N, q, q); got shape {np.shape(coupling)}.")
    if not np.all(np.isfinite(J)):
        raise ValueError("coupling holds NaN or infinity.")
    above = np.abs(J) > threshold
    graph = (above & above.T) if rule == "and" else (above | above.T)
    np.fill_diagonal(graph, False)
    return graph


def _check_graph(name, graph):
    graph = np.asarray(graph)
    if graph.ndim != 2 or graph.shape[0] != graph.shape[1]:
        raise ValueError(f"{name} must be a square adjacency matrix; got shape {graph.shape}.")
    return graph != 0


def edge_precision_recall(true_graph, graph):
    """Precision and recall of the edges of ``graph`` against ``true_graph``.

    Both are adjacency matrices (nonzero = edge); each unordered pair
    ``i < j`` counts once and the diagonal is ignored. With no predicted
    edge the precision is 1; with no true edge the recall is 1.

    Parameters
    ----------
    true_graph : array-like of shape (n_features, n_features)
        The true interaction graph (e.g. the planted couplings ``!= 0``).
    graph : array-like of shape (n_features, n_features)
        The recovered graph, e.g. from :func:`coupling_graph`.

    Returns
    -------
    precision : float
        Share of recovered edges that are true edges.
    recall : float
        Share of true edges that are recovered.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_plm.metrics import edge_precision_recall
    >>> true = np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]])
    >>> found = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    >>> edge_precision_recall(true, found)
    (0.5, 0.5)
    """
    true_graph, graph = _check_graph("true_graph", true_graph), _check_graph("graph", graph)
    if true_graph.shape != graph.shape:
        raise ValueError(f"true_graph has shape {true_graph.shape} and graph {graph.shape}; "
                         "they must describe the same sites.")
    upper = np.triu_indices(len(graph), 1)
    t, g = true_graph[upper], graph[upper]
    hits = int(np.sum(t & g))
    precision = hits / int(g.sum()) if g.any() else 1.0
    recall = hits / int(t.sum()) if t.any() else 1.0
    return float(precision), float(recall)
