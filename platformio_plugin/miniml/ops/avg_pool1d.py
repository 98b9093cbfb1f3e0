"""AvgPool1d: kernel, stride, padding, ceil_mode, count_include_pad."""
from __future__ import annotations

from typing import Any

from ..ir import Node
from ._pool_common import AvgPoolBackward, emit_pool, lower_pool, lower_pool_s8, pool_run, refuse_pool
from .registry import backward_rule, int8_rule, kernel, lowering


@lowering("aten.avg_pool1d.default")
def lower_avg_pool1d(ctx, call):
    # ceil_mode only changes the output size (call.out_shape); the kernel clips windows like torch
    return lower_pool(ctx, call, "avg_pool1d", 1, call.arg(1, "kernel_size"),
                      call.arg(2, "stride", []), call.arg(3, "padding", 0),
                      count_include_pad=call.arg(5, "count_include_pad", True),
                      divisor_override=None)


backward_rule("avg_pool1d", header="train_backward.h")(AvgPoolBackward)


@kernel("avg_pool1d", header="op_pool.h")
class AvgPool1d:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_pool("avg_pool2d_f32", node, e)

    run = staticmethod(pool_run)


@int8_rule("avg_pool1d")
class AvgPool1dInt8:
    lower = staticmethod(lower_pool_s8)
    refuse = staticmethod(refuse_pool)
