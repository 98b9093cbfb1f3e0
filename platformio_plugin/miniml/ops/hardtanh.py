"""Hardtanh(min_val, max_val), which is also ReLU6 (aten.hardtanh(x, 0, 6)), and clamp."""
from __future__ import annotations

import numpy as np

from ..literals import float_literal
from .activation import lower_pointwise
from .registry import activation, lowering


@activation(
    "hardtanh",
    numpy=lambda x, lo=-1.0, hi=1.0: np.clip(x, np.float32(lo), np.float32(hi)),
    clamp=lambda lo=-1.0, hi=1.0: (float(lo), float(hi)),
    backward="output",
)
def hardtanh_functor(lo: float, hi: float) -> str:
    return f"miniml::ActHardtanh({float_literal(lo)}, {float_literal(hi)})"


@lowering("aten.hardtanh.default", "aten.hardtanh_.default")
def lower_hardtanh(ctx, call):
    lo, hi = float(call.arg(1, "min_val", -1.0)), float(call.arg(2, "max_val", 1.0))
    return lower_pointwise(ctx, call, ("hardtanh", lo, hi))


@lowering("aten.relu6.default", "aten.relu6_.default")
def lower_relu6(ctx, call):
    return lower_pointwise(ctx, call, ("hardtanh", 0.0, 6.0))


@activation(
    "clamp_min",
    numpy=lambda x, lo: np.maximum(x, np.float32(lo)),
    clamp=lambda lo: (float(lo), None),
)
def clamp_min_functor(lo: float) -> str:
    return f"miniml::ActClampMin({float_literal(lo)})"


@activation(
    "clamp_max",
    numpy=lambda x, hi: np.minimum(x, np.float32(hi)),
    clamp=lambda hi: (None, float(hi)),
)
def clamp_max_functor(hi: float) -> str:
    return f"miniml::ActClampMax({float_literal(hi)})"


@lowering("aten.clamp.default", "aten.clamp_.default", "aten.clip.default", "aten.clip_.default")
def lower_clamp(ctx, call):
    lo, hi = call.arg(1, "min"), call.arg(2, "max")
    if lo is not None and hi is not None:
        return lower_pointwise(ctx, call, ("hardtanh", float(lo), float(hi)))
    if lo is not None:
        return lower_pointwise(ctx, call, ("clamp_min", float(lo)))
    if hi is not None:
        return lower_pointwise(ctx, call, ("clamp_max", float(hi)))
    return None
