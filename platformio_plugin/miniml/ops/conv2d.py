"""Conv2d (any stride, padding incl. 'same', dilation, groups incl. depthwise), zero padding."""
from __future__ import annotations

from typing import Any

from ..ir import Graph, Node
from ._conv_common import conv_args, conv_macs, lower_conv
from .registry import kernel, lowering


@lowering("aten.conv2d.default", "aten.conv2d.padding")
def lower_conv2d(ctx, call):
    return lower_conv(ctx, call, 2, *conv_args(call))


@kernel("conv2d", header="op_conv.h", fuses_activation=True)
class Conv2d:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        fields = [a["in_channels"], *a["in_size"], a["out_channels"], *a["out_size"], *a["kernel"],
                  *a["stride"], *a["padding"], *a["dilation"], a["groups"]]
        p = ", ".join(e.i(v) for v in fields)
        return (
            f"miniml::conv2d_f32<{e.mem(node)}>({e.t(node.inputs[0])}, {e.p(node, 'weight')}, "
            f"{e.p(node, 'bias')}, {e.t(node.outputs[0])}, miniml::Conv2dParams{{{p}}}, "
            f"{e.act(node)});"
        )

    @staticmethod
    def macs(node: Node, g: Graph) -> int:
        return conv_macs(node.attrs)
