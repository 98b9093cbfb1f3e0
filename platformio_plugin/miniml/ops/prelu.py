"""PReLU: one slope (a LeakyReLU, fusable) or one slope per channel (dim 1), slopes in flash."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node
from .activation import lower_pointwise
from .registry import LowerCtx, TensorArg, kernel, lowering


@lowering("aten.prelu.default", "aten._prelu_kernel.default")
def lower_prelu(ctx: LowerCtx, call):
    x, w = call.arg(0, "self"), call.arg(1, "weight")
    if not isinstance(x, TensorArg):
        return None
    slopes = ctx.const(w).reshape(-1)
    shape = [int(d) for d in ctx.shape(x)]
    if slopes.size == 1:
        return lower_pointwise(ctx, call, ("leaky_relu", float(slopes[0])))
    if len(shape) < 2 or shape[1] != slopes.size:
        return None
    inner = 1
    for d in shape[2:]:
        inner *= d
    params = {"weight": ctx.add_param(w.name, slopes)}
    return [ctx.add_node("prelu", (x.name,), params=params,
                         attrs={"channels": shape[1], "inner": inner})]


@kernel("prelu", header="op_elementwise.h", inplace=True)
class Prelu:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        return (f"miniml::prelu_f32<{e.mem(node)}>({e.t(node.inputs[0])}, {e.p(node, 'weight')}, "
                f"{e.t(node.outputs[0])}, {e.i(a['channels'])}, {e.i(a['inner'])});")

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        a = node.attrs
        x = ins[0].reshape(len(ins[0]), a["channels"], a["inner"])
        return np.where(x > 0, x, x * p["weight"].reshape(1, -1, 1))

