"""Shared parts of conv1d.py / conv2d.py / convolution.py (no registration here): attribute
parsing, the float emitter and run, the int8 emitter and integer reference."""
from __future__ import annotations

from typing import Any, List, Sequence, Tuple

import numpy as np

from ..errors import UnsupportedOpError
from ..quant.fixedpoint import requantize
from ._backward_common import (
    Int8LayerBackward,
    act_saves,
    fused_act_backward,
    fused_act_refusal,
    int8_output_grad,
    mem_policies,
)
from ._int8_common import requant_args, unfold_bias
from ._params_block import params_block
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


_FIELDS = {
    2: ("in_channels", "in_h", "in_w", "out_channels", "out_h", "out_w", "kernel_h", "kernel_w",
        "stride_h", "stride_w", "pad_top", "pad_left", "dilation_h", "dilation_w", "groups"),
    1: ("in_channels", "in_length", "out_channels", "out_length", "kernel_size", "stride", "padding",
        "dilation", "groups"),
}


def with_params(node: Any, e: Any, dims: int, call: str) -> str:
    """The layer's shape as a constexpr Conv<dims>dParams block (see params_block), then `call`;
    the same for the float and int8 kernels."""
    a = node.attrs
    values = [a["in_channels"], *a["in_size"], a["out_channels"], *a["out_size"], *a["kernel"],
              *a["stride"], *a["padding"], *a["dilation"], a["groups"]]
    return params_block(node, e, f"Conv{dims}dParams", list(zip(values, _FIELDS[dims])), call)


def emit_conv(node: Any, e: Any, dims: int) -> str:
    """The conv<dims>d_f32 call: weights through the node's memory policy, shape as Conv<dims>dParams."""
    return with_params(
        node,
        e,
        dims,
        f"miniml::conv{dims}d_f32<{mem_policies(node, e)}>({e.t(node.inputs[0])}, {e.p(node, 'weight')}, "
        f"{e.p(node, 'bias')}, {e.t(node.outputs[0])}, {{name}}, {e.act(node)});",
    )


def _padded(x: np.ndarray, pad: Sequence[int], need: Sequence[int]) -> np.ndarray:
    """x [..., H, W] zero-padded by pad before and up to `need` rows/columns in all (the end padding
    is what the output size needs: torch's 'same' with an even kernel pads one more at the end)."""
    (ph, pw), (nh, nw) = pad, need
    h, w = x.shape[-2:]
    out = np.zeros(x.shape[:-2] + (max(nh, h + ph), max(nw, w + pw)), x.dtype)
    out[..., ph : ph + h, pw : pw + w] = x
    return out


def conv_geometry(a: Any):
    """Attrs of a conv1d/conv2d (float or int8) node as 2-D (height 1 for conv1d): kernel, stride,
    padding, dilation, in_size, out_size (pairs)."""
    def two(v: Any, lead: int = 1) -> Tuple[int, ...]:
        return (lead, *v) if len(v) == 1 else tuple(v)

    return (two(a["kernel"]), two(a["stride"]), two(a["padding"], 0), two(a["dilation"]),
            two(a["in_size"]), two(a["out_size"]))


def conv_sum(x: np.ndarray, w: np.ndarray, a: Any, dtype: Any) -> np.ndarray:
    """sum over the window of x * w for a batch x [N][C][H][W] and weight [OC][C/g][KH][KW], torch's
    conv geometry with the node's output size: [N][OC][OH][OW] in `dtype` (float64 or int64)."""
    (kh, kw), (sh, sw), pad, (dh, dw), _, (oh, ow) = conv_geometry(a)
    groups = int(a["groups"])
    n = x.shape[0]
    oc, cg = w.shape[:2]
    xp = _padded(x.astype(dtype), pad, ((oh - 1) * sh + dh * (kh - 1) + 1,
                                        (ow - 1) * sw + dw * (kw - 1) + 1))
    out = np.zeros((n, oc, oh, ow), dtype)
    ocg = oc // groups
    for g in range(groups):
        xs = xp[:, g * cg : (g + 1) * cg]
        wg = w[g * ocg : (g + 1) * ocg].astype(dtype)
        for ky in range(kh):
            for kx in range(kw):
                patch = xs[:, :, ky * dh : ky * dh + sh * (oh - 1) + 1 : sh,
                           kx * dw : kx * dw + sw * (ow - 1) + 1 : sw]
                out[:, g * ocg : (g + 1) * ocg] += np.einsum(
                    "ncyx,oc->noyx", patch, wg[:, :, ky, kx]
                )
    return out


def conv_run(node: Any, ins: Any, p: Any) -> np.ndarray:
    """The float conv (float64 accumulate: calibration ranges), before the fused activation."""
    a = node.attrs
    _, _, _, _, (h, w), _ = conv_geometry(a)
    x = ins[0].reshape(len(ins[0]), a["in_channels"], h, w)
    wt = p["weight"].reshape(p["weight"].shape[:2] + conv_geometry(a)[0])
    y = conv_sum(x, wt, a, np.float64)
    return y + p["bias"].astype(np.float64)[None, :, None, None] if "bias" in p else y


def conv_s8(x, input_zero_point, weight, bias, multiplier, shift, output_zero_point, a,
            act_min=-128, act_max=127):
    """Integer reference of conv2d_s8/conv1d_s8: x [N][C][H][W] int8, weight [OC][C/g][KH][KW]
    int8, bias [OC] int32 (TFLM's, not folded; or None), per-channel multiplier/shift; `a` the conv
    geometry (kernel, stride, padding, dilation, groups, out_size). Padded taps read the zero point,
    which is what TFLM's skipped taps compute."""
    x = np.asarray(x, np.int64) - input_zero_point
    acc = conv_sum(x, np.asarray(weight, np.int64), a, np.int64)
    if bias is not None:
        acc += np.asarray(bias, np.int64)[None, :, None, None]
    m = np.asarray(multiplier, np.int64)[None, :, None, None]
    s = np.asarray(shift, np.int64)[None, :, None, None]
    return requantize(acc, m, s, output_zero_point, act_min, act_max)


