"""Sigmoid: 1 / (1 + exp(-x))."""
from __future__ import annotations

import numpy as np

from .activation import lower_pointwise
from .registry import activation, lowering


@activation(
    "sigmoid",
    numpy=lambda x: (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32),
    backward="output",
)
def sigmoid_functor() -> str:
    return "miniml::ActSigmoid()"


@lowering("aten.sigmoid.default", "aten.sigmoid_.default")
def lower_sigmoid(ctx, call):
    return lower_pointwise(ctx, call, ("sigmoid",))
