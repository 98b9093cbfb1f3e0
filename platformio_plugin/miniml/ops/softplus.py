"""Softplus(beta, threshold) and Mish (x * tanh(softplus(x))), as torch computes them."""
from __future__ import annotations

import numpy as np

from .activation import functor, lower_pointwise
from .registry import activation, lowering


def _softplus(x, beta=1.0, threshold=20.0):
    z = np.asarray(x, np.float64) * beta
    return np.where(z > threshold, x, np.logaddexp(0.0, z) / beta)


def _mish(x):
    return np.asarray(x, np.float64) * np.tanh(_softplus(x))


@activation("softplus", numpy=_softplus)
def softplus_functor(beta: float, threshold: float) -> str:
    return functor("ActSoftplus", beta, threshold)


@lowering("aten.softplus.default")
def lower_softplus(ctx, call):
    beta, threshold = float(call.arg(1, "beta", 1.0)), float(call.arg(2, "threshold", 20.0))
    return lower_pointwise(ctx, call, ("softplus", beta, threshold))


@activation("mish", numpy=_mish)
def mish_functor() -> str:
    return "miniml::ActMish()"


@lowering("aten.mish.default", "aten.mish_.default")
def lower_mish(ctx, call):
    return lower_pointwise(ctx, call, ("mish",))
