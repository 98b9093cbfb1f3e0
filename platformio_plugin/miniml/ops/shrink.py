"""Hardshrink and Softshrink(lambd): zero inside [-lambd, lambd]; Softshrink also moves the rest in."""
from __future__ import annotations

from .activation import functor, lower_pointwise
from .registry import activation, lowering


@activation("hardshrink")
def hardshrink_functor(lambd: float) -> str:
    return functor("ActHardshrink", lambd)


@activation("softshrink")
def softshrink_functor(lambd: float) -> str:
    return functor("ActSoftshrink", lambd)


@lowering("aten.hardshrink.default")
def lower_hardshrink(ctx, call):
    return lower_pointwise(ctx, call, ("hardshrink", float(call.arg(1, "lambd", 0.5))))


@lowering("aten.softshrink.default")
def lower_softshrink(ctx, call):
    return lower_pointwise(ctx, call, ("softshrink", float(call.arg(1, "lambd", 0.5))))
