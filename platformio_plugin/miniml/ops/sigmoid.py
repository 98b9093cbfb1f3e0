"""Sigmoid: 1 / (1 + exp(-x))."""
from __future__ import annotations

from .activation import lower_pointwise
from .registry import activation, lowering


@activation("sigmoid")
def sigmoid_functor() -> str:
    return "miniml::ActSigmoid()"


@lowering("aten.sigmoid.default", "aten.sigmoid_.default")
def lower_sigmoid(ctx, call):
    return lower_pointwise(ctx, call, ("sigmoid",))
