"""AdaptiveAvgPool1d/2d: global average ("global_avg_pool", also what reduce.py makes of a mean over
the trailing dims), or an AvgPool when the input size is a multiple of the output size."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import UnsupportedOpError
from ..ir import Node
from ._conv_common import expand
from ._int8_common import same_scale
from .registry import AtenCall, LowerCtx, TensorArg, backward_rule, int8_rule, kernel, lowering


def global_mean(ctx: LowerCtx, call: AtenCall, x: TensorArg, k: int):
    shape = ctx.shape(x)
    rows, size = 1, 1
    for d in shape[: len(shape) - k]:
        rows *= int(d)
    for d in shape[len(shape) - k :]:
        size *= int(d)
    return [ctx.add_node("global_avg_pool", (x.name,), attrs={"channels": rows, "size": size})]


def _adaptive(ctx: LowerCtx, call: AtenCall, dims: int):
    x = call.arg(0, "self")
    if not isinstance(x, TensorArg):
        return None
    out = expand(call.arg(1, "output_size"), dims)
    shape = ctx.shape(x)
    ins = [int(v) for v in shape[-dims:]]
    if all(o == 1 for o in out):
        return global_mean(ctx, call, x, dims)
    if any(i % o for i, o in zip(ins, out)):
        raise UnsupportedOpError(
            f"{ctx.where()}: AdaptiveAvgPool from {ins} to {out} (not a whole multiple); supported: "
            "output size 1 (global) or an input size divisible by the output size"
        )
    from ._pool_common import lower_pool

    k = [i // o for i, o in zip(ins, out)]
    return lower_pool(ctx, call, f"avg_pool{dims}d", dims, k, k, 0)


@lowering("aten.adaptive_avg_pool2d.default", "aten._adaptive_avg_pool2d.default")
def lower_adaptive_avg_pool2d(ctx, call):
    return _adaptive(ctx, call, 2)


@lowering("aten.adaptive_avg_pool1d.default")
def lower_adaptive_avg_pool1d(ctx, call):
    return _adaptive(ctx, call, 1)


@kernel("global_avg_pool", header="op_pool.h")
class GlobalAvgPool:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        return (f"miniml::global_avg_pool_f32({e.t(node.inputs[0])}, {e.t(node.outputs[0])}, "
                f"{e.i(a['channels'])}, {e.i(a['size'])});")

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        a = node.attrs
        return ins[0].reshape(len(ins[0]), a["channels"], a["size"]).astype(np.float64).mean(axis=2)


@backward_rule("global_avg_pool", header="train_backward.h")
class GlobalAvgPoolBackward:
    @staticmethod
    def emit(node: Node, b: Any) -> list:
        a = node.attrs
        return [f"miniml::global_avg_pool_backward_f32({b.gy}, {b.gx(0)}, {b.e.i(a['channels'])}, "
                f"{b.e.i(a['size'])});"]


@int8_rule("global_avg_pool")
class GlobalAvgPoolInt8:
    @staticmethod
    def lower(n: Node, ins, y: str, q: Any) -> list:
        """TFLM's AVERAGE_POOL_2D with one window over the whole row (avg_pool2d_s8)."""
        size = n.attrs["size"]
        attrs = dict(channels=n.attrs["channels"], in_size=(1, size), kernel=(1, size),
                     stride=(1, size), padding=(0, 0))
        return same_scale(q, n, ins, y, "avg_pool2d_s8", attrs)
