"""Elementwise sub of equal shapes, or minus a Python number (lowered as add_scalar)."""
from __future__ import annotations

from typing import Any

from ..ir import Node
from ._binary_common import (
    binary_run,
    emit_binary,
    lower_binary,
    lower_binary_s8,
)
from .registry import int8_rule, kernel, lowering


@lowering("aten.sub.Tensor", "aten.sub_.Tensor", "aten.sub.Scalar", "aten.sub_.Scalar")
def lower_sub(ctx, call):
    return lower_binary(ctx, call, "sub")


@kernel("sub", header="op_elementwise.h", inplace=True, inplace_inputs=(0, 1))
class Sub:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_binary("sub_f32", node, e)

    run = staticmethod(binary_run)


@int8_rule("sub")
class SubInt8:
    lower = staticmethod(lower_binary_s8)
