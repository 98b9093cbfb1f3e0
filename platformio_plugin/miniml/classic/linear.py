"""Linear models (regressors, LogisticRegression, SGD, linear SVMs, one-vs-rest) as op_linear.h's
linear_f32 with weights [out][in] in flash, then the output step scikit-learn applies."""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedOpError
from .model import Head, Namer, Step, rom_f32
from .outputs import classes_rule, ovr_proba, proba_from_raw


def linear_step(weight: np.ndarray, bias: np.ndarray, source: str, namer: Namer, op: str = "linear") -> Step:
    """output = input W^T + b, W: [out][in], computed in float32 (float64 folding done by the caller)."""
    p = namer.next()
    w = np.atleast_2d(np.asarray(weight, np.float64))
    b = np.broadcast_to(np.asarray(bias, np.float64), (w.shape[0],))
    n_out, n_in = w.shape
    return Step(
        op=op, source=source, width=n_out,
        call=f"miniml::linear_f32<miniml::Rom>({{x}}, Weights::{p}_weight, Weights::{p}_bias, {{y}}, "
             f"{n_in}, {n_out}, miniml::ActNone());",
        header="op_linear.h",
        rom=[rom_f32(f"{p}_weight", w, f"{source} coef_"), rom_f32(f"{p}_bias", b, f"{source} intercept_")],
        ops=n_in * n_out,
    )


def _coef(est):
    return np.atleast_2d(est.coef_), np.atleast_1d(np.asarray(est.intercept_, np.float64))


def regressor(est, namer: Namer) -> Head:
    w, b = _coef(est)
    return Head([linear_step(w, b, type(est).__name__, namer)],
                lambda x: est.predict(x).reshape(len(x), -1))


def classifier(est, namer: Namer) -> Head:
    """decision_function (binary: 1 value), or predict_proba where scikit-learn has it."""
    source = type(est).__name__
    w, b = _coef(est)
    dec = linear_step(w, b, source, namer)
    k = dec.width
    steps = [dec]
    reference = lambda x: est.decision_function(x).reshape(len(x), -1)  # noqa: E731
    if source == "LogisticRegression":
        steps.append(proba_from_raw(k, source))
        reference = est.predict_proba
    elif source == "SGDClassifier" and est.loss == "log_loss":
        steps.append(proba_from_raw(1, source) if k == 1 else ovr_proba(k, source))
        reference = est.predict_proba
    elif source == "SGDClassifier" and est.loss == "modified_huber":
        raise UnsupportedOpError("SGDClassifier(loss='modified_huber'): its predict_proba is not "
                                 "supported; use loss='log_loss' or 'hinge'")
    return Head(steps, reference, classes=est.classes_, class_steps=[dec],
                class_rule=classes_rule(k), predict_class=est.predict)


def one_vs_rest(est, namer: Namer) -> Head:
    """OneVsRestClassifier over linear binary classifiers: their decisions stacked into one Linear."""
    source = "OneVsRestClassifier"
    inner = est.estimators_
    for e in inner:
        if not hasattr(e, "coef_") or type(e).__name__ not in CLASSIFIERS:
            raise UnsupportedOpError(f"OneVsRestClassifier({type(e).__name__}): only linear "
                                     f"classifiers inside ({', '.join(sorted(CLASSIFIERS))})")
    w = np.concatenate([np.atleast_2d(e.coef_) for e in inner])
    b = np.concatenate([np.atleast_1d(e.intercept_) for e in inner])
    dec = linear_step(w, b, source, namer)
    k = dec.width
    steps, reference = [dec], (lambda x: est.decision_function(x).reshape(len(x), -1))
    if hasattr(est, "predict_proba") and all(hasattr(e, "predict_proba") for e in inner):
        steps.append(proba_from_raw(1, source) if k == 1 else ovr_proba(k, source))
        reference = est.predict_proba
    return Head(steps, reference, classes=est.classes_, class_steps=[dec],
                class_rule=classes_rule(k), predict_class=est.predict)


REGRESSORS = ("LinearRegression", "Ridge", "RidgeCV", "Lasso", "LassoCV", "ElasticNet", "ElasticNetCV",
              "SGDRegressor", "LinearSVR", "BayesianRidge", "HuberRegressor")
CLASSIFIERS = ("LogisticRegression", "SGDClassifier", "LinearSVC", "RidgeClassifier", "Perceptron")
CONVERTERS = {
    **{n: regressor for n in REGRESSORS},
    **{n: classifier for n in CLASSIFIERS},
    "OneVsRestClassifier": one_vs_rest,
}
