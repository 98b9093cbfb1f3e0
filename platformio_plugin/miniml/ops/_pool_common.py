"""Shared parts of the pool files (max_pool1d/2d, avg_pool1d/2d, adaptive pools): parsing, the
float emitter and run (torch's window rule), the int8 rule, emitters and integer references."""
from __future__ import annotations

from typing import Any, List, Tuple

import numpy as np

from ..errors import UnsupportedOpError
from ._conv_common import expand
from ._int8_common import per_sample, same_scale
from ._params_block import params_block
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


_POOL_FIELDS = ("channels", "in_h", "in_w", "out_h", "out_w", "kernel_h", "kernel_w", "stride_h",
                "stride_w", "pad_top", "pad_left", "dilation_h", "dilation_w", "count_include_pad",
                "divisor_override")


def pool_params(node: Any, e: Any, call: str) -> str:
    """`call` after the node's window as a constexpr Pool2dParams (params_block). int8 nodes in
    TFLM's case carry no out_size, dilation or divisor attrs: floor mode, no dilation, the mean."""
    a = node.attrs
    out_size = a.get("out_size") or _pool_out(*a["in_size"], a["kernel"], a["stride"], a["padding"])
    values = [a["channels"], *a["in_size"], *out_size, *a["kernel"], *a["stride"], *a["padding"],
              *a.get("dilation", (1, 1)), bool(a.get("count_include_pad", False)),
              a.get("divisor_override", 0)]
    return params_block(node, e, "Pool2dParams", list(zip(values, _POOL_FIELDS)), call)


def emit_pool(fn: str, node: Any, e: Any) -> str:
    return pool_params(
        node, e, f"miniml::{fn}({e.t(node.inputs[0])}, {e.t(node.outputs[0])}, {{name}});")


class MaxPoolBackward:
    """Backward of max pooling (registered by max_pool1d.py / max_pool2d.py): the window's first
    maximum, found again in the saved input, takes the output's gradient."""

    @staticmethod
    def saves(node: Any, b: Any) -> Tuple[str, ...]:
        return (node.inputs[0],)

    @staticmethod
    def emit(node: Any, b: Any) -> List[str]:
        return [pool_params(node, b.e, f"miniml::max_pool2d_backward_f32({b.e.t(node.inputs[0])}, "
                                         f"{b.gy}, {b.gx(0)}, {{name}});")]


class AvgPoolBackward:
    """Backward of average pooling (avg_pool1d.py / avg_pool2d.py): each output's gradient over
    its divisor to every real element of its window; nothing saved."""

    @staticmethod
    def emit(node: Any, b: Any) -> List[str]:
        return [pool_params(node, b.e, f"miniml::avg_pool2d_backward_f32({b.gy}, {b.gx(0)}, {{name}});")]


