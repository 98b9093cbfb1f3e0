"""Shared lowering of add/mul: same shape, per-channel broadcast ([1,C,1..] against [1,C,...]) or a
Python scalar. Anything else declines (the exporter names the node)."""
from __future__ import annotations

from typing import Any

from ..errors import UnsupportedOpError
from ..ir import Node
from .registry import AtenCall, LowerCtx, TensorArg


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
