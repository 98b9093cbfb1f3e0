"""minimum/maximum of two tensors, and clamp/clamp_min/clamp_max with tensor bounds (maximum with the
lower bound, then minimum with the upper: torch's order). The other operand is an activation of the
same shape or a constant (parameter/buffer, broadcast to the activation's shape and kept in flash)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import UnsupportedOpError
from ..ir import Node
from .activation import lower_pointwise
from .registry import AtenCall, ConstArg, LowerCtx, TensorArg, kernel, lowering


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


def _emit(fn: str, node: Node, e: Any) -> str:
    n = e.g.tensor(node.outputs[0]).numel
    if "other" in node.params:
        other, mem = e.p(node, "other"), e.mem(node, "other")
    else:
        other, mem = e.t(node.inputs[1]), "miniml::Ram"
    return (f"miniml::{fn}<{mem}>({e.t(node.inputs[0])}, {other}, {e.t(node.outputs[0])}, "
            f"{e.i(n)});")


@kernel("minimum", header="op_elementwise.h", inplace=True, inplace_inputs=(0, 1))
class Minimum:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return _emit("minimum_f32", node, e)

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        return np.minimum(ins[0], _other(ins, p))


@kernel("maximum", header="op_elementwise.h", inplace=True, inplace_inputs=(0, 1))
class Maximum:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return _emit("maximum_f32", node, e)

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        return np.maximum(ins[0], _other(ins, p))
