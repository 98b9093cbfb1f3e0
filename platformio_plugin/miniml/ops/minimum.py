"""minimum/maximum of two tensors, and clamp/clamp_min/clamp_max with tensor bounds (maximum with the
lower bound, then minimum with the upper: torch's order). The other operand is an activation of the
same shape or a constant (parameter/buffer, broadcast to the activation's shape and kept in flash)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import UnsupportedOpError
from ..ir import DType, Node
from ..quant.params import quantize_s8
from ._int8_common import lut
from .activation import lower_pointwise
from .registry import AtenCall, ConstArg, LowerCtx, TensorArg, int8_rule, kernel, lowering


def _bound(ctx: LowerCtx, call: AtenCall, op: str, x: str, other: Any, out: str):
    shape = tuple(ctx.tensors[x].shape)
    if isinstance(other, TensorArg):
        if tuple(ctx.shape(other)) != shape:
            raise UnsupportedOpError(
                f"{ctx.where()}: {op} of shapes {list(shape)} and {list(ctx.shape(other))}; "
                "supported: equal shapes, or a constant (parameter/buffer) that broadcasts"
            )
        return ctx.add_node(op, (x, other.name), outputs=(out,))
    if isinstance(other, ConstArg):
        value = np.asarray(ctx.const(other), dtype=np.float32)
        try:
            full = np.ascontiguousarray(np.broadcast_to(value, shape))
        except ValueError:
            raise UnsupportedOpError(
                f"{ctx.where()}: {op} bound of shape {list(value.shape)} does not broadcast to "
                f"the activation {list(shape)}"
            ) from None
        pname = ctx.add_param(f"{other.name}.{op}", full.reshape(-1))
        return ctx.add_node(op, (x,), outputs=(out,), params={"other": pname})
    return None


def lower_bounds(ctx: LowerCtx, call: AtenCall, lo: Any, hi: Any):
    """x -> maximum(x, lo) -> minimum(., hi), skipping an absent bound."""
    x = call.arg(0, "self")
    if not isinstance(x, TensorArg) or (lo is None and hi is None):
        return None
    steps = [(op, v) for op, v in (("maximum", lo), ("minimum", hi)) if v is not None]
    if any(isinstance(v, (int, float)) for _, v in steps):
        return None
    nodes, cur = [], x.name
    for i, (op, v) in enumerate(steps):
        out = call.out if i == len(steps) - 1 else ctx.add_temp(op, ctx.tensors[cur].shape)
        node = _bound(ctx, call, op, cur, v, out)
        if node is None:
            return None
        nodes.append(node)
        cur = out
    return nodes


@lowering("aten.minimum.default")
def lower_minimum(ctx, call):
    return _two(ctx, call, "minimum")


@lowering("aten.maximum.default")
def lower_maximum(ctx, call):
    return _two(ctx, call, "maximum")


def _two(ctx: LowerCtx, call: AtenCall, op: str):
    a, b = call.arg(0, "self"), call.arg(1, "other")
    if isinstance(a, ConstArg):  # min/max commute
        a, b = b, a
    if not isinstance(a, TensorArg):
        return None
    if isinstance(b, TensorArg) and tuple(ctx.shape(b)) != tuple(ctx.shape(a)):
        return None
    node = _bound(ctx, call, op, a.name, b, call.out)
    return None if node is None else [node]


@lowering("aten.clamp.Tensor", "aten.clamp_.Tensor", "aten.clip.Tensor", "aten.clip_.Tensor")
def lower_clamp_tensor(ctx, call):
    return lower_bounds(ctx, call, call.arg(1, "min"), call.arg(2, "max"))


@lowering("aten.clamp_min.Tensor", "aten.clamp_min_.Tensor")
def lower_clamp_min_tensor(ctx, call):
    return lower_bounds(ctx, call, call.arg(1, "min"), None)


@lowering("aten.clamp_max.Tensor", "aten.clamp_max_.Tensor")
def lower_clamp_max_tensor(ctx, call):
    return lower_bounds(ctx, call, None, call.arg(1, "max"))


@lowering("aten.clamp_min.default", "aten.clamp_min_.default")
def lower_clamp_min(ctx, call):
    return lower_pointwise(ctx, call, ("clamp_min", float(call.arg(1, "min"))))


@lowering("aten.clamp_max.default", "aten.clamp_max_.default")
def lower_clamp_max(ctx, call):
    return lower_pointwise(ctx, call, ("clamp_max", float(call.arg(1, "max"))))


def _other(ins, p) -> np.ndarray:
    if "other" in p:
        return p["other"].reshape((1,) + ins[0].shape[1:])
    return ins[1]


def _emit(node: Node, e: Any) -> str:
    n = e.g.tensor(node.outputs[0]).numel
    if "other" in node.params:
        other, mem = e.p(node, "other"), e.mem(node, "other")
    else:
        other, mem = e.t(node.inputs[1]), "miniml::Ram"
    fn = node.op if node.op.endswith("_s8") else f"{node.op}_f32"
    return (f"miniml::{fn}<{mem}>({e.t(node.inputs[0])}, {other}, {e.t(node.outputs[0])}, "
            f"{e.i(n)});")


def _run(node: Node, ins, p) -> np.ndarray:
    fn = np.minimum if node.op.startswith("minimum") else np.maximum
    return fn(ins[0], _other(ins, p))


@kernel("minimum", header="op_elementwise.h", inplace=True, inplace_inputs=(0, 1))
class Minimum:
    emit = staticmethod(_emit)
    run = staticmethod(_run)


@kernel("maximum", header="op_elementwise.h", inplace=True, inplace_inputs=(0, 1))
class Maximum:
    emit = staticmethod(_emit)
    run = staticmethod(_run)


@int8_rule("minimum", "maximum")
class MinimumInt8:
    @staticmethod
    def lower(n: Node, ins, y: str, q: Any) -> list:
        """Everything at the output's scale (codes then compare as values do): an activation
        operand at another scale is requantised first (an identity table), a constant is quantised
        there, then minimum_s8 / maximum_s8 -- TFLM's MINIMUM/MAXIMUM after a requantize."""
        out = n.outputs[0]
        qy = q.qparams(out)
        nodes, moved = [], []
        for i, t in enumerate(ins):
            if q.q[t] == qy:
                moved.append(t)
                continue
            mid = f"{out}_at_out_scale{i}"
            nodes.append(lut(q, n, lambda v: v, "requantize", t, mid, out, f"{n.name}_rescale{i}"))
            moved.append(mid)
        q.s8(y, out, qy)
        params = {}
        if "other" in n.params:
            other = quantize_s8(q.g.params[n.params["other"]].data, qy.scale, qy.zero_point)
            params["other"] = q.param(n, "other", other, DType.S8)
        nodes.append(n.with_(op=f"{n.op}_s8", inputs=tuple(moved), outputs=(y,), params=params))
        return nodes


@kernel("minimum_s8", header="op_elementwise.h", inplace=True, inplace_inputs=(0, 1))
class MinimumS8:
    emit = staticmethod(_emit)
    run = staticmethod(_run)


@kernel("maximum_s8", header="op_elementwise.h", inplace=True, inplace_inputs=(0, 1))
class MaximumS8:
    emit = staticmethod(_emit)
    run = staticmethod(_run)
