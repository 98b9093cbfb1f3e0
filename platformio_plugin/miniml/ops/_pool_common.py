"""Shared parsing and emission for the pool files (max_pool1d/2d, avg_pool1d/2d, adaptive pools)."""
from __future__ import annotations

from typing import Any, List

from ..errors import UnsupportedOpError
from ._conv_common import expand
from .registry import AtenCall, LowerCtx, TensorArg


def lower_pool(ctx: LowerCtx, call: AtenCall, op: str, dims: int, kernel: Any, stride: Any,
               padding: Any, dilation: Any = 1, count_include_pad: bool = True,
               divisor_override: Any = None):
    x = call.arg(0, "self")
    if not isinstance(x, TensorArg):
        return None
    k = expand(kernel, dims)
    s = expand(stride, dims) if stride not in (None, [], ()) else list(k)
    p = expand(padding, dims)
    d = expand(dilation, dims)
    shape, out = ctx.shape(x), call.out_shape
    if len(shape) != dims + 2:
        raise UnsupportedOpError(f"{ctx.where()}: pool input of shape {list(shape)} (need batch 1)")
    channels = 1
    for v in shape[:-dims]:
        channels *= int(v)
    in_size: List[int] = [int(v) for v in shape[-dims:]]
    out_size: List[int] = [int(v) for v in out[-dims:]]
    if dims == 1:
        k, s, p, d, in_size, out_size = [1] + k, [1] + s, [0] + p, [1] + d, [1] + in_size, [1] + out_size
    attrs = {
        "channels": channels,
        "in_size": tuple(in_size),
        "out_size": tuple(out_size),
        "kernel": tuple(k),
        "stride": tuple(s),
        "padding": tuple(p),
        "dilation": tuple(d),
        "count_include_pad": bool(count_include_pad),
        "divisor_override": int(divisor_override or 0),
    }
    return [ctx.add_node(op, (x.name,), attrs=attrs)]


def emit_pool(fn: str, node: Any, e: Any) -> str:
    a = node.attrs
    fields = [a["channels"], *a["in_size"], *a["out_size"], *a["kernel"], *a["stride"],
              *a["padding"], *a["dilation"]]
    p = ", ".join(e.i(v) for v in fields)
    cip = "true" if a["count_include_pad"] else "false"
    return (f"miniml::{fn}({e.t(node.inputs[0])}, {e.t(node.outputs[0])}, "
            f"miniml::Pool2dParams{{{p}, {cip}, {e.i(a['divisor_override'])}}});")
