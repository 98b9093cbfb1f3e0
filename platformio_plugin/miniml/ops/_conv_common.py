"""Shared attribute parsing for conv1d.py / conv2d.py / convolution.py (no lowering here)."""
from __future__ import annotations

from typing import Any, List, Sequence, Tuple

from ..errors import UnsupportedOpError
from .registry import AtenCall, LowerCtx, TensorArg


def expand(v: Any, n: int) -> List[int]:
    if isinstance(v, int):
        return [v] * n
    v = [int(x) for x in v]
    return v * n if len(v) == 1 else v


def same_padding(kernel: Sequence[int], dilation: Sequence[int]) -> List[int]:
    """torch's 'same': total d*(k-1), the smaller half on the left/top."""
    return [d * (k - 1) // 2 for k, d in zip(kernel, dilation)]


def lower_conv(ctx: LowerCtx, call: AtenCall, dims: int, stride: Any, padding: Any, dilation: Any,
               groups: int):
    x, w, b = call.arg(0, "input"), call.arg(1, "weight"), call.arg(2, "bias")
    if not isinstance(x, TensorArg):
        return None
    weight = ctx.const(w)
    if weight.ndim != dims + 2:
        return None
    kernel = [int(k) for k in weight.shape[2:]]
    stride, dilation = expand(stride, dims), expand(dilation, dims)
    if isinstance(padding, str):
        if padding == "valid":
            pad = [0] * dims
        elif padding == "same":
            pad = same_padding(kernel, dilation)
        else:
            return None
    else:
        pad = expand(padding, dims)
    in_shape, out_shape = ctx.shape(x), call.out_shape
    if len(in_shape) != dims + 2:
        raise UnsupportedOpError(f"{ctx.where()}: conv input of shape {list(in_shape)} (need batch 1)")
    params = {"weight": ctx.add_param(w.name, weight)}
    if b is not None:
        params["bias"] = ctx.add_param(b.name, ctx.const(b))
    attrs = {
        "in_channels": int(in_shape[1]),
        "out_channels": int(weight.shape[0]),
        "in_size": tuple(int(s) for s in in_shape[2:]),
        "out_size": tuple(int(s) for s in out_shape[2:]),
        "kernel": tuple(kernel),
        "stride": tuple(stride),
        "padding": tuple(pad),
        "dilation": tuple(dilation),
        "groups": int(groups),
        "act": None,
    }
    return [ctx.add_node("conv2d" if dims == 2 else "conv1d", (x.name,), params=params, attrs=attrs)]


def conv_macs(attrs: Any) -> int:
    n = attrs["out_channels"] * (attrs["in_channels"] // attrs["groups"])
    for s in attrs["out_size"]:
        n *= s
    for k in attrs["kernel"]:
        n *= k
    return int(n)


def conv_args(call: AtenCall) -> Tuple[Any, Any, Any, int]:
    """(stride, padding, dilation, groups) of aten.conv1d/conv2d (.default or .padding)."""
    return (
        call.arg(3, "stride", [1]),
        call.arg(4, "padding", [0]),
        call.arg(5, "dilation", [1]),
        int(call.arg(6, "groups", 1)),
    )


def emit_conv(node: Any, e: Any, dims: int) -> str:
    """The conv<dims>d_f32 call: weights through the node's memory policy, shape as Conv<dims>dParams."""
    a = node.attrs
    fields = [a["in_channels"], *a["in_size"], a["out_channels"], *a["out_size"], *a["kernel"],
              *a["stride"], *a["padding"], *a["dilation"], a["groups"]]
    p = ", ".join(e.i(v) for v in fields)
    return (
        f"miniml::conv{dims}d_f32<{e.mem(node)}>({e.t(node.inputs[0])}, {e.p(node, 'weight')}, "
        f"{e.p(node, 'bias')}, {e.t(node.outputs[0])}, miniml::Conv{dims}dParams{{{p}}}, "
        f"{e.act(node)});"
    )
