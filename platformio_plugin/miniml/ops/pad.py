"""Constant padding of an activation (F.pad(x, pads, value=v), e.g. causal padding before a Conv1d);
reflect/replicate/circular are refused.

int8: the same copy at the input's scale and zero point (TFLM PAD / PADV2), the value as its code; a
value the input's range cannot hold exactly is refused by name."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..errors import UnsupportedOpError
from ..ir import Node
from ..quant.params import dequantize_s8, quantize_s8
from ._int8_common import same_scale
from .registry import AtenCall, LowerCtx, TensorArg, int8_rule, kernel, lowering


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


def _emit_pad(node: Node, e: Any) -> str:
    a = node.attrs
    arrs = ", ".join("{" + ", ".join(e.i(v) for v in a[k]) + "}"
                     for k in ("in_shape", "out_shape", "before"))
    args = f"{e.t(node.inputs[0])}, {e.t(node.outputs[0])}, miniml::PadParams{{{arrs}}}"
    if node.op == "pad_s8":
        return f"miniml::pad_s8({args}, {a['value_code']});"
    return f"miniml::pad_f32({args}, {e.f(a['value'])});"


def _run_pad(node: Node, ins, p) -> np.ndarray:
    """Float and int8 alike: the input at `before` inside the output, the rest the value."""
    a = node.attrs
    n = len(ins[0])
    fill = a["value_code"] if node.op == "pad_s8" else a["value"]
    y = np.full((n,) + tuple(a["out_shape"]), fill, ins[0].dtype)
    where = (slice(None),) + tuple(slice(b, b + s) for b, s in zip(a["before"], a["in_shape"]))
    y[where] = ins[0].reshape((n,) + tuple(a["in_shape"]))
    return y


@kernel("pad", header="op_layout.h")
class Pad:
    emit = staticmethod(_emit_pad)
    run = staticmethod(_run_pad)


def _value_code(value: float, q: Any) -> Optional[int]:
    """The int8 code of the pad value at the tensor's parameters, or None if it is not exact."""
    code = quantize_s8(np.float32(value), q.scale, q.zero_point)
    return int(code) if dequantize_s8(code, q.scale, q.zero_point) == np.float32(value) else None


@int8_rule("pad")
class PadInt8:
    @staticmethod
    def lower(n: Node, ins, y: str, q: Any) -> list:
        code = _value_code(n.attrs["value"], q.q[ins[0]])
        if code is None:
            raise UnsupportedOpError(
                f"{q.where(n)}: int8 padding with {n.attrs['value']:g}, which the input's int8 "
                "range does not hold exactly; pad with 0 or export in float (quantize=None)"
            )
        return same_scale(q, n, ins, y, "pad_s8", {**n.attrs, "value_code": code})


@kernel("pad_s8", header="op_layout.h")
class PadS8:
    emit = staticmethod(_emit_pad)
    run = staticmethod(_run_pad)
