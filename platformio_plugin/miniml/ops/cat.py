"""Concat (torch.cat) along any dim, usually channels: one concat_part_f32 call per input."""
from __future__ import annotations

from typing import Any

from ..ir import Node
from .registry import AtenCall, LowerCtx, TensorArg, kernel, lowering


def _prod(v: Any) -> int:
    n = 1
    for d in v:
        n *= int(d)
    return n


@lowering("aten.cat.default", "aten.concat.default")
def lower_cat(ctx: LowerCtx, call: AtenCall):
    xs, dim = call.arg(0, "tensors"), call.arg(1, "dim", 0)
    if not xs or not all(isinstance(x, TensorArg) for x in xs):
        return None
    out = call.out_shape
    dim = int(dim) % len(out)
    parts = [_prod(ctx.shape(x)[dim:]) for x in xs]
    attrs = {"outer": _prod(out[:dim]), "parts": tuple(parts), "total": _prod(out[dim:])}
    return [ctx.add_node("concat", tuple(x.name for x in xs), attrs=attrs)]


@kernel("concat", header="op_elementwise.h")
class Concat:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        y = e.t(node.outputs[0])
        calls, offset = [], 0
        for x, part in zip(node.inputs, a["parts"]):
            calls.append(f"miniml::concat_part_f32({e.t(x)}, {y}, {e.i(a['outer'])}, {e.i(part)}, "
                         f"{e.i(a['total'])}, {e.i(offset)});")
            offset += part
        return "\n    ".join(calls)
