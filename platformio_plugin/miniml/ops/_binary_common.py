"""Shared lowering of add/sub/mul/div: same shape, per-channel broadcast ([1,C,1..] against [1,C,...]),
a Python scalar, or a constant tensor (parameter/buffer of any shape that broadcasts to the activation,
run as the per-channel affine kernel). Anything else declines (the exporter names the node)."""
from __future__ import annotations

from typing import Any

from ..errors import UnsupportedOpError
from ..ir import Node
from .registry import AtenCall, ConstArg, LowerCtx, TensorArg


def _numel(shape: Any) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def lower_binary(ctx: LowerCtx, call: AtenCall, op: str):
    a, b = call.arg(0, "self"), call.arg(1, "other")
    if call.arg(2, "alpha", 1) != 1:
        return None
    if isinstance(a, TensorArg) and isinstance(b, (int, float)) and not isinstance(b, bool):
        if op == "sub":
            return [ctx.add_node("add_scalar", (a.name,), attrs={"value": -float(b)})]
        if op == "div":  # a division, not a multiply by 1/b: same rounding as torch
            return [ctx.add_node("div_scalar", (a.name,), attrs={"value": float(b)})]
        return [ctx.add_node(f"{op}_scalar", (a.name,), attrs={"value": float(b)})]
    if isinstance(a, ConstArg) or isinstance(b, ConstArg):
        return _lower_const_operand(ctx, call, op, a, b)
    if op in ("sub", "div") and not isinstance(b, TensorArg):
        return None
    if isinstance(b, TensorArg) and isinstance(a, (int, float)) and not isinstance(a, bool):
        return [ctx.add_node(f"{op}_scalar", (b.name,), attrs={"value": float(a)})]
    if not (isinstance(a, TensorArg) and isinstance(b, TensorArg)):
        return None
    sa, sb = tuple(ctx.shape(a)), tuple(ctx.shape(b))
    if sa == sb:
        return [ctx.add_node(op, (a.name, b.name), attrs={"size": _numel(sa)})]
    if _numel(sa) < _numel(sb) and op in ("add", "mul"):
        a, b, sa, sb = b, a, sb, sa
    if (
        len(sa) == len(sb) >= 3
        and sb[1] == sa[1]
        and all(d == 1 for d in sb[2:])
        and sb[0] == sa[0] == 1
        and op in ("add", "mul")
    ):
        return [ctx.add_node(f"{op}_channel", (a.name, b.name),
                             attrs={"outer": int(sa[1]), "inner": _numel(sa[2:])})]
    raise UnsupportedOpError(
        f"{ctx.where()}: {op} of shapes {list(sa)} and {list(sb)}; supported: equal shapes, a "
        "per-channel [1, C, 1, ...] operand, or a Python number"
    )


def _lower_const_operand(ctx: LowerCtx, call: AtenCall, op: str, a: Any, b: Any):
    """x (op) c or c (op) x with c a constant: out = x * scale + shift per broadcast block, the
    "batchnorm" per-channel affine (folded into a preceding conv/linear like a BatchNorm). x / c runs
    as x * (1 / c) and c / x as c * reciprocal(x): within one rounding of torch's division."""
    import numpy as np

    x, c, const_first = (b, a, True) if isinstance(a, ConstArg) else (a, b, False)
    if not isinstance(x, TensorArg):
        return None
    shape = tuple(int(d) for d in ctx.shape(x))
    value = np.asarray(ctx.const(c), dtype=np.float64)
    if tuple(call.out_shape) != shape or value.ndim > len(shape):
        raise UnsupportedOpError(
            f"{ctx.where()}: {op} of an activation {list(shape)} and a constant "
            f"{list(value.shape)} that broadcasts it to {list(call.out_shape)}; the constant must "
            "broadcast to the activation's shape"
        )
    full = np.broadcast_to(value, shape)
    lead = (1,) * (len(shape) - value.ndim) + value.shape
    k = len(shape)
    while k > 0 and lead[k - 1] == 1:
        k -= 1
    channels, inner = _numel(shape[:k]), _numel(shape[k:])
    per = full[(Ellipsis,) + (0,) * (len(shape) - k)].reshape(channels)
    one, zero = np.ones(channels), np.zeros(channels)
    x_name = x.name
    if op == "div" and const_first:
        x_name = ctx.add_temp("reciprocal", shape)
        ctx.add_node("activation", (x.name,), outputs=(x_name,), attrs={"act": ("reciprocal",)})
    scale, shift = {
        "add": (one, per),
        "sub": ((-one, per) if const_first else (one, -per)),
        "mul": (per, zero),
        "div": ((per, zero) if const_first else (1.0 / per, zero)),
    }[op]
    params = {"scale": ctx.add_param(f"{c.name}.scale", scale.astype(np.float32)),
              "shift": ctx.add_param(f"{c.name}.shift", shift.astype(np.float32))}
    return [ctx.add_node("batchnorm", (x_name,), params=params,
                         attrs={"channels": channels, "inner": inner})]


def emit_binary(fn: str, node: Node, e: Any) -> str:
    a = node.attrs
    x = e.t(node.inputs[0])
    y = node.outputs[0]
    if "value" in a:
        return f"miniml::{fn}({x}, {e.f(a['value'])}, {e.t(y)}, {e.i(e.g.tensor(y).numel)});"
    if "outer" in a:
        return (f"miniml::{fn}({x}, {e.t(node.inputs[1])}, {e.t(y)}, {e.i(a['outer'])}, "
                f"{e.i(a['inner'])});")
    return f"miniml::{fn}({x}, {e.t(node.inputs[1])}, {e.t(y)}, {e.i(a['size'])});"
