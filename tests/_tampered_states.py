"""Fuzz the loading of tampered model files: python tests/_tampered_states.py [seed]

For every estimator (a PseudoLikelihoodMemory after partial_fit, and the
PseudoLikelihoodImputer with its model, mask and indicator), edit
the state of a small fitted model in many ways (shapes, dtypes, counts,
encodings, parameters, missing keys, random perturbations), write it as a
pickle and as a skops file, and load it. Every edit that makes the state
inconsistent must be refused on load with a ValueError or TypeError
(NotFittedError for missing attributes); an edit that keeps the model the
same (another byte order, a matrix for an array, a missing ``loss_``) may
load, and must then answer exactly as the untouched model. test_persistence.py runs this in a
subprocess, where a crash of a compiled kernel kills only the subprocess.

Prints one line per failure and exits with the number of failures (0 = all
refused cleanly).
"""

import copy
import pickle
import sys
import warnings

import numpy as np


def _models():
    from sklearn_plm import (HopfieldMemory, PottsPseudoLikelihoodMemory,
                             PseudoLikelihoodImputer, PseudoLikelihoodMemory)

    rng = np.random.default_rng(0)
    X = rng.choice([-1.0, 1.0], size=(12, 6))
    codes = rng.integers(0, 3, size=(12, 5)).astype(float)
    streamed = PseudoLikelihoodMemory(fit_fields=True)
    for batch in np.array_split(X, 2):
        streamed.partial_fit(batch)
    holes = np.where(rng.random((30, 6)) < 0.2, np.nan,
                     rng.choice([0.0, 1.0], size=(30, 6)))
    holes[:, 4] = np.nan  # a feature never observed: the mask drops it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "imputer": (PseudoLikelihoodImputer(add_indicator=True, max_iter=20).fit(holes),
                        holes),
            "pl": (PseudoLikelihoodMemory(fit_fields=True).fit(X), X),
            "pl_partial": (streamed, X),
            "hopfield": (HopfieldMemory(rule="storkey").fit(X), X),
            "potts": (PottsPseudoLikelihoodMemory().fit(codes), codes),
        }


def _array_edits(a):
    """Ways to damage one fitted array, each (label, new value)."""
    yield "drop_row", a[:-1]
    yield "add_row", np.concatenate([a, a[:1]])
    yield "transpose_extra_axis", a[..., None]
    yield "flatten", a.ravel()
    yield "scalar", np.float64(1.0)
    yield "empty", np.empty((0,) * a.ndim)
    if a.ndim >= 2:
        yield "drop_column", a[:, :-1]
        yield "add_column", np.concatenate([a, a[:, :1]], axis=1)
    if a.ndim == 4:
        yield "drop_state", a[:, :, :-1, :-1]
        yield "add_state", np.pad(a, [(0, 0), (0, 0), (0, 1), (0, 1)])
    for dtype in (np.int64, np.float16, np.complex128, bool, object, ">f8"):
        yield f"dtype_{np.dtype(dtype).str}", a.astype(dtype)
    yield "nan", np.full_like(a, np.nan)
    yield "inf", np.full_like(a, np.inf)
    yield "list", a.tolist()
    yield "none", None
    yield "string", "garbage"
    yield "matrix", np.asmatrix(a) if a.ndim == 2 else np.ma.masked_array(a)


_COUNT_EDITS = [0, -1, -(2**40), 2**40, 2**31, 1.5, "3", None, True, [3]]


def _edits(state):
    """Every (label, tampered state) of one fitted state."""
    for name in ("coupling_", "fields_"):
        for label, value in _array_edits(state[name]):
            yield f"{name}:{label}", {**state, name: value}
    n = state["n_features_in_"]
    for value in (*_COUNT_EDITS, n - 1, n + 1):
        yield f"n_features_in_={value!r}", {**state, "n_features_in_": value}
    if "n_states_" in state:
        q = state["n_states_"]
        for value in (*_COUNT_EDITS, q - 1, q + 1):
            yield f"n_states_={value!r}", {**state, "n_states_": value}
    if "encoding_" in state:
        for value in ("garbage", "", None, 1, b"01"):
            yield f"encoding_={value!r}", {**state, "encoding_": value}
    if state.get("_adam") is not None:
        adam = state["_adam"]
        for attr in ("coef", "m", "v"):
            for label, value in _array_edits(getattr(adam, attr)):
                bad = copy.copy(adam)
                setattr(bad, attr, value)
                yield f"_adam.{attr}:{label}", {**state, "_adam": bad}
        for value in (-1, 1.5, None, "x"):
            bad = copy.copy(adam)
            bad.t = value
            yield f"_adam.t={value!r}", {**state, "_adam": bad}
        negative = copy.copy(adam)
        negative.v = -np.ones_like(adam.v)
        yield "_adam.v<0", {**state, "_adam": negative}
        yield "_adam=str", {**state, "_adam": "garbage"}
    for param, values in {"max_recall_iter": [0, -5, 2**31, 2**63, "x", None],
                          "recall": ["garbage", None], "n_jobs": [0, "x", 1.5],
                          "clamp": ["yes"]}.items():
        for value in values:
            yield f"{param}={value!r}", {**state, param: value}
    for name in state:
        if name.endswith("_") and not name.startswith("_") and name != "n_iter_":
            yield f"missing:{name}", {k: v for k, v in state.items() if k != name}


