"""Hardtanh(min_val, max_val), which is also ReLU6 (aten.hardtanh(x, 0, 6))."""
from __future__ import annotations

from .activation import lower_pointwise
from .registry import activation, lowering


@activation("hardtanh")
def hardtanh_functor(lo: float, hi: float) -> str:
    from ..emit.literals import float_literal

    return f"miniml::ActHardtanh({float_literal(lo)}, {float_literal(hi)})"


@lowering("aten.hardtanh.default", "aten.hardtanh_.default")
def lower_hardtanh(ctx, call):
    lo, hi = float(call.arg(1, "min_val", -1.0)), float(call.arg(2, "max_val", 1.0))
    return lower_pointwise(ctx, call, ("hardtanh", lo, hi))


@lowering("aten.relu6.default", "aten.relu6_.default")
def lower_relu6(ctx, call):
    return lower_pointwise(ctx, call, ("hardtanh", 0.0, 6.0))
