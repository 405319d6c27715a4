"""Statistical energy differences of mutants relative to a wild type (EVmutation's score)."""

import re

import numpy as np

_MUTATION = re.compile(r"^([^\d\s]?)(-?\d+)([^\d\s])$")
_SEPARATORS = re.compile(r"[:,;]")
_WILD_TYPE_NAMES = {"", "wt", "_wt"}
_NUMBERING_ADVICE = (
    "If the mutants use the protein's residue numbering (e.g. UniProt's), read the "
    "alignment with read_alignment(..., focus=ID, numbering='residue', as_bunch=True) "
    "(command line: --numbering residue) and pass its positions; plmc's numbering counts "
    "the gaps of the focus row.")


def _numbering_name(positions_given):
    return ("the numbering of `positions`" if positions_given
            else "site numbers 1..n_sites (no `positions` given)")


def _default_alphabet(n_states):
    from .datasets import PROTEIN_ALPHABET

    for alphabet in (PROTEIN_ALPHABET, PROTEIN_ALPHABET[1:]):
        if len(alphabet) == n_states:
            return alphabet
    return None


def _wild_type_codes(wild_type, n_sites, n_states, alphabet):
    if isinstance(wild_type, str):
        if alphabet is None:
            raise ValueError(f"Pass the alphabet of the model's {n_states} states to read a "
                             "wild type given as a string.")
        bad = [c for c in wild_type if c not in alphabet]
        if bad:
            raise ValueError(f"The wild type holds {bad[0]!r}, which is not in the alphabet "
                             f"{alphabet!r}.")
        codes = np.array([alphabet.index(c) for c in wild_type], dtype=np.intp)
    else:
        codes = np.asarray(wild_type)
        if codes.ndim != 1 or not np.all(np.isfinite(codes.astype(float))):
            raise ValueError("wild_type must be a string or a 1-d array of state codes "
                             "without missing values.")
        if not np.array_equal(codes, np.rint(codes)):
            raise ValueError("wild_type must hold integer state codes.")
        codes = codes.astype(np.intp)
    if codes.shape != (n_sites,):
        raise ValueError(f"The wild type has {codes.size} sites; the model has {n_sites}.")
    if codes.min() < 0 or codes.max() >= n_states:
        raise ValueError(f"The wild type holds codes outside 0..{n_states - 1}.")
    return codes


def parse_mutants(mutants, wild_type, positions, alphabet, positions_given=True):
    """Mutant strings -> padded ``(sites, states)`` arrays (-1 pads shorter mutants).

    ``"A12G"`` is the residue ``A`` at position 12 (in ``positions``
    numbering) mutated to ``G``; ``"A12G:K15R"`` a double mutant. The wild
    type residue may be omitted (``"12G"``); when given it must match.
    """
    if alphabet is None:
        raise ValueError("Pass the alphabet of the model's states to read mutant strings.")
    site_of = {int(p): k for k, p in enumerate(positions)}
    parsed = []
    for text in mutants:
        if not isinstance(text, str):
            raise ValueError(f"Mutants must all be strings like 'A12G'; got {text!r}.")
        entries = []
        if text.strip().lower() not in _WILD_TYPE_NAMES:
            for part in _SEPARATORS.split(text.strip()):
                m = _MUTATION.match(part.strip())
                if m is None:
                    raise ValueError(
                        f"Cannot read the mutation {part!r} of {text!r}; write it as "
                        "'<wild type><position><new>', e.g. 'A12G', joined by ':'.")
                wt, pos, new = m.group(1), int(m.group(2)), m.group(3)
                if pos not in site_of:
                    raise ValueError(
                        f"Position {pos} of {text!r} is not a site of the model (positions "
                        f"{int(positions[0])}..{int(positions[-1])} in "
                        f"{_numbering_name(positions_given)}). {_NUMBERING_ADVICE}")
                site = site_of[pos]
                if wt and wt != alphabet[wild_type[site]]:
                    raise ValueError(
                        f"{text!r} says position {pos} is {wt!r}, but the wild type has "
                        f"{alphabet[wild_type[site]]!r} there in "
                        f"{_numbering_name(positions_given)}. {_NUMBERING_ADVICE}")
                if new not in alphabet:
                    raise ValueError(f"{new!r} in {text!r} is not in the alphabet {alphabet!r}.")
                if any(s == site for s, _ in entries):
                    raise ValueError(f"{text!r} mutates position {pos} twice.")
                entries.append((site, alphabet.index(new)))
        parsed.append(entries)
    k = max((len(e) for e in parsed), default=0)
    sites = np.full((len(parsed), max(k, 1)), -1, dtype=np.intp)
    states = np.full_like(sites, -1)
    for r, entries in enumerate(parsed):
        for c, (s, a) in enumerate(entries):
            sites[r, c], states[r, c] = s, a
    return sites, states


def _integer_codes(values, what):
    """Integer-valued array -> intp, refusing fractions, NaN, inf and non-numbers."""
    values = np.asarray(values)
    if values.dtype.kind in "iu":
        return values.astype(np.intp)
    if values.dtype.kind != "f":
        raise ValueError(f"{what} must be integers; got dtype {values.dtype}.")
    bad = ~np.isfinite(values)
    bad[~bad] = values[~bad] != np.rint(values[~bad])
    if bad.any():
        raise ValueError(f"{what} must be whole numbers; got {values.ravel()[bad.ravel()][0]}.")
    return values.astype(np.intp)


