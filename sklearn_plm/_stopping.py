"""Stopping rules of the solvers: which size of the gradient ``tol`` bounds.

A rule is a function ``size(g, x, n_threads) -> float`` of the gradient (or,
for proximal solvers, the gradient mapping) ``g`` at the parameters ``x``,
both flat float64 vectors; a solver stops when it is at most ``tol``. The
estimators' ``tol_norm`` names one of :data:`STOPPING_RULES`, and a new rule
is one function added there.

- ``"max"``: the largest absolute entry (L-BFGS-B's projected-gradient test
  without bounds), the library's default: every parameter's own optimality.
- ``"relative_l2"``: the Euclidean norm divided by ``max(1, ||x||_2)``, the
  test of libLBFGS (``epsilon``), which plmc runs with ``1e-3`` on its summed
  objective. On real families plmc's float32 build stops before it, when its
  line search no longer resolves a decrease (the estimators' ``tol_objective``
  test stops about there).
"""

import math

from ._lbfgs import _dot, max_abs_size


def relative_l2_size(g, x, n_threads=1):
    """``||g||_2 / max(1, ||x||_2)``."""
    return math.sqrt(_dot(g, g, n_threads)) / max(1.0, math.sqrt(_dot(x, x, n_threads)))


STOPPING_RULES = {"max": max_abs_size, "relative_l2": relative_l2_size}

# What the progress lines call each rule's size.
RULE_LABELS = {"max": "max|grad|", "relative_l2": "|grad|/max(1,|coef|)"}


def stopping_rule(name):
    """The ``size(g, x, n_threads)`` function of the rule called ``name``."""
    try:
        return STOPPING_RULES[name]
    except KeyError:
        raise ValueError(f"tol_norm must be one of {sorted(STOPPING_RULES)}, "
                         f"got {name!r}.") from None
