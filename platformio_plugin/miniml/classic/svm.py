"""Kernel SVMs (SVC, NuSVC, SVR, NuSVR): support vectors and dual coefficients in flash, classic_svm.h."""
from __future__ import annotations

import numpy as np

from ..literals import float_literal
from ..errors import UnsupportedOpError
from .linear import linear_step
from .model import Head, Namer, Step, rom_f32, rom_uint

KERNELS = {"linear": "miniml::kSvmLinear", "rbf": "miniml::kSvmRbf", "poly": "miniml::kSvmPoly",
           "sigmoid": "miniml::kSvmSigmoid"}


def _ovo_step(est, n_classes: int, namer: Namer) -> Step:
    """Pairwise decisions; a linear kernel folds its support vectors into coef_ (one weight row per
    pair, summed in float64: fewer operations and no float32 cancellation over the vectors)."""
    source = type(est).__name__
    if est.kernel == "linear":
        return linear_step(est.coef_, est.intercept_, source, namer, op="svm_linear")
    if not isinstance(est.kernel, str) or est.kernel not in KERNELS:
        raise UnsupportedOpError(f"{source}(kernel={est.kernel!r}): supported kernels are "
                                 f"{', '.join(KERNELS)}")
    if est.kernel == "poly" and not 0 <= est.degree <= 255:
        raise UnsupportedOpError(f"{source}(degree={est.degree}): use a degree in 0..255")
    p = namer.next()
    sv = np.asarray(est.support_vectors_, np.float64)
    n_sv, n_feat = sv.shape
    rom = [rom_f32(f"{p}_sv", sv, f"{source} support_vectors_"),
           rom_f32(f"{p}_dual_coef", est.dual_coef_, f"{source} dual_coef_"),
           rom_f32(f"{p}_intercept", est.intercept_, f"{source} intercept_")]
    cls = "static_cast<const uint8_t*>(nullptr)"
    if n_classes > 2:
        rom.append(rom_uint(f"{p}_sv_class", np.repeat(np.arange(n_classes), est.n_support_),
                            f"{source} support vector classes"))
        cls = f"Weights::{p}_sv_class"
    gamma = float_literal(getattr(est, "_gamma", 0.0), f"{source} gamma")
    coef0 = float_literal(est.coef0, f"{source} coef0")
    params = f"miniml::svm_params({KERNELS[est.kernel]}, {gamma}, {coef0}, {int(est.degree)})"
    pairs = max(1, n_classes * (n_classes - 1) // 2)
    call = (f"miniml::svm_ovo_f32({{x}}, Weights::{p}_sv, Weights::{p}_dual_coef, {cls}, "
            f"Weights::{p}_intercept, {n_sv}, {n_feat}, {max(n_classes, 2)},\n"
            f"                        {params}, {{y}});")
    return Step("svm_ovo", source, pairs, call, "classic_svm.h", rom,
                ops=n_sv * (n_feat + max(1, n_classes - 1)))


def svc(est, namer: Namer) -> Head:
    source = type(est).__name__
    if getattr(est, "probability", False) is True:
        raise UnsupportedOpError(f"{source}(probability=True): Platt-scaled probabilities are not "
                                 "supported; export with probability=False (decision_function)")
    if getattr(est, "break_ties", False):
        raise UnsupportedOpError(f"{source}(break_ties=True) is not supported; use break_ties=False")
    k = len(est.classes_)
    ovo = _ovo_step(est, k, namer)
    steps = [ovo]
    if k > 2 and est.decision_function_shape == "ovr":
        steps.append(Step("svm_ovr", source, k, f"miniml::svm_ovr_f32({{x}}, {k}, {{y}});",
                          "classic_svm.h", [], ovo.width * 2))
    rule = "{y}[0] > 0.0f ? 1 : 0" if k == 2 else f"miniml::svm_vote({{y}}, {k})"
    return Head(steps, lambda x: est.decision_function(x).reshape(len(x), -1), classes=est.classes_,
                class_steps=[ovo], class_rule=rule, predict_class=est.predict)


def svr(est, namer: Namer) -> Head:
    return Head([_ovo_step(est, 1, namer)], lambda x: est.predict(x).reshape(-1, 1))


CONVERTERS = {"SVC": svc, "NuSVC": svc, "SVR": svr, "NuSVR": svr}
