"""Elementwise mul: equal shapes, per-channel broadcast or a scalar."""
from __future__ import annotations

from typing import Any

from ..ir import Node
from ._binary_common import (
    binary_run,
    emit_binary,
    emit_mul_s8,
    lower_binary,
    lower_binary_s8,
    lower_scalar_s8,
    mul_s8_run,
    output_macs,
)
from .registry import int8_rule, kernel, lowering


@lowering("aten.mul.Tensor", "aten.mul_.Tensor", "aten.mul.Scalar",
          "aten.mul_.Scalar")
def lower_mul(ctx, call):
    return lower_binary(ctx, call, "mul")


@kernel("mul", header="op_elementwise.h", inplace=True, inplace_inputs=(0, 1))
class Mul:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_binary("mul_f32", node, e)

    run = staticmethod(binary_run)


@kernel("mul_scalar", header="op_elementwise.h", inplace=True)
class MulScalar:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_binary("mul_scalar_f32", node, e)

    run = staticmethod(binary_run)


@kernel("mul_channel", header="op_elementwise.h", inplace=True)
class MulChannel:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_binary("mul_channel_f32", node, e)

    run = staticmethod(binary_run)


@int8_rule("mul", "mul_channel")
class MulInt8:
    lower = staticmethod(lower_binary_s8)


@int8_rule("mul_scalar")
class MulScalarInt8:
    lower = staticmethod(lower_scalar_s8)


@kernel("mul_s8", header="op_elementwise_s8.h")
class MulS8:
    emit = staticmethod(emit_mul_s8)
    run = staticmethod(mul_s8_run)
    macs = staticmethod(output_macs)


@kernel("mul_channel_s8", header="op_elementwise_s8.h")
class MulChannelS8:
    emit = staticmethod(emit_mul_s8)
    run = staticmethod(mul_s8_run)
    macs = staticmethod(output_macs)
