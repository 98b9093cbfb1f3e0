"""nn.Upsample / F.interpolate: nearest, nearest-exact, linear (1-D) and bilinear (2-D), align_corners
either way, by scale_factor or size. The per-axis source step is computed here as torch computes it
in float, so the kernel picks torch's source pixels exactly. bicubic/trilinear/area are refused.

int8 at the input's scale: nearest copies the same codes; (bi)linear is TFLM's RESIZE_BILINEAR
(ResizeBilinearInteger: source positions in 1/1024ths, align_corners or half-pixel centres)."""
from __future__ import annotations

from typing import Any, List, Optional

import numpy as np

from ..ir import Node
from ._int8_common import same_scale
from .registry import AtenCall, LowerCtx, TensorArg, int8_rule, kernel, lowering


def source_scale(in_size: int, out_size: int, factor: Optional[float], align_corners: bool) -> float:
    """torch's area_pixel_compute_scale / compute_scales_value, in float32."""
    if align_corners:
        return float(np.float32(in_size - 1) / np.float32(out_size - 1)) if out_size > 1 else 0.0
    if factor is not None and factor > 0:
        return float(np.float32(1.0 / factor))
    return float(np.float32(in_size) / np.float32(out_size))


def lower_upsample(ctx: LowerCtx, call: AtenCall, mode: str, align_corners: bool,
                   factors: Optional[List[float]]):
    x = call.arg(0, "input", call.arg(0, "self"))
    if not isinstance(x, TensorArg):
        return None
    in_shape = [int(d) for d in ctx.shape(x)]
    out_shape = [int(d) for d in call.out_shape]
    dims = len(in_shape) - 2
    if dims not in (1, 2):
        return None
    factors = list(factors) if factors else [None] * dims
    ins, outs = [1] * (2 - dims) + in_shape[2:], [1] * (2 - dims) + out_shape[2:]
    factors = [None] * (2 - dims) + factors
    scales = [source_scale(i, o, f, align_corners) for i, o, f in zip(ins, outs, factors)]
    attrs = {"mode": mode, "align_corners": bool(align_corners), "channels": in_shape[1],
             "in_size": tuple(ins), "out_size": tuple(outs), "scale": tuple(scales)}
    return [ctx.add_node("upsample", (x.name,), attrs=attrs)]


def _vec(call: AtenCall, mode: str, has_align: bool):
    align = bool(call.arg(2, "align_corners", False)) if has_align else False
    factors = call.arg(3 if has_align else 2, "scale_factors")
    return mode, align, factors


_MODES = {
    "aten.upsample_nearest1d.vec": ("nearest", False),
    "aten.upsample_nearest2d.vec": ("nearest", False),
    "aten._upsample_nearest_exact1d.vec": ("nearest_exact", False),
    "aten._upsample_nearest_exact2d.vec": ("nearest_exact", False),
    "aten.upsample_linear1d.vec": ("linear", True),
    "aten.upsample_bilinear2d.vec": ("linear", True),
}


@lowering(*_MODES)
def lower_upsample_vec(ctx, call):
    mode, has_align = _MODES[call.target]
    return lower_upsample(ctx, call, *_vec(call, mode, has_align))


_DEFAULTS = {
    "aten.upsample_nearest1d.default": ("nearest", False, 1),
    "aten.upsample_nearest2d.default": ("nearest", False, 2),
    "aten._upsample_nearest_exact1d.default": ("nearest_exact", False, 1),
    "aten._upsample_nearest_exact2d.default": ("nearest_exact", False, 2),
    "aten.upsample_linear1d.default": ("linear", True, 1),
    "aten.upsample_bilinear2d.default": ("linear", True, 2),
}


@lowering(*_DEFAULTS)
def lower_upsample_default(ctx, call):
    """(input, output_size, [align_corners,] scales_h=None, scales_w=None)."""
    mode, has_align, dims = _DEFAULTS[call.target]
    first = 3 if has_align else 2
    align = bool(call.arg(2, "align_corners", False)) if has_align else False
    names = ["scales"] if dims == 1 else ["scales_h", "scales_w"]
    factors = [call.arg(first + i, n) for i, n in enumerate(names)]
    return lower_upsample(ctx, call, mode, align, factors)


def _nearest(a: Any, axis: int) -> np.ndarray:
    """op_upsample.h's nearest_index for every output position, in the same float32 arithmetic."""
    n_in, n_out = a["in_size"][axis], a["out_size"][axis]
    dst = np.arange(n_out)
    if a["mode"] == "nearest" and n_out == n_in:
        return dst
    if a["mode"] == "nearest" and n_out == 2 * n_in:
        return dst >> 1
    pos = dst.astype(np.float32) + np.float32(0.5) if a["mode"] == "nearest_exact" else (
        dst.astype(np.float32))
    src = np.floor(pos * np.float32(a["scale"][axis])).astype(np.int64)
    return np.minimum(src, n_in - 1)


