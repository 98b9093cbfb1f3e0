"""View-like ops (view, reshape, flatten, squeeze, unsqueeze...): "alias" nodes, removed by
passes/remove_aliases.py; the data of a contiguous batch-1 tensor does not move."""
from __future__ import annotations

from typing import Any

from ..ir import Node
from ._int8_common import same_scale
from .registry import AtenCall, LowerCtx, TensorArg, int8_rule, kernel, lowering


def lower_alias(ctx: LowerCtx, call: AtenCall):
    x = call.arg(0, "self", call.arg(0, "input"))
    if not isinstance(x, TensorArg):
        return None
    return [ctx.add_node("alias", (x.name,))]


lowering(
    "aten.view.default",
    "aten.reshape.default",
    "aten._unsafe_view.default",
    "aten.flatten.using_ints",
    "aten.unflatten.int",
    "aten.squeeze.dim",
    "aten.squeeze.dims",
    "aten.squeeze.default",
    "aten.unsqueeze.default",
    "aten.alias.default",
    "aten.contiguous.default",
    "aten.clone.default",
    "aten.detach.default",
    "aten.lift_fresh_copy.default",
    "aten.squeeze_.default",
    "aten.squeeze_.dim",
    "aten.squeeze_.dims",
    "aten.unsqueeze_.default",
    "aten.detach_.default",
)(lower_alias)


def _emit_copy(node: Node, e: Any) -> str:
    n = e.g.tensor(node.inputs[0]).numel
    return f"miniml::copy_f32({e.t(node.inputs[0])}, {e.t(node.outputs[0])}, {e.i(n)});"


def _identity(node: Node, ins, p):
    return ins[0]


@kernel("alias", header="op_elementwise.h")
class Alias:
    emit = staticmethod(_emit_copy)
    run = staticmethod(_identity)


@kernel("copy", header="op_elementwise.h")
class Copy:
    emit = staticmethod(_emit_copy)
    run = staticmethod(_identity)


@int8_rule("copy")
class CopyInt8:
    @staticmethod
    def lower(n: Node, ins, y: str, q) -> list:
        """An int8 copy at the input's scale (clamp_s8 over the full range)."""
        return same_scale(q, n, ins, y, "clamp_s8", {})
