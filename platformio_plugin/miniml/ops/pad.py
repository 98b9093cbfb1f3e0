"""Constant padding of an activation (F.pad(x, pads, value=v), e.g. causal padding before a Conv1d);
reflect/replicate/circular are refused."""
from __future__ import annotations

from typing import Any

from ..errors import UnsupportedOpError
from ..ir import Node
from .registry import AtenCall, LowerCtx, TensorArg, kernel, lowering


def _pad(ctx: LowerCtx, call: AtenCall, pads: Any, value: float):
    x = call.arg(0, "self", call.arg(0, "input"))
    if not isinstance(x, TensorArg):
        return None
    shape = [int(d) for d in ctx.shape(x)]
    n = len(shape)
    pads = [int(p) for p in pads]
    if n > 4 or len(pads) % 2 or len(pads) // 2 > n:
        return None
    if any(p < 0 for p in pads):
        raise UnsupportedOpError(f"{ctx.where()}: negative padding (cropping) is not supported")
    before = [0] * n
    out = list(shape)
    for k in range(len(pads) // 2):  # torch lists pads from the last dim backwards
        dim = n - 1 - k
        before[dim] = pads[2 * k]
        out[dim] += pads[2 * k] + pads[2 * k + 1]
    lead = [1] * (4 - n)
    attrs = {"in_shape": tuple(lead + shape), "out_shape": tuple(lead + out),
             "before": tuple([0] * (4 - n) + before), "value": float(value)}
    return [ctx.add_node("pad", (x.name,), attrs=attrs)]


@lowering("aten.constant_pad_nd.default")
def lower_constant_pad_nd(ctx: LowerCtx, call: AtenCall):
    return _pad(ctx, call, call.arg(1, "pad"), float(call.arg(2, "value", 0.0)))


@lowering("aten.pad.default")
def lower_pad(ctx: LowerCtx, call: AtenCall):
    mode = call.arg(2, "mode", "constant")
    if mode != "constant":
        raise UnsupportedOpError(
            f"{ctx.where()}: padding mode {mode!r}; only constant (zero) padding is supported"
        )
    value = call.arg(3, "value", None)
    return _pad(ctx, call, call.arg(1, "pad"), float(value or 0.0))


@kernel("pad", header="op_layout.h")
class Pad:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        arrs = ", ".join("{" + ", ".join(e.i(v) for v in a[k]) + "}"
                         for k in ("in_shape", "out_shape", "before"))
        return (f"miniml::pad_f32({e.t(node.inputs[0])}, {e.t(node.outputs[0])}, "
                f"miniml::PadParams{{{arrs}}}, {e.f(a['value'])});")
