"""MLPClassifier/MLPRegressor through the PyTorch path: the equivalent nn.Sequential (affine
preprocessing folded into the first Linear in float64), exported as any nn.Module, plus predict_class."""
from __future__ import annotations

from typing import Any, List, Tuple

import numpy as np

from ..emit.header import HeaderParts, Member
from ..errors import UnsupportedOpError
from ..ir import DType

ACTIVATIONS = ("identity", "relu", "tanh", "logistic")


def affine(t, n: int) -> Tuple[np.ndarray, np.ndarray]:
    """(A, a) with t.transform(x) == A @ x + a, for the preprocessing that is affine."""
    name = type(t).__name__
    if name in ("StandardScaler", "RobustScaler", "MaxAbsScaler"):
        center = getattr(t, "mean_" if name == "StandardScaler" else "center_", None)
        if name == "StandardScaler" and not t.with_mean:
            center = None
        scale = np.ones(n) if t.scale_ is None else np.asarray(t.scale_, np.float64)
        c = np.zeros(n) if center is None else np.asarray(center, np.float64)
        return np.diag(1.0 / scale), -c / scale
    if name == "MinMaxScaler" and not t.clip:
        return np.diag(np.asarray(t.scale_, np.float64)), np.asarray(t.min_, np.float64)
    if name == "PCA":
        w = np.asarray(t.components_, np.float64)
        if t.whiten:
            w = w / np.sqrt(t.explained_variance_)[:, None]
        return w, -w @ t.mean_
    if name in ("SelectKBest", "SelectPercentile", "VarianceThreshold"):
        return np.eye(n)[t.get_support(indices=True)], np.zeros(int(t.get_support().sum()))
    raise UnsupportedOpError(f"{name} before an MLP is not supported: only affine preprocessing "
                             "(scalers, PCA, feature selection) folds into its first layer")


def module(est, transformers: List[Any], n_in: int):
    import torch
    from torch import nn

    source = type(est).__name__
    if est.activation not in ACTIVATIONS:
        raise UnsupportedOpError(f"{source}(activation={est.activation!r}) is not supported")
    if est.out_activation_ == "logistic" and len(est.classes_) != 2:
        raise UnsupportedOpError(f"{source} with several labels per sample (multilabel) is not supported")
    a, b = np.eye(n_in), np.zeros(n_in)
    for t in transformers:
        ta, tb = affine(t, a.shape[0])
        a, b = ta @ a, ta @ b + tb
    act = {"relu": nn.ReLU, "tanh": nn.Tanh, "logistic": nn.Sigmoid, "identity": nn.Identity}[est.activation]
    layers: List[nn.Module] = []
    for i, (w, c) in enumerate(zip(est.coefs_, est.intercepts_)):
        w = np.asarray(w, np.float64).T
        if i == 0:  # fold the preprocessing: W (A x + a) + c
            w, c = w @ a, w @ b + c
        lin = nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w.astype(np.float32)))
            lin.bias.copy_(torch.from_numpy(np.asarray(c, np.float32)))
        layers.append(lin)
        if i < len(est.coefs_) - 1 and est.activation != "identity":
            layers.append(act())
    if est.out_activation_ == "softmax":
        layers.append(nn.Softmax(dim=1))
    elif est.out_activation_ == "logistic":  # binary: [1 - p, p] as predict_proba
        pair = nn.Linear(1, 2)
        with torch.no_grad():
            pair.weight.copy_(torch.tensor([[-1.0], [1.0]]))
            pair.bias.copy_(torch.tensor([1.0, 0.0]))
        layers += [nn.Sigmoid(), pair]
    return nn.Sequential(*layers).eval()


def class_parts(classes: np.ndarray) -> Any:
    """A header extension: predict_class = argmax of predict_proba (a scratch row in Model), and
    kClassLabels."""
    from .header import labels_tail

    n_out = max(len(classes), 2)

    def extend(parts: HeaderParts, *_: Any) -> None:
        parts.includes.append("miniml/classic_output.h")
        parts.members.append(Member("class_row_", DType.F32, n_out, "predict_class's probabilities"))
        parts.methods.append(
            "  // scikit-learn's predict as an index into classes_ (kClassLabels when present).\n"
            "  int predict_class(const float* input) {\n"
            "    predict(input, class_row_);\n"
            f"    return static_cast<int>(miniml::argmax_f32(class_row_, {n_out}));\n  }}"
        )
        parts.tail += labels_tail(classes)

    return extend


