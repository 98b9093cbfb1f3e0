"""Softmax over the last dimension (max-subtracted)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import UnsupportedOpError
from ..ir import Node
from .registry import AtenCall, LowerCtx, TensorArg, kernel, lowering


def lower_last_dim(ctx: LowerCtx, call: AtenCall, op: str):
    x, dim = call.arg(0, "self"), int(call.arg(1, "dim"))
    if not isinstance(x, TensorArg):
        return None
    shape = ctx.shape(x)
    if dim not in (-1, len(shape) - 1):
        raise UnsupportedOpError(
            f"{ctx.where()}: {op} over dim {dim} of a {len(shape)}-D tensor; only the last dim "
            "(dim=-1) is supported: permute so the classes are last"
        )
    if call.target.startswith("aten._") and call.arg(2, "half_to_float", False):
        return None
    cols = int(shape[-1])
    rows = 1
    for d in shape[:-1]:
        rows *= int(d)
    return [ctx.add_node(op, (x.name,), attrs={"rows": rows, "cols": cols})]


def last_dim_run(node: Node, ins, p) -> np.ndarray:
    """softmax / log_softmax over rows of cols, max-subtracted (float64: ranges and float tails)."""
    a = node.attrs
    z = ins[0].reshape(len(ins[0]), a["rows"], a["cols"]).astype(np.float64)
    z = z - z.max(axis=2, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=2, keepdims=True))
    return np.exp(z - lse) if node.op == "softmax" else z - lse


@lowering("aten.softmax.int", "aten._softmax.default")
def lower_softmax(ctx, call):
    return lower_last_dim(ctx, call, "softmax")


@kernel("softmax", header="op_softmax.h", inplace=True)
class Softmax:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        return (f"miniml::softmax_f32({e.t(node.inputs[0])}, {e.t(node.outputs[0])}, "
                f"{e.i(a['rows'])}, {e.i(a['cols'])});")

    run = staticmethod(last_dim_run)
