"""Residual add: equal shapes, per-channel broadcast or a scalar."""
from __future__ import annotations

from typing import Any

from ..ir import Node
from ._binary_common import emit_binary, lower_binary
from .registry import kernel, lowering


@lowering("aten.add.Tensor", "aten.add_.Tensor", "aten.add.Scalar",
          "aten.add_.Scalar")
def lower_add(ctx, call):
    return lower_binary(ctx, call, "add")


@kernel("add", header="op_elementwise.h", inplace=True, inplace_inputs=(0, 1))
class Add:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_binary("add_f32", node, e)


@kernel("add_scalar", header="op_elementwise.h", inplace=True)
class AddScalar:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_binary("add_scalar_f32", node, e)


@kernel("add_channel", header="op_elementwise.h", inplace=True)
class AddChannel:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_binary("add_channel_f32", node, e)