def _linear(a: Any, axis: int):
    """op_upsample.h's linear_taps (i0, i1, lambda) for every output position, float32."""
    n_in, n_out = a["in_size"][axis], a["out_size"][axis]
    dst, scale = np.arange(n_out).astype(np.float32), np.float32(a["scale"][axis])
    src = scale * dst if a["align_corners"] else scale * (dst + np.float32(0.5)) - np.float32(0.5)
    src = np.maximum(src, np.float32(0))
    lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    lam = np.clip(src - lo.astype(np.float32), 0, 1).astype(np.float32)
    return lo, lo + (lo < n_in - 1), lam


def _emit_upsample(node: Node, e: Any) -> str:
    a = node.attrs
    p = ", ".join(e.i(v) for v in (a["channels"], *a["in_size"], *a["out_size"]))
    p += ", " + ", ".join(e.f(s) for s in a["scale"])
    args = f"{e.t(node.inputs[0])}, {e.t(node.outputs[0])}, miniml::UpsampleParams{{{p}}}"
    dtype = "s8" if node.op.endswith("_s8") else "f32"
    if a["mode"] == "linear":
        flag = "true" if a["align_corners"] else "false"
        return f"miniml::upsample_bilinear_{dtype}({args}, {flag});"
    flag = "true" if a["mode"] == "nearest_exact" else "false"
    return f"miniml::upsample_nearest_{dtype}({args}, {flag});"


def _run_upsample(node: Node, ins, p) -> np.ndarray:
    a = node.attrs
    n, c = len(ins[0]), a["channels"]
    x = ins[0].reshape(n, c, *a["in_size"])
    if a["mode"] != "linear":
        return x[:, :, _nearest(a, 0)][:, :, :, _nearest(a, 1)]
    if node.op == "upsample_s8":
        return bilinear_s8(x, a["out_size"], a["align_corners"])
    x = x.astype(np.float32)
    y0, y1, ly = _linear(a, 0)
    x0, x1, lx = _linear(a, 1)
    one = np.float32(1)
    top = (one - lx) * x[:, :, y0][:, :, :, x0] + lx * x[:, :, y0][:, :, :, x1]
    bottom = (one - lx) * x[:, :, y1][:, :, :, x0] + lx * x[:, :, y1][:, :, :, x1]
    return (one - ly[:, None]) * top + ly[:, None] * bottom


@kernel("upsample", header="op_upsample.h")
class Upsample:
    emit = staticmethod(_emit_upsample)
    run = staticmethod(_run_upsample)


def _bilinear_taps_s8(n_in: int, n_out: int, align_corners: bool):
    """op_upsample.h's bilinear_scale_10 / bilinear_taps_s8 (TFLM's integer source positions) for
    every output position: (i0, i1, frac in 1/1024ths)."""
    if align_corners and n_out > 1:
        scale = ((n_in - 1) * 1024 + (n_out - 1) // 2) // (n_out - 1)
    else:
        scale = (n_in * 1024 + n_out // 2) // n_out
    v = np.arange(n_out, dtype=np.int64) * scale
    if not align_corners:
        v = v + scale // 2 - 512
    lo = np.maximum(np.trunc(v / 1024).astype(np.int64), 0)  # C's truncating division
    hi = np.minimum(np.trunc((v + 1023) / 1024).astype(np.int64), n_in - 1)
    return lo, hi, v - 1024 * lo


def bilinear_s8(x, out_size, align_corners: bool) -> np.ndarray:
    """Integer reference of upsample_bilinear_s8 (TFLM ResizeBilinearInteger): x [N, C, H, W] int8."""
    y0, y1, fy = _bilinear_taps_s8(x.shape[2], out_size[0], align_corners)
    x0, x1, fx = _bilinear_taps_s8(x.shape[3], out_size[1], align_corners)
    x = x.astype(np.int64)
    fy, fx = fy[:, None], fx[None, :]
    total = (x[:, :, y0][:, :, :, x0] * ((1024 - fy) * (1024 - fx))
             + x[:, :, y1][:, :, :, x0] * (fy * (1024 - fx))
             + x[:, :, y0][:, :, :, x1] * ((1024 - fy) * fx)
             + x[:, :, y1][:, :, :, x1] * (fy * fx))
    rounded = np.sign(total) * ((np.abs(total) + (1 << 19)) >> 20)  # half away from zero
    return rounded.astype(np.int8)


@int8_rule("upsample")
class UpsampleInt8:
    @staticmethod
    def lower(n: Node, ins, y: str, q: Any) -> list:
        """Codes in, codes out at the input's scale (TFLM's RESIZE_* keep the parameters)."""
        return same_scale(q, n, ins, y, "upsample_s8", dict(n.attrs))


@kernel("upsample_s8", header="op_upsample.h")
class UpsampleS8:
    emit = staticmethod(_emit_upsample)
    run = staticmethod(_run_upsample)
