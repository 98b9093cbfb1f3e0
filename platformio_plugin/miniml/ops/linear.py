"""Linear (nn.Linear, aten.linear): y = x W^T + b, weight [out_features][in_features] as torch."""
from __future__ import annotations

from typing import Any

from ..ir import Graph, Node
from .registry import AtenCall, LowerCtx, TensorArg, kernel, lowering


@lowering("aten.linear.default")
def lower_linear(ctx: LowerCtx, call: AtenCall):
    x, w, b = call.arg(0, "input"), call.arg(1, "weight"), call.arg(2, "bias")
    if not isinstance(x, TensorArg):
        return None
    shape = ctx.shape(x)
    weight = ctx.const(w)
    rows = 1
    for d in shape[:-1]:
        rows *= d
    params = {"weight": ctx.add_param(w.name, weight)}
    if b is not None:
        params["bias"] = ctx.add_param(b.name, ctx.const(b))
    attrs = {"in_features": int(weight.shape[1]), "out_features": int(weight.shape[0]), "act": None,
             "rows": rows}
    return [ctx.add_node("linear", (x.name,), params=params, attrs=attrs)]


@kernel("linear", header="op_linear.h", fuses_activation=True)
class Linear:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        if a.get("rows", 1) != 1:  # e.g. [1, T, F]: the same Linear on each of T rows
            return (
                f"miniml::linear_rows_f32<{e.mem(node, 'weight')}>({e.t(node.inputs[0])}, "
                f"{e.p(node, 'weight')}, {e.p(node, 'bias')}, {e.t(node.outputs[0])}, "
                f"{e.i(a['rows'])}, {e.i(a['in_features'])}, {e.i(a['out_features'])}, "
                f"{e.act(node)});"
            )
        mem = e.mem(node, "weight")
        if "bias" in node.params and e.mem(node, "bias") != mem:  # bias-only training: bias in RAM
            mem += f", {e.mem(node, 'bias')}"
        return (
            f"miniml::linear_f32<{mem}>({e.t(node.inputs[0])}, "
            f"{e.p(node, 'weight')}, {e.p(node, 'bias')}, {e.t(node.outputs[0])}, "
            f"{e.i(a['in_features'])}, {e.i(a['out_features'])}, {e.act(node)});"
        )

    @staticmethod
    def macs(node: Node, g: Graph) -> int:
        a = node.attrs
        return int(a.get("rows", 1)) * int(a["in_features"]) * int(a["out_features"])