def _imputer_edits(state):
    """Every (label, tampered state) of a fitted PseudoLikelihoodImputer."""
    from sklearn_plm import HopfieldMemory, PseudoLikelihoodMemory

    for param, values in {
            "temperature": [np.nan, -1.0, np.inf, 0.0, "x"],
            "method": ["bogus", None],
            "n_sweeps": [0, -1, 2**40],
            "burn_in": [2**40, -1, 1.5],
            "max_recall_iter": [-5, 0, 2**40],
            "n_jobs": [0, "x", 1.5],
            "add_indicator": ["yes", False],
            "keep_empty_features": ["yes"],
            "missing_values": [[1]]}.items():
        for value in values:
            yield f"{param}={value!r}", {**state, param: value}
    for value in ("garbage", "", None, 1, b"01"):
        yield f"encoding_={value!r}", {**state, "encoding_": value}
    observed = state["_observed"]
    for label, value in [("int", observed.astype(int)), ("float", observed.astype(float)),
                         ("all_true", np.ones_like(observed)),
                         ("all_false", np.zeros_like(observed)),
                         ("short", observed[:-1]), ("2d", observed[None]),
                         ("list", observed.tolist()), ("none", None)]:
        yield f"_observed:{label}", {**state, "_observed": value}
    n = state["n_features_in_"]
    for value in (*_COUNT_EDITS, n - 1, n + 1):
        yield f"n_features_in_={value!r}", {**state, "n_features_in_": value}
    memory = state["memory_"]
    X = np.random.default_rng(1).choice([-1.0, 1.0], size=(10, memory.n_features_in_ + 1))
    nan_model = copy.deepcopy(memory)
    nan_model.fields_ = np.full_like(memory.fields_, np.nan)
    for label, value in [("none", None), ("str", "garbage"),
                         ("hopfield", HopfieldMemory().fit(X[:, :-1])),
                         ("wider", PseudoLikelihoodMemory(max_iter=5).fit(X)),
                         ("nan_fields", nan_model)]:
        yield f"memory_:{label}", {**state, "memory_": value}
    for label, value in [("none", None), ("str", "garbage")]:
        yield f"indicator_:{label}", {**state, "indicator_": value}
    for name in ("memory_", "encoding_", "_observed", "n_features_in_"):
        yield f"missing:{name}", {k: v for k, v in state.items() if k != name}


def _random_edits(state, rng, n_edits):
    """Random values in random fitted attributes."""
    names = [k for k in state if k.endswith("_") and not k.startswith("_")
             and k not in ("n_iter_", "loss_")]
    pool = [0, -1, 1, 2**31, 2**63 - 1, 7.5, "x", None, np.nan,
            np.zeros(3), np.zeros((2, 2)), np.zeros((9, 9)), np.ones((6, 6, 3, 3)),
            np.ones((5, 5, 2, 2), dtype=np.float32), np.arange(5.0)]
    for k in range(n_edits):
        bad = dict(state)
        edited = rng.choice(names, size=rng.integers(1, 3), replace=False)
        for name in edited:
            bad[name] = pool[rng.integers(len(pool))]
        yield f"random{k}:" + ",".join(f"{name}={bad[name]!r:.20}" for name in edited), bad


def _dumps(est, fmt):
    if fmt == "pickle":
        return pickle.dumps(est)
    import skops.io as sio

    return sio.dumps(est)


def _loads(data, fmt):
    if fmt == "pickle":
        return pickle.loads(data)
    import skops.io as sio

    return sio.loads(data, trusted=sio.get_untrusted_types(data=data))


def _use(est, X):
    """Every method that reads the fitted state, and their outputs."""
    if hasattr(est, "predict_proba") and not hasattr(est, "energy"):  # the imputer
        return [est.transform(X), est.predict_proba(X), est.get_feature_names_out()]
    return [est.transform(X), est.score_samples(X), est.energy(X),
            est.sample(2, burn_in=1, random_state=0)]


def _same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b))


def main(seed=0):
    from sklearn.exceptions import NotFittedError

    formats = ["pickle"]
    try:
        import skops.io  # noqa: F401

        formats.append("skops")
    except ImportError:
        pass
    rng = np.random.default_rng(seed)
    failures, n_cases = [], 0
    for model_name, (model, X) in _models().items():
        state = model.__getstate__()
        state.pop("_sklearn_plm_version")
        expected = _use(model, X)
        edits = _imputer_edits if model_name == "imputer" else _edits
        cases = list(edits(state)) + list(_random_edits(state, rng, 40))
        for label, tampered in cases:
            est = type(model).__new__(type(model))
            est.__dict__.update(tampered)
            for fmt in formats:
                try:
                    data = _dumps(est, fmt)
                except Exception:
                    continue  # the format cannot even store this value
                n_cases += 1
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        loaded = _loads(data, fmt)
                except (ValueError, TypeError, NotFittedError):
                    continue  # refused on load, as it should be
                except Exception as exc:
                    failures.append(f"{model_name} {fmt} {label}: load raised "
                                    f"{type(exc).__name__}: {exc}")
                    continue
                try:
                    same = _same(_use(loaded, X), expected)
                except Exception as exc:
                    failures.append(f"{model_name} {fmt} {label}: loaded, then "
                                    f"{type(exc).__name__}: {str(exc)[:120]}")
                else:
                    if not same:
                        failures.append(f"{model_name} {fmt} {label}: loaded a different model")
        # forged versions warn, and the untouched state still loads and works
        for version in (None, "", "garbage"):
            forged = {**state, "_sklearn_plm_version": version}
            est = type(model).__new__(type(model))
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                est.__setstate__(forged)
            n_cases += 1
            if not any("not a version" in str(w.message) for w in caught):
                failures.append(f"{model_name} version={version!r}: no warning")
            if not _same(_use(est, X), expected):
                failures.append(f"{model_name} version={version!r}: a different model")
    for line in failures:
        print(line)
    print(f"{n_cases} tampered files, {len(failures)} not refused", file=sys.stderr)
    return len(failures)


if __name__ == "__main__":
    sys.exit(min(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0), 100))
