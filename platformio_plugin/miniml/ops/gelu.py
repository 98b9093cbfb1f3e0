"""GELU, exact (erf) or approximate='tanh', as the model says."""
from __future__ import annotations

import math

import numpy as np

from .activation import lower_pointwise
from .registry import activation, lowering

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _gelu(x):
    return (0.5 * x * (1.0 + _erf(x.astype(np.float64) / np.sqrt(2.0)))).astype(np.float32)


def _gelu_tanh(x):
    inner = np.sqrt(2.0 / np.pi) * (x + 0.044715 * x.astype(np.float64) ** 3)
    return (0.5 * x * (1.0 + np.tanh(inner))).astype(np.float32)


@activation("gelu", numpy=_gelu, backward="input")
def gelu_functor() -> str:
    return "miniml::ActGelu()"


@activation("gelu_tanh", numpy=_gelu_tanh, backward="input")
def gelu_tanh_functor() -> str:
    return "miniml::ActGeluTanh()"


@lowering("aten.gelu.default", "aten.gelu_.default")
def lower_gelu(ctx, call):
    approximate = call.arg(1, "approximate", "none")
    if approximate not in ("none", "tanh"):
        return None
    return lower_pointwise(ctx, call, ("gelu_tanh",) if approximate == "tanh" else ("gelu",))
