"""Conv2d (any stride, padding incl. 'same', dilation, groups incl. depthwise), zero padding."""
from __future__ import annotations

from typing import Any

from ..ir import Graph, Node
from ._conv_common import conv_args, conv_macs, emit_conv, lower_conv
from .registry import kernel, lowering


@lowering("aten.conv2d.default", "aten.conv2d.padding")
def lower_conv2d(ctx, call):
    return lower_conv(ctx, call, 2, *conv_args(call))


@kernel("conv2d", header="op_conv.h", fuses_activation=True)
class Conv2d:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_conv(node, e, 2)

    @staticmethod
    def macs(node: Node, g: Graph) -> int:
        return conv_macs(node.attrs)
