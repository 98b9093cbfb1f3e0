"""Dtype conversions that change nothing in MiniML's float graph (x.float() of a float tensor, or of
one_hot's exact 0/1 values) and torch's metadata assertions: aliases or nothing."""
from __future__ import annotations

from ..ir import DType
from .registry import AtenCall, LowerCtx, TensorArg, lowering
from .view import lower_alias


@lowering("aten.to.dtype", "aten._to_copy.default", "aten.to.dtype_layout",
          "aten._to_dim_order_copy.default")
def lower_to(ctx: LowerCtx, call: AtenCall):
    x = call.arg(0, "self")
    positional = call.args[1] if call.target == "aten.to.dtype" and len(call.args) > 1 else None
    dtype = call.kwargs.get("dtype", positional)
    if not isinstance(x, TensorArg) or ctx.tensors[x.name].dtype is not DType.F32:
        return None
    if dtype is not None and str(dtype) != "torch.float32":
        return None
    return lower_alias(ctx, call)


@lowering("aten._assert_tensor_metadata.default")
def lower_assert_metadata(ctx: LowerCtx, call: AtenCall):
    return []
