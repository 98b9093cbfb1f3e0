"""Hardshrink and Softshrink(lambd): zero inside [-lambd, lambd]; Softshrink also moves the rest in."""
from __future__ import annotations

import numpy as np

from .activation import functor, lower_pointwise
from .registry import activation, lowering


def _hardshrink(x, lambd=0.5):
    return np.where(np.abs(x) > lambd, x, 0.0)


def _softshrink(x, lambd=0.5):
    x64 = np.asarray(x, np.float64)
    return np.where(x64 > lambd, x64 - lambd, np.where(x64 < -lambd, x64 + lambd, 0.0))


@activation("hardshrink", numpy=_hardshrink)
def hardshrink_functor(lambd: float) -> str:
    return functor("ActHardshrink", lambd)


@activation("softshrink", numpy=_softshrink)
def softshrink_functor(lambd: float) -> str:
    return functor("ActSoftshrink", lambd)


@lowering("aten.hardshrink.default")
def lower_hardshrink(ctx, call):
    return lower_pointwise(ctx, call, ("hardshrink", float(call.arg(1, "lambd", 0.5))))


@lowering("aten.softshrink.default")
def lower_softshrink(ctx, call):
    return lower_pointwise(ctx, call, ("softshrink", float(call.arg(1, "lambd", 0.5))))
