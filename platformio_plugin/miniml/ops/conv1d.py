"""Conv1d (any stride, padding incl. 'same', dilation, groups incl. depthwise), zero padding.

int8: TFLM's CONV_2D / DEPTHWISE_CONV_2D per output channel."""
from __future__ import annotations

from typing import Any

from ..ir import Graph, Node
from ._conv_common import (
    ConvBackward,
    ConvS8Backward,
    conv_args,
    conv_macs,
    conv_run,
    conv_s8_macs,
    conv_s8_run,
    emit_conv,
    emit_conv_s8,
    lower_conv,
)
from ._int8_common import lower_weighted
from .registry import backward_rule, int8_rule, kernel, lowering


@lowering("aten.conv1d.default", "aten.conv1d.padding")
def lower_conv1d(ctx, call):
    return lower_conv(ctx, call, 1, *conv_args(call))


@kernel("conv1d", header="op_conv.h", fuses_activation=True)
class Conv1d:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_conv(node, e, 1)

    run = staticmethod(conv_run)

    @staticmethod
    def macs(node: Node, g: Graph) -> int:
        return conv_macs(node.attrs)


# learn(): weight and bias may learn anywhere in the model (train_conv.h)
backward_rule("conv1d", header="train_conv.h", params=("weight", "bias"))(ConvBackward)


@int8_rule("conv1d")
class Conv1dInt8:
    @staticmethod
    def lower(n: Node, ins, y: str, q: Any) -> list:
        return lower_weighted(q, n, ins, y, "conv1d_s8")


# learn(): a frozen int8 conv after a learning layer (int8/mixed.py), through its dequantised weights
backward_rule("conv1d_s8", header="train_int8.h")(ConvS8Backward)


@kernel("conv1d_s8", header="op_conv_s8.h")
class Conv1dS8:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_conv_s8(node, e, 1)

    run = staticmethod(conv_s8_run)
    macs = staticmethod(conv_s8_macs)
