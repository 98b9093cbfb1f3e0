"""GELU, exact (erf) or approximate='tanh', as the model says."""
from __future__ import annotations

from .activation import lower_pointwise
from .registry import activation, lowering


@activation("gelu")
def gelu_functor() -> str:
    return "miniml::ActGelu()"


@activation("gelu_tanh")
def gelu_tanh_functor() -> str:
    return "miniml::ActGeluTanh()"


@lowering("aten.gelu.default", "aten.gelu_.default")
def lower_gelu(ctx, call):
    approximate = call.arg(1, "approximate", "none")
    if approximate not in ("none", "tanh"):
        return None
    return lower_pointwise(ctx, call, ("gelu_tanh",) if approximate == "tanh" else ("gelu",))