def pool_windows(in_size, out_size, kernel, stride, padding, dilation=(1, 1)):
    """torch's pooling windows, as the float kernels in op_pool.h walk them: for each output
    (oy, ox) the in-bounds tap rows and columns (padding skipped) and the window size clipped to
    the padded input (count_include_pad's divisor; ceil_mode's overhang past the padding does not
    count). out_size None means floor mode."""
    (h, w), (kh, kw), (sh, sw), (ph, pw), (dh, dw) = in_size, kernel, stride, padding, dilation
    if out_size is None:
        out_size = (
            (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1,
            (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1,
        )
    oh, ow = out_size
    for oy in range(oh):
        y0 = oy * sh - ph
        ys = [y0 + i * dh for i in range(kh) if 0 <= y0 + i * dh < h]
        pool_h = min(y0 + kh, h + ph) - y0
        for ox in range(ow):
            x0 = ox * sw - pw
            xs = [x0 + j * dw for j in range(kw) if 0 <= x0 + j * dw < w]
            pool_w = min(x0 + kw, w + pw) - x0
            yield oy, ox, ys, xs, pool_h * pool_w


def avg_divisor(n_valid, pool_size, count_include_pad, divisor_override):
    """torch's avg_pool divisor (op_pool.h avg_pool2d_f32)."""
    if divisor_override:
        return divisor_override
    return pool_size if count_include_pad else n_valid


def _dilation(a: Any, is_max: bool):
    return tuple(a.get("dilation", (1, 1))) if is_max else (1, 1)


def pool_run(node: Any, ins: Any, p: Any) -> np.ndarray:
    """Float pooling by torch's window rule (op_pool.h): dilation, ceil_mode's out_size,
    count_include_pad and divisor_override. 1-D pools are 2-D ones of height 1."""
    a = node.attrs
    x = ins[0].reshape((len(ins[0]), a["channels"]) + tuple(a["in_size"]))
    is_max = node.op.startswith("max")
    out = np.zeros(x.shape[:2] + tuple(a["out_size"]), np.float64)
    for oy, ox, ys, xs, pool in pool_windows(a["in_size"], a["out_size"], a["kernel"], a["stride"],
                                             a["padding"], _dilation(a, is_max)):
        win = x[:, :, ys][:, :, :, xs]
        if is_max:
            out[:, :, oy, ox] = win.max(axis=(2, 3)) if win.size else 0.0
        else:
            d = avg_divisor(len(ys) * len(xs), pool, a["count_include_pad"],
                            a.get("divisor_override", 0))
            out[:, :, oy, ox] = win.sum(axis=(2, 3), dtype=np.float64) / d if d else 0.0
    return out


def refuse_pool(n: Any):
    """Every torch configuration runs in int8 (op_pool_s8.h); only a window without an in-bounds
    tap has no int8 value (max of nothing, or a count_include_pad=False mean of nothing)."""
    a = n.attrs
    is_max = n.op.startswith("max")
    for _, _, ys, xs, pool in pool_windows(a["in_size"], a["out_size"], a["kernel"], a["stride"],
                                           a["padding"], _dilation(a, is_max)):
        n_valid = len(ys) * len(xs)
        d = avg_divisor(n_valid, pool, a["count_include_pad"], a.get("divisor_override", 0))
        if n_valid == 0 and (is_max or d <= 0):
            return "a window with no tap inside the input"
    return None


def lower_pool_s8(n: Any, ins: Any, y: str, q: Any) -> list:
    """max/avg pool -> max/avg_pool2d_s8 at the input's scale. TFLM's MAX_POOL_2D/AVERAGE_POOL_2D
    cover floor mode, no dilation and the mean of the in-bounds taps; anything else adds torch's
    window rule (out_size, dilation, count_include_pad, divisor_override, zero_point attrs)."""
    a = n.attrs
    is_max = n.op.startswith("max")
    attrs = dict(channels=a["channels"], in_size=tuple(a["in_size"]), kernel=tuple(a["kernel"]),
                 stride=tuple(a["stride"]), padding=tuple(a["padding"]))
    floor = tuple(
        (i + 2 * pp - dd * (kk - 1) - 1) // ss + 1
        for i, pp, kk, ss, dd in zip(a["in_size"], a["padding"], a["kernel"], a["stride"],
                                     a["dilation"])
    )
    if (
        tuple(a["out_size"]) != floor
        or any(v != 1 for v in a["dilation"])
        or (not is_max and a.get("divisor_override"))
        or (not is_max and any(a["padding"]) and a["count_include_pad"])
    ):
        attrs.update(
            out_size=tuple(a["out_size"]),
            dilation=_dilation(a, is_max),
            count_include_pad=bool(a["count_include_pad"]),
            divisor_override=int(a.get("divisor_override") or 0),
            zero_point=int(q.q[ins[0]].zero_point),
        )
    return same_scale(q, n, ins, y, f"{n.op[:3]}_pool2d_s8", attrs)


def _pool_out(h, w, kernel, stride, padding, dilation=(1, 1)):
    return (
        (h + 2 * padding[0] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1,
        (w + 2 * padding[1] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1,
    )


def max_pool2d_s8(
    x, kernel, stride, padding=(0, 0), act_min=-128, act_max=127, dilation=(1, 1), out_size=None
):
    """Integer reference: x [C][H][W]; max over the in-bounds taps (TFLM MaxPool; padding skipped
    like torch's -inf, dilation and ceil_mode's out_size as torch); same scale in and out."""
    x = np.asarray(x, np.int64)
    c, h, w = x.shape
    out_size = out_size or _pool_out(h, w, kernel, stride, padding, dilation)
    out = np.zeros((c,) + tuple(out_size), np.int64)
    for oy, ox, ys, xs, _ in pool_windows((h, w), out_size, kernel, stride, padding, dilation):
        out[:, oy, ox] = x[:, ys][:, :, xs].reshape(c, -1).max(axis=1)
    return np.clip(out, act_min, act_max).astype(np.int8)


def avg_pool2d_s8(
    x,
    kernel,
    stride,
    padding=(0, 0),
    act_min=-128,
    act_max=127,
    out_size=None,
    count_include_pad=False,
    divisor_override=0,
    zero_point=0,
):
    """Integer reference: x [C][H][W]; sum of the in-bounds taps over torch's divisor D, rounded
    half away from zero (TFLM AveragePool). Taps the divisor counts beyond the n in-bounds ones
    (padding with count_include_pad, or a divisor_override) weigh as real 0, i.e. the zero point:
    acc = sum(q) + (D - n) * zero_point. With D == n (count_include_pad=False, no override) this is
    exactly TFLM's AVERAGE_POOL_2D; the other configurations have no TFLM op."""
    x = np.asarray(x, np.int64)
    c, h, w = x.shape
    out_size = out_size or _pool_out(h, w, kernel, stride, padding)
    out = np.zeros((c,) + tuple(out_size), np.int64)
    for oy, ox, ys, xs, pool in pool_windows((h, w), out_size, kernel, stride, padding):
        n = len(ys) * len(xs)
        d = avg_divisor(n, pool, count_include_pad, divisor_override)
        acc = x[:, ys][:, :, xs].reshape(c, -1).sum(axis=1) + (d - n) * zero_point
        # C division truncates toward zero; the +-d/2 makes it round half away.
        out[:, oy, ox] = np.where(acc > 0, (acc + d // 2) // d, -((-acc + d // 2) // d))
    return np.clip(out, act_min, act_max).astype(np.int8)


def pool_s8_run(node: Any, ins: Any, p: Any) -> np.ndarray:
    a = node.attrs
    geo = (tuple(a["kernel"]), tuple(a["stride"]), tuple(a["padding"]))
    out_size = tuple(a.get("out_size") or ()) or None
    if node.op.startswith("max"):
        def one(x):
            return max_pool2d_s8(x, *geo, a["act_min"], a["act_max"],
                                 dilation=tuple(a.get("dilation", (1, 1))), out_size=out_size)
    else:
        def one(x):
            return avg_pool2d_s8(x, *geo, a["act_min"], a["act_max"], out_size=out_size,
                                 count_include_pad=a.get("count_include_pad", False),
                                 divisor_override=a.get("divisor_override", 0),
                                 zero_point=a.get("zero_point", 0))
    x = ins[0].reshape((len(ins[0]), a["channels"]) + tuple(a["in_size"]))
    return per_sample(one, x)


def emit_pool_s8(node: Any, e: Any) -> str:
    """The max/avg_pool2d_s8 call; the kernel tells TFLM's case from torch's window rule at compile
    time (its Pool2dParams is a constant)."""
    a = node.attrs
    zp = f"{a.get('zero_point', 0)}, " if node.op.startswith("avg") else ""
    return pool_params(
        node, e, f"miniml::{node.op}({e.t(node.inputs[0])}, {e.t(node.outputs[0])}, {{name}}, {zp}"
        f"{a['act_min']}, {a['act_max']});")
