"""Elementwise mul: equal shapes, per-channel broadcast or a scalar."""
from __future__ import annotations

from typing import Any

from ..ir import Node
from ._binary_common import emit_binary, lower_binary
from .registry import kernel, lowering


@lowering("aten.mul.Tensor", "aten.mul_.Tensor", "aten.mul.Scalar",
          "aten.mul_.Scalar")
def lower_mul(ctx, call):
    return lower_binary(ctx, call, "mul")


@kernel("mul", header="op_elementwise.h", inplace=True, inplace_inputs=(0, 1))
class Mul:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_binary("mul_f32", node, e)


@kernel("mul_scalar", header="op_elementwise.h", inplace=True)
class MulScalar:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_binary("mul_scalar_f32", node, e)


@kernel("mul_channel", header="op_elementwise.h", inplace=True)
class MulChannel:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_binary("mul_channel_f32", node, e)
