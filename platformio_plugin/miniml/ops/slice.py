"""slice of an activation (x[:, :, a:b:s], e.g. trimming a causal Conv1d's tail): a strided copy."""
from __future__ import annotations

from .permute import contiguous_strides, strided_copy
from .registry import AtenCall, LowerCtx, TensorArg, lowering


@lowering("aten.slice.Tensor", "aten.narrow.default")
def lower_slice(ctx: LowerCtx, call: AtenCall):
    x = call.arg(0, "self")
    if not isinstance(x, TensorArg):
        return None
    shape = [int(d) for d in ctx.shape(x)]
    dim = int(call.arg(1, "dim", 0)) % len(shape)
    if call.target.startswith("aten.narrow"):
        start, step = int(call.arg(2, "start")), 1
    else:
        start, step = call.arg(2, "start", None), int(call.arg(4, "step", 1))
        start = 0 if start is None else int(start)
    if start < 0:
        start += shape[dim]
    start = min(max(start, 0), shape[dim])
    out_shape = [int(d) for d in call.out_shape]
    if out_shape == shape:
        return [ctx.add_node("alias", (x.name,))]
    strides = contiguous_strides(shape)
    offset = start * strides[dim]
    strides[dim] *= step
    return strided_copy(ctx, x, out_shape, strides, offset)
