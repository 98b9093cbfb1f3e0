"""Elementwise div of equal shapes, or by a Python number (as in decomposed Hardswish: ... / 6)."""
from __future__ import annotations

from typing import Any

from ..ir import Node
from ._binary_common import (
    binary_run,
    emit_binary,
    lower_binary,
    lower_scalar_s8,
)
from .registry import int8_rule, kernel, lowering


@lowering("aten.div.Tensor", "aten.div_.Tensor", "aten.div.Scalar",
          "aten.div_.Scalar")
def lower_div(ctx, call):
    if call.arg(2, "rounding_mode", None) is not None:
        return None
    return lower_binary(ctx, call, "div")


@kernel("div", header="op_elementwise.h", inplace=True, inplace_inputs=(0, 1))
class Div:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_binary("div_f32", node, e)

    run = staticmethod(binary_run)


@kernel("div_scalar", header="op_elementwise.h", inplace=True)
class DivScalar:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_binary("div_scalar_f32", node, e)

    run = staticmethod(binary_run)


@int8_rule("div_scalar")
class DivScalarInt8:
    lower = staticmethod(lower_scalar_s8)
