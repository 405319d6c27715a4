"""scikit-learn's estimator checks, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_plm import HopfieldMemory, PottsPseudoLikelihoodMemory, PseudoLikelihoodMemory

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
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: {})
def test_sklearn_compatible(estimator, check):
    check(estimator)
