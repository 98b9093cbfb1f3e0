"""Reductions over any dims, keepdim or not: mean, sum, amax, amin and the values of torch.max/min(x,
dim). A mean over the trailing dims is a global average pool (int8 has it); the rest is a "reduce"
node: up to 4 kept and 4 reduced dims after merging neighbours, read with strides, no copy.

int8: max/min keep the input's scale (TFLM REDUCE_MAX / REDUCE_MIN); sum and mean are TFLM's int8
SUM / MEAN: an int32 sum of the codes requantised once, 1 / count folded into the multiplier as TFLM
does it (op_reduce_s8.h)."""
from __future__ import annotations

from typing import Any, List, Tuple

import numpy as np

from ..errors import UnsupportedOpError
from ..ir import Node
from ..quant.fixedpoint import quantize_multiplier, requantize
from ..quant.params import f32
from ._int8_common import same_scale
from .adaptive_avg_pool import global_mean
from .permute import contiguous_strides
from .registry import AtenCall, LowerCtx, TensorArg, int8_rule, kernel, lowering


def _dims(call: AtenCall, n: int, index: int, name: str) -> List[int]:
    dims = call.arg(index, name)
    if dims is None:
        return list(range(n))
    dims = [dims] if isinstance(dims, int) else list(dims)
    return sorted({int(d) % n for d in dims}) or list(range(n))


def _runs(shape: List[int], reduced: List[int]) -> Tuple[List[Tuple[int, int]], List[Tuple[int, int]]]:
    """(size, stride) of the kept and of the reduced dims, size-1 dims dropped, neighbours of the same
    kind merged (their strides chain in a contiguous tensor)."""
    strides = contiguous_strides(shape)
    kept: List[Tuple[int, int]] = []
    red: List[Tuple[int, int]] = []
    last = None
    for d, (size, stride) in enumerate(zip(shape, strides)):
        if size == 1:
            continue
        group = red if d in reduced else kept
        if last is group and group:
            group[-1] = (group[-1][0] * size, stride)
        else:
            group.append((size, stride))
        last = group
    return kept, red


def lower_reduce(ctx: LowerCtx, call: AtenCall, kind: str, dims: List[int]):
    x = call.arg(0, "self")
    if not isinstance(x, TensorArg):
        return None
    shape = [int(d) for d in ctx.shape(x)]
    n = len(shape)
    if kind == "mean" and dims == list(range(n - len(dims), n)) and 0 not in dims:
        return global_mean(ctx, call, x, len(dims))
    if 0 in dims and shape[0] != 1:
        return None
    kept, red = _runs(shape, dims)
    if len(kept) > 4 or len(red) > 4:
        raise UnsupportedOpError(
            f"{ctx.where()}: {kind} over dims {dims} of shape {shape} needs more than 4 kept or 4 "
            "reduced dims after merging neighbours"
        )
    count = 1
    for size, _ in red:
        count *= size
    pad = lambda runs: [(1, 0)] * (4 - len(runs)) + runs  # noqa: E731
    attrs = {"kind": kind, "count": count,
             "out_shape": tuple(s for s, _ in pad(kept)), "out_strides": tuple(t for _, t in pad(kept)),
             "red_shape": tuple(s for s, _ in pad(red)), "red_strides": tuple(t for _, t in pad(red))}
    return [ctx.add_node("reduce", (x.name,), attrs=attrs)]


# aten target -> reduction. torch.max/min(x, dim) return (values, indices): the values lower here;
# the int64 indices are refused where used.
_KINDS = {"aten.mean.dim": "mean", "aten.sum.dim_IntList": "sum", "aten.amax.default": "max",
          "aten.amin.default": "min", "aten.max.dim": "max", "aten.min.dim": "min"}


@lowering(*_KINDS)
def lower_reduction(ctx, call):
    x = call.arg(0, "self")
    if not isinstance(x, TensorArg) or call.kwargs.get("dtype") is not None:
        return None
    return lower_reduce(ctx, call, _KINDS[call.target], _dims(call, len(ctx.shape(x)), 1, "dim"))


_FUNCTORS = {"sum": "ReduceSum()", "max": "ReduceMax()", "min": "ReduceMin()"}
_FUNCTORS_S8 = {"max": "ReduceMaxS8()", "min": "ReduceMinS8()"}


