"""What BaseMemory gives every estimator: weighted score, docs link, input errors."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder
from sklearn.utils import estimator_html_repr

from sklearn_plm import HopfieldMemory, PottsPseudoLikelihoodMemory, PseudoLikelihoodMemory

from conftest import random_patterns


def _fitted(Est):
    if Est is PottsPseudoLikelihoodMemory:
        X = np.random.default_rng(0).integers(0, 3, size=(40, 8)).astype(float)
    else:
        X = random_patterns(40, 12, seed=1)
    return Est().fit(X), X


@pytest.mark.parametrize("Est", [PseudoLikelihoodMemory, HopfieldMemory,
                                 PottsPseudoLikelihoodMemory])
def test_score_with_sample_weight_is_the_weighted_mean(Est):
    est, X = _fitted(Est)
    per_row = est.score_samples(X)
    w = np.arange(len(X)) % 4
    assert est.score(X, sample_weight=w) == pytest.approx(np.sum(w * per_row) / w.sum(),
                                                          rel=1e-12)
    # integer weights are repeated rows; unit weights the plain mean
    assert est.score(X, sample_weight=w) == pytest.approx(est.score(np.repeat(X, w, axis=0)),
                                                          rel=1e-12)
    assert est.score(X, sample_weight=np.ones(len(X))) == pytest.approx(est.score(X), rel=1e-12)
    with pytest.raises(ValueError, match="zero|sums to 0"):
        est.score(X, sample_weight=np.zeros(len(X)))
    with pytest.raises(ValueError, match="(?i)negative"):
        est.score(X, sample_weight=-np.ones(len(X)))
    with pytest.raises(ValueError):
        est.score(X, sample_weight=np.ones(len(X) + 1))


@pytest.mark.parametrize("Est", [PseudoLikelihoodMemory, HopfieldMemory,
                                 PottsPseudoLikelihoodMemory])
def test_html_repr_links_to_the_api_page(Est, monkeypatch):
    est = Est()
    monkeypatch.delenv("SKLEARN_PLM_DOCS_URL", raising=False)
    assert est._get_doc_link() == ""
    monkeypatch.setenv("SKLEARN_PLM_DOCS_URL", "https://docs.example/sklearn_plm/")
    url = f"https://docs.example/sklearn_plm/generated/sklearn_plm.{Est.__name__}.html"
    assert est._get_doc_link() == url
    assert f'href="{url}"' in estimator_html_repr(make_pipeline(OrdinalEncoder(), est))


def test_strings_and_categories_say_what_to_put_first():
    pd = pytest.importorskip("pandas")
    words = np.array([["yes", "no", "no"], ["no", "yes", "no"], ["yes", "yes", "no"]] * 4)
    frame = pd.DataFrame(words).astype("category")
    for X in (words, words.astype(object), frame, words.tolist()):
        with pytest.raises(ValueError, match="OrdinalEncoder.*Binarizer"):
            PseudoLikelihoodMemory().fit(X)
        with pytest.raises(ValueError, match="strings or categories.*OrdinalEncoder"):
            PottsPseudoLikelihoodMemory().fit(X)
    with pytest.raises(ValueError, match="OrdinalEncoder"):
        HopfieldMemory().fit(frame)
    # what the message says works: the pipeline fits and encodes yes/no as 1/0
    pipe = make_pipeline(OrdinalEncoder(categories=[["no", "yes"]] * 3), HopfieldMemory())
    assert set(np.unique(pipe.fit_transform(frame))) <= {0.0, 1.0}
    # numbers stored as objects still work, and other errors are left as they are
    PseudoLikelihoodMemory().fit(random_patterns(10, 4).astype(object))
    with pytest.raises(ValueError) as info:
        PseudoLikelihoodMemory().fit(np.ones((5, 1)))
    assert "OrdinalEncoder" not in str(info.value)
    est = PseudoLikelihoodMemory().fit(random_patterns(10, 3))
    with pytest.raises(ValueError, match="OrdinalEncoder"):
        est.transform(words)


def test_score_weights_are_routed_by_model_selection():
    from sklearn import config_context
    from sklearn.model_selection import KFold, cross_validate

    X = random_patterns(60, 10, seed=2)
    w = np.arange(60) % 3 + 1.0
    cv = KFold(3)
    with config_context(enable_metadata_routing=True):
        est = PseudoLikelihoodMemory().set_fit_request(sample_weight=False)
        routed = cross_validate(est.set_score_request(sample_weight=True), X,
                                params={"sample_weight": w}, cv=cv)["test_score"]
    expected = [PseudoLikelihoodMemory().fit(X[train]).score(X[test], sample_weight=w[test])
                for train, test in cv.split(X)]
    np.testing.assert_allclose(routed, expected, rtol=1e-12)
