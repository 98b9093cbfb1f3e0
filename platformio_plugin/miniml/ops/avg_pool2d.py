"""AvgPool2d: kernel, stride, padding, ceil_mode, count_include_pad, divisor_override."""
from __future__ import annotations

from typing import Any

from ..ir import Node
from ._pool_common import (
    AvgPoolBackward,
    emit_pool,
    emit_pool_s8,
    lower_pool,
    lower_pool_s8,
    pool_run,
    pool_s8_run,
    refuse_pool,
)
from .registry import backward_rule, int8_rule, kernel, lowering


@lowering("aten.avg_pool2d.default")
def lower_avg_pool2d(ctx, call):
    # ceil_mode only changes the output size (call.out_shape); the kernel clips windows like torch
    return lower_pool(ctx, call, "avg_pool2d", 2, call.arg(1, "kernel_size"),
                      call.arg(2, "stride", []), call.arg(3, "padding", 0),
                      count_include_pad=call.arg(5, "count_include_pad", True),
                      divisor_override=call.arg(6, "divisor_override", None))


backward_rule("avg_pool2d", header="train_backward.h")(AvgPoolBackward)


@kernel("avg_pool2d", header="op_pool.h")
class AvgPool2d:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_pool("avg_pool2d_f32", node, e)

    run = staticmethod(pool_run)


@int8_rule("avg_pool2d")
class AvgPool2dInt8:
    lower = staticmethod(lower_pool_s8)
    refuse = staticmethod(refuse_pool)


@kernel("avg_pool2d_s8", header="op_pool_s8.h")
class AvgPool2dS8:
    emit = staticmethod(emit_pool_s8)
    run = staticmethod(pool_s8_run)
