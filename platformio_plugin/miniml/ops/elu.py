"""ELU, SELU and CELU: one functor, torch's (alpha, scale, input_scale) parametrisation of all three."""
from __future__ import annotations

import numpy as np

from .activation import functor, lower_pointwise
from .registry import activation, lowering

# torch's SELU constants (aten/src/ATen/native/Activation.cpp)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _elu(x, alpha=1.0, scale=1.0, input_scale=1.0):
    x64 = np.asarray(x, np.float64)
    return np.where(x64 > 0, x64 * scale, np.expm1(x64 * input_scale) * alpha * scale)


@activation("elu", numpy=_elu)
def elu_functor(alpha: float, scale: float, input_scale: float) -> str:
    return functor("ActElu", alpha, scale, input_scale)


@lowering("aten.elu.default", "aten.elu_.default")
def lower_elu(ctx, call):
    alpha, scale = float(call.arg(1, "alpha", 1.0)), float(call.arg(2, "scale", 1.0))
    return lower_pointwise(ctx, call, ("elu", alpha, scale, float(call.arg(3, "input_scale", 1.0))))


@lowering("aten.selu.default", "aten.selu_.default")
def lower_selu(ctx, call):
    return lower_pointwise(ctx, call, ("elu", SELU_ALPHA, SELU_SCALE, 1.0))


@lowering("aten.celu.default", "aten.celu_.default")
def lower_celu(ctx, call):
    alpha = float(call.arg(1, "alpha", 1.0))
    if alpha == 0.0:
        return None
    return lower_pointwise(ctx, call, ("elu", alpha, 1.0, 1.0 / alpha))