def _functor_s8(a: dict) -> str:
    if a["kind"] in _FUNCTORS_S8:
        return _FUNCTORS_S8[a["kind"]]
    return (f"ReduceSumS8({a['input_zero_point'] * a['count']}, {a['multiplier']}, {a['shift']}, "
            f"{a['output_zero_point']})")


def _emit_reduce(node: Node, e: Any) -> str:
    a = node.attrs
    arrs = ", ".join("{" + ", ".join(e.i(v) for v in a[k]) + "}"
                     for k in ("out_shape", "out_strides", "red_shape", "red_strides"))
    if node.op == "reduce_s8":
        fn, op = "reduce_s8", _functor_s8(a)
    else:
        fn = "reduce_f32"
        op = (f"ReduceMean({e.f(float(a['count']))})" if a["kind"] == "mean"
              else _FUNCTORS[a["kind"]])
    return (f"miniml::{fn}({e.t(node.inputs[0])}, {e.t(node.outputs[0])}, "
            f"miniml::ReduceParams{{{arrs}}}, miniml::{op});")


def _run_reduce(node: Node, ins, p) -> np.ndarray:
    a = node.attrs
    idx = np.zeros(tuple(a["out_shape"]) + tuple(a["red_shape"]), np.int64)
    for k, (size, stride) in enumerate(zip(a["out_shape"] + a["red_shape"],
                                           a["out_strides"] + a["red_strides"])):
        shape = [1] * 8
        shape[k] = size
        idx = idx + (np.arange(size) * stride).reshape(shape)
    x = ins[0].reshape(len(ins[0]), -1)[:, idx]
    axes = (5, 6, 7, 8)
    if a["kind"] in ("max", "min"):
        return x.max(axes) if a["kind"] == "max" else x.min(axes)
    if node.op == "reduce_s8":
        return reduce_sum_s8(x.astype(np.int64).sum(axes), a["count"], a["input_zero_point"],
                             a["multiplier"], a["shift"], a["output_zero_point"])
    total = x.astype(np.float64).sum(axes)
    return (total / a["count"] if a["kind"] == "mean" else total).astype(np.float32)


@kernel("reduce", header="op_reduce.h")
class Reduce:
    emit = staticmethod(_emit_reduce)
    run = staticmethod(_run_reduce)


def mean_multiplier(multiplier: int, shift: int, count: int) -> Tuple[int, int]:
    """TFLM QuantizedMeanOrSum's 1 / count folded into a multiplier: shift by floor(log2(count))
    (at most 32 and 31 + shift), divide the shifted multiplier by count, truncating."""
    k = min(count.bit_length() - 1, 32, 31 + shift)
    return (multiplier << k) // count, shift - k


def reduce_sum_s8(total, count, input_zero_point, multiplier, shift, output_zero_point):
    """Integer reference of int8 SUM / MEAN: total = the int64 sum of the codes of each output."""
    return requantize(np.asarray(total, np.int64) - input_zero_point * count, multiplier, shift,
                      output_zero_point)


@int8_rule("reduce")
class ReduceInt8:
    @staticmethod
    def lower(n: Node, ins, y: str, q: Any) -> list:
        """max/min: codes order as the values do, so the input's scale carries over. sum/mean: the
        output at its calibrated scale, TFLM's multiplier (in / out, double of float32 scales)."""
        if n.attrs["kind"] in ("max", "min"):
            return same_scale(q, n, ins, y, "reduce_s8", dict(n.attrs))
        qx, qy = q.q[ins[0]], q.qparams(n.outputs[0])
        q.s8(y, n.outputs[0], qy)
        m, s = quantize_multiplier(f32(qx.scale) / f32(qy.scale))
        if n.attrs["kind"] == "mean":
            m, s = mean_multiplier(m, s, int(n.attrs["count"]))
        attrs = {**n.attrs, "input_zero_point": qx.zero_point, "multiplier": m, "shift": s,
                 "output_zero_point": qy.zero_point}
        return [n.with_(op="reduce_s8", inputs=ins, outputs=(y,), params={}, attrs=attrs)]


@kernel("reduce_s8", header="op_reduce_s8.h")
class ReduceS8:
    emit = staticmethod(_emit_reduce)
    run = staticmethod(_run_reduce)
