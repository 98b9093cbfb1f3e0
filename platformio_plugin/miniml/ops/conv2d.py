"""Conv2d (any stride, padding incl. 'same', dilation, groups incl. depthwise), zero padding.

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
from ._conv_pool_s8 import emit_conv_pool_s8, fused_pool
from ._int8_common import lower_weighted
from .registry import backward_rule, int8_rule, kernel, lowering


@lowering("aten.conv2d.default", "aten.conv2d.padding")
def lower_conv2d(ctx, call):
    return lower_conv(ctx, call, 2, *conv_args(call))


@kernel("conv2d", header="op_conv.h", fuses_activation=True)
class Conv2d:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_conv(node, e, 2)

    run = staticmethod(conv_run)

    @staticmethod
    def macs(node: Node, g: Graph) -> int:
        return conv_macs(node.attrs)


# learn(): weight and bias may learn anywhere in the model (train_conv.h)
backward_rule("conv2d", header="train_conv.h", params=("weight", "bias"))(ConvBackward)


@int8_rule("conv2d")
class Conv2dInt8:
    @staticmethod
    def lower(n: Node, ins, y: str, q: Any) -> list:
        return lower_weighted(q, n, ins, y, "conv2d_s8")


# learn(): a frozen int8 conv after a learning layer (int8/mixed.py), through its dequantised weights
backward_rule("conv2d_s8", header="train_int8.h")(ConvS8Backward)


@kernel("conv2d_s8", header="op_conv_s8_gemm.h")
class Conv2dS8:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        pool = fused_pool(node, e.g)
        return emit_conv_s8(node, e, 2) if pool is None else emit_conv_pool_s8(node, pool, e)

    run = staticmethod(conv_s8_run)
    macs = staticmethod(conv_s8_macs)
