"""MaxPool2d: kernel, stride, padding (skipped, like torch's -inf), dilation, ceil_mode."""
from __future__ import annotations

from typing import Any

from ..ir import Node
from ._conv_pool_s8 import fused_conv, pool_fused_comment
from ._pool_common import (
    MaxPoolBackward,
    emit_pool,
    emit_pool_s8,
    lower_pool,
    lower_pool_s8,
    pool_run,
    pool_s8_run,
    refuse_pool,
)
from .registry import backward_rule, int8_rule, kernel, lowering


@lowering("aten.max_pool2d.default", "aten.max_pool2d_with_indices.default")
def lower_max_pool2d(ctx, call):
    # ceil_mode only changes the output size, which torch already computed (call.out_shape)
    return lower_pool(ctx, call, "max_pool2d", 2, call.arg(1, "kernel_size"),
                      call.arg(2, "stride", []), call.arg(3, "padding", 0), call.arg(4, "dilation", 1))


backward_rule("max_pool2d", header="train_backward.h")(MaxPoolBackward)


@kernel("max_pool2d", header="op_pool.h")
class MaxPool2d:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_pool("max_pool2d_f32", node, e)

    run = staticmethod(pool_run)


@int8_rule("max_pool2d")
class MaxPool2dInt8:
    lower = staticmethod(lower_pool_s8)
    refuse = staticmethod(refuse_pool)


@kernel("max_pool2d_s8", header="op_pool_s8.h")
class MaxPool2dS8:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        conv = fused_conv(node, e.g)
        return emit_pool_s8(node, e) if conv is None else pool_fused_comment(conv)

    run = staticmethod(pool_s8_run)
