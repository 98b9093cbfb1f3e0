"""ConvTranspose1d/2d (stride, padding, output_padding, dilation, groups) as a plain convolution: the
input spread out with stride - 1 zeros between samples ("zero_insert", skipped for stride 1), then a
stride-1 conv with the kernel flipped and its in/out channel axes swapped per group. Zeros add
exact zeros to the sums, so the float result is the transposed convolution's, and the conv (float
and int8) kernels serve unchanged."""
from __future__ import annotations

from typing import Any, List

import numpy as np

from ..ir import Node
from ._conv_common import expand
from ._int8_common import same_scale
from .registry import AtenCall, LowerCtx, TensorArg, int8_rule, kernel, lowering


def conv_weight(weight: np.ndarray, groups: int) -> np.ndarray:
    """[in, out/groups, *k] transposed-conv weight -> the equivalent conv's [out, in/groups, *k]."""
    in_g = weight.shape[0] // groups
    parts = []
    for g in range(groups):
        w = weight[g * in_g:(g + 1) * in_g]
        parts.append(np.swapaxes(w, 0, 1))
    flipped = np.concatenate(parts, axis=0)
    for ax in range(2, weight.ndim):
        flipped = np.flip(flipped, axis=ax)
    return np.ascontiguousarray(flipped, dtype=np.float32)


def lower_conv_transpose(ctx: LowerCtx, call: AtenCall, dims: int, stride: Any, padding: Any,
                         output_padding: Any, groups: int, dilation: Any):
    x, w, b = call.arg(0, "input"), call.arg(1, "weight"), call.arg(2, "bias")
    if not isinstance(x, TensorArg) or isinstance(padding, str):
        return None
    weight = ctx.const(w)
    in_shape = [int(d) for d in ctx.shape(x)]
    if weight.ndim != dims + 2 or len(in_shape) != dims + 2:
        return None
    kernel_ = [int(k) for k in weight.shape[2:]]
    stride, pad = expand(stride, dims), expand(padding, dims)
    dil = expand(dilation, dims)
    in_size, out_size = in_shape[2:], [int(d) for d in call.out_shape[2:]]
    # where input sample 0 lands in the stride-1 conv's input: d * (k - 1) - padding
    offset = [d * (k - 1) - p for d, k, p in zip(dil, kernel_, pad)]
    src = x.name
    if any(s > 1 for s in stride) or any(o < 0 for o in offset):
        crop = any(o < 0 for o in offset)
        spread = [(n - 1) * s + 1 for n, s in zip(in_size, stride)]
        # with cropping the spread input carries the padding itself (conv padding 0)
        z_size = [o + d * (k - 1) for o, d, k in zip(out_size, dil, kernel_)] if crop else spread
        z_off = offset if crop else [0] * dims
        offset = [0] * dims if crop else offset
        src = ctx.add_temp("spread", [1, in_shape[1], *z_size])
        ctx.add_node("zero_insert", (x.name,), outputs=(src,), attrs={
            "channels": in_shape[1], "in_size": _hw(in_size), "out_size": _hw(z_size),
            "stride": _hw(stride, 1), "offset": _hw(z_off, 0)})
    params = {"weight": ctx.add_param(w.name, conv_weight(weight, groups))}
    if b is not None:
        params["bias"] = ctx.add_param(b.name, ctx.const(b))
    attrs = {
        "in_channels": in_shape[1],
        "out_channels": int(weight.shape[1]) * groups,
        "in_size": tuple(int(s) for s in ctx.tensors[src].shape[2:]),
        "out_size": tuple(out_size),
        "kernel": tuple(kernel_),
        "stride": (1,) * dims,
        "padding": tuple(offset),
        "dilation": tuple(dil),
        "groups": groups,
        "act": None,
    }
    return [ctx.add_node("conv2d" if dims == 2 else "conv1d", (src,), params=params, attrs=attrs)]


def _hw(v: List[int], fill: int = 1) -> tuple:
    """A 1-D size as (1, L) so one 2-D kernel serves both."""
    return tuple([fill] * (2 - len(v)) + [int(s) for s in v])


@lowering("aten.conv_transpose1d.default")
def lower_conv_transpose1d(ctx, call):
    return _lower_aten(ctx, call, 1)


@lowering("aten.conv_transpose2d.input")
def lower_conv_transpose2d(ctx, call):
    return _lower_aten(ctx, call, 2)


def _lower_aten(ctx: LowerCtx, call: AtenCall, dims: int):
    return lower_conv_transpose(
        ctx, call, dims, call.arg(3, "stride", 1), call.arg(4, "padding", 0),
        call.arg(5, "output_padding", 0), int(call.arg(6, "groups", 1)), call.arg(7, "dilation", 1))


def _emit_zero_insert(node: Node, e: Any) -> str:
    a = node.attrs
    fields = [a["channels"], *a["in_size"], *a["out_size"], *a["stride"]]
    p = ", ".join(e.i(v) for v in fields) + ", " + ", ".join(str(int(v)) for v in a["offset"])
    args = f"{e.t(node.inputs[0])}, {e.t(node.outputs[0])}, miniml::ZeroInsertParams{{{p}}}"
    if "zero_point" in a:
        return f"miniml::zero_insert_s8({args}, {int(a['zero_point'])});"
    return f"miniml::zero_insert_f32({args});"


def _run_zero_insert(node: Node, ins, p) -> np.ndarray:
    """The spread input: float zeros, or the zero point of the int8 tensor."""
    a = node.attrs
    n = len(ins[0])
    x = ins[0].reshape(n, a["channels"], *a["in_size"])
    y = np.full((n, a["channels"], *a["out_size"]), a.get("zero_point", 0), ins[0].dtype)
    rows = np.array([a["offset"][0] + i * a["stride"][0] for i in range(a["in_size"][0])])
    cols = np.array([a["offset"][1] + i * a["stride"][1] for i in range(a["in_size"][1])])
    ri = np.nonzero((rows >= 0) & (rows < a["out_size"][0]))[0]
    ci = np.nonzero((cols >= 0) & (cols < a["out_size"][1]))[0]
    y[:, :, rows[ri][:, None], cols[ci][None, :]] = x[:, :, ri][:, :, :, ci]
    return y


@kernel("zero_insert", header="op_conv_transpose.h")
class ZeroInsert:
    emit = staticmethod(_emit_zero_insert)
    run = staticmethod(_run_zero_insert)


@int8_rule("zero_insert")
class ZeroInsertInt8:
    @staticmethod
    def lower(n: Node, ins, y: str, q: Any) -> list:
        """At the input's scale, the inserted zeros being its zero point."""
        return same_scale(q, n, ins, y, "zero_insert_s8",
                          {**n.attrs, "zero_point": q.q[ins[0]].zero_point})


@kernel("zero_insert_s8", header="op_conv_transpose.h")
class ZeroInsertS8:
    emit = staticmethod(_emit_zero_insert)
    run = staticmethod(_run_zero_insert)
