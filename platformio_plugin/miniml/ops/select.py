"""select of an activation (x[:, 0], x[:, :, -1]: e.g. the last time step): a strided copy."""
from __future__ import annotations

from .permute import contiguous_strides, strided_copy
from .registry import AtenCall, LowerCtx, TensorArg, lowering


@lowering("aten.select.int")
def lower_select(ctx: LowerCtx, call: AtenCall):
    x = call.arg(0, "self")
    if not isinstance(x, TensorArg):
        return None
    shape = [int(d) for d in ctx.shape(x)]
    dim = int(call.arg(1, "dim")) % len(shape)
    index = int(call.arg(2, "index"))
    if index < 0:
        index += shape[dim]
    strides = contiguous_strides(shape)
    offset = index * strides[dim]
    del strides[dim]
    return strided_copy(ctx, x, [int(d) for d in call.out_shape], strides, offset)
