"""Hardsigmoid: clamp(x + 3, 0, 6) / 6."""
from __future__ import annotations

from .activation import lower_pointwise
from .registry import activation, lowering


@activation("hardsigmoid")
def hardsigmoid_functor() -> str:
    return "miniml::ActHardsigmoid()"


@lowering("aten.hardsigmoid.default", "aten.hardsigmoid_.default")
def lower_hardsigmoid(ctx, call):
    return lower_pointwise(ctx, call, ("hardsigmoid",))