def conv_s8_run(node: Any, ins: Any, p: Any) -> np.ndarray:
    a = node.attrs
    w, zp = p["weight"], a["input_zero_point"]
    _, _, _, _, (h, wd), _ = conv_geometry(a)
    x = ins[0].reshape(len(ins[0]), a["in_channels"], h, wd)
    wt = w.reshape(w.shape[:2] + conv_geometry(a)[0])
    return conv_s8(x, zp, wt, unfold_bias(p["bias"], w, zp), p["multiplier"], p["shift"],
                   a["output_zero_point"], a, a["act_min"], a["act_max"])


def emit_conv_s8(node: Any, e: Any, dims: int) -> str:
    """The conv<dims>d_s8 call with the shape as a constexpr Conv<dims>dParams (see with_params; its
    output size also fixes the end padding: torch's 'same' with an even kernel pads one more there).
    A one-group conv2d calls conv2d_s8_gemm, its input channels and kernel template arguments
    (compile-time constants however many layers call it)."""
    a = node.attrs
    kernel = f"conv{dims}d_s8<{e.mem(node, 'weight')}>"
    if dims == 2 and int(a["groups"]) == 1:
        kh, kw = a["kernel"]
        kernel = f"conv2d_s8_gemm<{e.mem(node, 'weight')}, {a['in_channels']}, {kh}, {kw}>"
    return with_params(node, e, dims, f"miniml::{kernel}("
                       f"{conv_s8_args(node, e, '{name}')}, {e.t(node.outputs[0])});")


def conv_s8_args(node: Any, e: Any, shape: str) -> str:
    """The int8 conv call's arguments from the input to the activation bounds (`shape`: the params)."""
    a = node.attrs
    return (f"{e.t(node.inputs[0])}, {requant_args(node, e)}, {shape}, {a['input_zero_point']}, "
            f"{a['output_zero_point']}, {a['act_min']}, {a['act_max']}")


def conv_s8_macs(node: Any, g: Any) -> int:
    w = g.params[node.params["weight"]].data
    n = int(w.size)
    for s in node.attrs["out_size"]:
        n *= int(s)
    return n


def conv2d_shape(node: Any, e: Any) -> str:
    """The layer's shape as a miniml::Conv2dParams literal (a conv1d as height 1): train_conv.h
    has one 2-D form of each backward kernel."""
    a = node.attrs
    kernel, stride, pad, dilation, in_size, out_size = conv_geometry(a)
    fields = [a["in_channels"], *in_size, a["out_channels"], *out_size, *kernel, *stride, *pad,
              *dilation, a["groups"]]
    return f"miniml::Conv2dParams{{{', '.join(e.i(v) for v in fields)}}}"


class ConvBackward:
    """Backward of conv1d/conv2d (registered by conv1d.py and conv2d.py): the fused activation's
    derivative in place, then the input gradient (frozen or learning weights, before the update),
    the weight gradient from the saved input, the bias gradient as per-channel sums."""

    @staticmethod
    def saves(node: Any, b: Any) -> Tuple[str, ...]:
        x, y = node.inputs[0], node.outputs[0]
        return act_saves(node.attrs.get("act"), x, y) + ((x,) if b.trains("weight") else ())

    @staticmethod
    def refuse(node: Any) -> Any:
        return fused_act_refusal(node)

    @staticmethod
    def emit(node: Any, b: Any) -> List[str]:
        a, e = node.attrs, b.e
        _, _, _, _, _, (oh, ow) = conv_geometry(a)
        shape = conv2d_shape(node, e)
        lines = fused_act_backward(node, b, a["out_channels"] * oh * ow)
        gx = b.gx(0)
        if gx is not None:
            lines.append(f"miniml::conv2d_backward_input_f32<{e.mem(node, 'weight')}>("
                         f"{e.p(node, 'weight')}, {b.gy}, {gx}, {shape});")
        if b.trains("weight"):
            gw = b.param_grad("weight", e.g.params[node.params["weight"]].numel)
            rows = b.rows("weight")  # a sparse channel update: those output channels only
            tail = f", {rows.name}, {e.i(len(rows.rows))}" if rows else ""
            lines.append(f"miniml::conv2d_weight_grad{'_rows' if rows else ''}_f32("
                         f"{e.t(node.inputs[0])}, {b.gy}, {gw}, {shape}{tail});")
        if b.trains("bias"):
            gb = b.param_grad("bias", a["out_channels"])
            lines.append(f"miniml::channel_sum_f32({b.gy}, {e.i(a['out_channels'])}, "
                         f"{e.i(oh * ow)}, {gb});")
        return lines


class ConvS8Backward(Int8LayerBackward):
    """Backward of a frozen conv1d_s8/conv2d_s8 after a learning layer: the clamp mask and weight
    scales on the output gradient, then the input gradient through the int8 weights."""

    @staticmethod
    def emit(node: Any, b: Any) -> List[str]:
        a, e = node.attrs, b.e
        _, _, _, _, _, (oh, ow) = conv_geometry(a)
        lines = int8_output_grad(node, b, a["out_channels"], oh * ow)
        gx = b.gx(0)
        if gx is not None:
            lines.append(f"miniml::conv2d_backward_input_f32<{e.mem(node, 'weight')}>("
                         f"{e.p(node, 'weight')}, {b.gy}, {gx}, {conv2d_shape(node, e)});")
        return lines
