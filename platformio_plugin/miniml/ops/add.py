"""Residual add: equal shapes, per-channel broadcast or a scalar."""
from __future__ import annotations

from typing import Any

from ..ir import Node
from ._binary_common import (
    add_s8_run,
    binary_run,
    emit_add_s8,
    emit_binary,
    lower_binary,
    lower_binary_s8,
    lower_scalar_s8,
)
from .registry import backward_rule, int8_rule, kernel, lowering


@lowering("aten.add.Tensor", "aten.add_.Tensor", "aten.add.Scalar",
          "aten.add_.Scalar")
def lower_add(ctx, call):
    return lower_binary(ctx, call, "add")


@kernel("add", header="op_elementwise.h", inplace=True, inplace_inputs=(0, 1))
class Add:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_binary("add_f32", node, e)

    run = staticmethod(binary_run)


@kernel("add_scalar", header="op_elementwise.h", inplace=True)
class AddScalar:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_binary("add_scalar_f32", node, e)

    run = staticmethod(binary_run)


@kernel("add_channel", header="op_elementwise.h", inplace=True)
class AddChannel:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_binary("add_channel_f32", node, e)

    run = staticmethod(binary_run)


@backward_rule("add", "add_scalar", header="train_backward.h")
class AddBackward:
    """Residual add (and + constant): each addend that needs it takes the output's gradient."""

    @staticmethod
    def emit(node: Node, b: Any) -> list:
        n = b.e.i(b.e.g.tensor(node.outputs[0]).numel)
        return [f"miniml::add_backward_f32({b.gy}, {b.gx(i)}, {n});"
                for i in range(len(node.inputs)) if b.gx(i) is not None]


@int8_rule("add", "add_channel")
class AddInt8:
    lower = staticmethod(lower_binary_s8)


@int8_rule("add_scalar")
class AddScalarInt8:
    lower = staticmethod(lower_scalar_s8)


@kernel("add_s8", header="op_elementwise_s8.h")
class AddS8:
    emit = staticmethod(emit_add_s8)
    run = staticmethod(add_s8_run)


@kernel("add_channel_s8", header="op_elementwise_s8.h")
class AddChannelS8:
    emit = staticmethod(emit_add_s8)
    run = staticmethod(add_s8_run)