def _check_index_mutants(sites, states, n_sites, n_states):
    sites, states = np.asarray(sites), np.asarray(states)
    if sites.ndim == 1:
        sites, states = sites[:, None], states[:, None]
    if sites.ndim != 2 or sites.shape != states.shape:
        raise ValueError("Index mutants are (sites, states): two int arrays of the same "
                         f"shape (n_mutants,) or (n_mutants, k); got {sites.shape} and "
                         f"{states.shape}.")
    sites = _integer_codes(sites, "Mutant sites")
    states = _integer_codes(states, "Mutant states")
    if np.any(sites < -1) or np.any(states < -1):
        raise ValueError("Mutant sites and states are 0-based indices, with -1 only as "
                         "padding; got a value below -1.")
    pad = sites < 0
    if np.any(pad != (states < 0)):
        raise ValueError("Padding (-1) must be at the same places in sites and states.")
    if np.any(sites >= n_sites) or np.any(states >= n_states):
        raise ValueError(f"Sites must be below {n_sites} and states below {n_states}.")
    srt = np.sort(np.where(pad, -1 - np.arange(sites.shape[1]), sites), axis=1)
    if np.any(srt[:, 1:] == srt[:, :-1]):
        raise ValueError("A mutant lists the same site twice.")
    return sites, states


def mutation_effects(coupling, fields, wild_type, mutants, *, positions=None, alphabet=None):
    """Statistical energy differences ``E(mutant) - E(wild type)`` of a Potts model.

    ``E(x) = sum_i h_i(x_i) + sum_{i < j} J_ij(x_i, x_j)`` with the
    symmetrized couplings ``J_ij = (J[i, j] + J[j, i].T) / 2``: the log
    probability of ``x`` up to the normalization. **Sign convention** (the
    one of EVmutation): a positive effect means the mutant is more probable
    than the wild type under the model, a negative one that it is less
    probable (predicted deleterious). It is minus the change of
    :meth:`PottsPseudoLikelihoodMemory.energy`.

    Parameters
    ----------
    coupling : ndarray of shape (n_sites, n_sites, n_states, n_states)
        ``J[i, j, a, b]``.
    fields : ndarray of shape (n_sites, n_states)
        ``h[i, a]``.
    wild_type : str or array-like of shape (n_sites,)
        The reference sequence: symbols of ``alphabet`` or state codes.
    mutants : list of str, or tuple (sites, states)
        Mutant strings ``"A12G"`` (wild-type symbol, position in the
        ``positions`` numbering, new symbol; the wild-type symbol may be
        left out) or multiple mutants ``"A12G:K15R"``; ``"wt"`` is the wild
        type itself. Or two int arrays of shape ``(n_mutants,)`` (single
        mutants) or ``(n_mutants, k)``: the 0-based sites and the new state
        codes, with ``-1`` padding mutants of fewer than ``k`` mutations.
    positions : array-like of int, default=None
        Number of each site in the mutant strings, e.g. the ``positions`` of
        :func:`~sklearn_plm.datasets.read_alignment` in focus mode; None
        numbers the sites ``1..n_sites``.
    alphabet : str, default=None
        Symbol of each state, for strings; None uses the protein alphabet
        (with or without the gap) when it has ``n_states`` symbols.

    Returns
    -------
    effects : ndarray of shape (n_mutants,)
        Float64 ``E(mutant) - E(wild type)``.
    """
    J = np.asarray(coupling)
    h = np.asarray(fields, dtype=np.float64)
    N, q = h.shape
    if J.shape != (N, N, q, q):
        raise ValueError(f"coupling has shape {J.shape}; expected {(N, N, q, q)}.")
    alphabet = _default_alphabet(q) if alphabet is None else alphabet
    if alphabet is not None and len(alphabet) != q:
        raise ValueError(f"alphabet has {len(alphabet)} symbols; the model has {q} states.")
    wt = _wild_type_codes(wild_type, N, q, alphabet)
    if isinstance(mutants, tuple) and len(mutants) == 2 and not isinstance(mutants[0], str):
        sites, states = _check_index_mutants(*mutants, N, q)
    else:
        positions_given = positions is not None
        positions = (np.arange(1, N + 1) if positions is None
                     else _integer_codes(positions, "positions"))
        if positions.shape != (N,):
            raise ValueError(f"positions must hold {N} numbers; got shape {positions.shape}.")
        sites, states = parse_mutants(list(mutants), wt, positions, alphabet,
                                      positions_given=positions_given)

    # symmetrized couplings Js[i, j, a, b] = (J[i, j, a, b] + J[j, i, b, a]) / 2, gathered
    # where needed rather than built (it would double the model's memory)
    def js(i, j, a, b):
        return 0.5 * (J[i, j, a, b].astype(np.float64) + J[j, i, b, a])

    idx = np.arange(N)
    # local fields of the wild type: H[i, a] = h[i, a] + sum_{j != i} Js[i, j, a, wt_j]
    to_wt = 0.5 * (J[:, idx, :, wt].astype(np.float64) + J[idx, :, wt, :])  # [j, i, a]
    to_wt[idx, idx] = 0.0
    H = h + to_wt.sum(axis=0)
    del to_wt
    used = sites >= 0
    s, a = np.where(used, sites, 0), np.where(used, states, 0)
    old = wt[s]
    effects = np.where(used, H[s, a] - H[s, old], 0.0).sum(axis=1)
    # pairs of mutated sites: the single-site terms counted J(b, x') + J(x, b'),
    # the double mutant has J(b, b')
    k = sites.shape[1]
    for u in range(k):
        for v in range(u + 1, k):
            both = used[:, u] & used[:, v]
            su, sv, au, av, xu, xv = s[:, u], s[:, v], a[:, u], a[:, v], old[:, u], old[:, v]
            term = js(su, sv, au, av) - js(su, sv, au, xv) - js(su, sv, xu, av) + js(su, sv, xu, xv)
            effects += np.where(both, term, 0.0)
    return effects
