"""scikit-learn's estimator checks, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_plm import (HopfieldMemory, PottsPseudoLikelihoodMemory, PseudoLikelihoodImputer,
                         PseudoLikelihoodMemory)

ESTIMATORS = [
    PottsPseudoLikelihoodMemory(),
    PottsPseudoLikelihoodMemory(symmetric=True, recall="async", random_state=0),
    PseudoLikelihoodMemory(),
    PseudoLikelihoodMemory(symmetric=True, fit_fields=True),
    PseudoLikelihoodMemory(solver="gd", max_iter=20),
    PseudoLikelihoodMemory(recall="async", random_state=0),
    HopfieldMemory(rule="hebb"),
    HopfieldMemory(rule="pseudo-inverse"),
    HopfieldMemory(rule="storkey"),
    HopfieldMemory(rule="perceptron", margin=0.1, max_iter=50),
    HopfieldMemory(rule="perceptron", margin="max", max_iter=50),
    PseudoLikelihoodMemory(recall="mean-field"),
    PseudoLikelihoodMemory(recall="gibbs", burn_in=5, n_sweeps=10, random_state=0),
    PottsPseudoLikelihoodMemory(recall="mean-field"),
    PottsPseudoLikelihoodMemory(recall="gibbs", burn_in=5, n_sweeps=10, random_state=0),
    PseudoLikelihoodImputer(max_iter=50),
    PseudoLikelihoodImputer(method="gibbs", burn_in=5, n_sweeps=10, random_state=0,
                            add_indicator=True, keep_empty_features=True),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: {})
def test_sklearn_compatible(estimator, check):
    check(estimator)
