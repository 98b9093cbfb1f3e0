"""LeakyReLU(negative_slope): x if x > 0 else x * slope (slope may be > 1 or < 0)."""
from __future__ import annotations

import numpy as np

from ..literals import float_literal
from .activation import lower_pointwise
from .registry import activation, lowering


@activation(
    "leaky_relu", numpy=lambda x, slope=0.01: np.where(x >= 0, x, x * np.float32(slope)),
    backward="input",
)
def leaky_relu_functor(slope: float) -> str:
    return f"miniml::ActLeakyRelu({float_literal(slope)})"


@lowering("aten.leaky_relu.default", "aten.leaky_relu_.default")
def lower_leaky_relu(ctx, call):
    return lower_pointwise(ctx, call, ("leaky_relu", float(call.arg(1, "negative_slope", 0.01))))
