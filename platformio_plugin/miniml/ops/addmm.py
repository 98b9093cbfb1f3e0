"""addmm / mm with a constant right operand: the decomposed form of Linear (x @ W^T + b)."""
from __future__ import annotations

import numpy as np

from .registry import AtenCall, LowerCtx, TensorArg, lowering


def _linear(ctx: LowerCtx, call: AtenCall, x, w_t, bias):
    if not isinstance(x, TensorArg) or len(ctx.shape(x)) != 2:
        return None
    mat = ctx.const(w_t)
    if mat.ndim != 2:
        return None
    weight = np.ascontiguousarray(mat.T).astype(np.float32)  # [out][in], torch's Linear layout
    params = {"weight": ctx.add_param(w_t.name, weight)}
    if bias is not None:
        b = ctx.const(bias)
        if b.ndim != 1 or b.shape[0] != weight.shape[0]:
            return None
        params["bias"] = ctx.add_param(bias.name, b.astype(np.float32))
    attrs = {"in_features": int(weight.shape[1]), "out_features": int(weight.shape[0]),
             "act": None, "rows": int(ctx.shape(x)[0])}
    return [ctx.add_node("linear", (x.name,), params=params, attrs=attrs)]


@lowering("aten.addmm.default", "aten.addmm_.default")
def lower_addmm(ctx: LowerCtx, call: AtenCall):
    if call.arg(3, "beta", 1) != 1 or call.arg(4, "alpha", 1) != 1:
        return None
    return _linear(ctx, call, call.arg(1, "mat1"), call.arg(2, "mat2"), call.arg(0, "self"))


@lowering("aten.mm.default")
def lower_mm(ctx: LowerCtx, call: AtenCall):
    return _linear(ctx, call, call.arg(0, "self"), call.arg(1, "mat2"), None)
