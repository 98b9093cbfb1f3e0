"""numpy int8 reference kernels with TFLite Micro's semantics, in MiniML's channels-first layout.

Each function is the plain-loop meaning of the C++ kernel of the same name in
include/miniml/op_*_s8.h and of the TFLM reference kernel it mirrors: int8 in, int32 accumulate,
requantise with fixedpoint.multiply_by_quantized_multiplier, add the output zero point, clamp to
[act_min, act_max]. Zero points are the TFLite ones (input_offset = -zero_point). Padding positions
are skipped, which is the same as padding with the input zero point. Arrays are numpy int; results
are int8.
"""

from __future__ import annotations

import numpy as np

from .fixedpoint import multiply_by_quantized_multiplier as _mbqm


def _requant(acc, multiplier, shift, output_zero_point, act_min, act_max):
    out = _mbqm(acc, multiplier, shift) + output_zero_point
    return np.clip(out, act_min, act_max).astype(np.int8)


def linear_s8(
    x,
    input_zero_point,
    weight,
    bias,
    multiplier,
    shift,
    output_zero_point,
    act_min=-128,
    act_max=127,
):
    """x [in], weight [out][in] int8, bias [out] int32 (or None), multiplier/shift [out]."""
    x = np.asarray(x, np.int64) - input_zero_point
    acc = np.asarray(weight, np.int64) @ x
    if bias is not None:
        acc = acc + np.asarray(bias, np.int64)
    return _requant(
        acc, np.asarray(multiplier), np.asarray(shift), output_zero_point, act_min, act_max
    )


def conv2d_s8(
    x,
    input_zero_point,
    weight,
    bias,
    multiplier,
    shift,
    output_zero_point,
    stride=(1, 1),
    padding=(0, 0),
    dilation=(1, 1),
    groups=1,
    act_min=-128,
    act_max=127,
):
    """x [C][H][W], weight [OC][C/groups][KH][KW] (torch layout), per-output-channel
    multiplier/shift."""
    x = np.asarray(x, np.int64) - input_zero_point
    w = np.asarray(weight, np.int64)
    c, h, wd = x.shape
    oc, cg, kh, kw = w.shape
    sh, sw = stride
    ph, pw = padding
    dh, dw = dilation
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    # Zero-padded centred input == skipping padded taps (x - zp is 0 there).
    xp = np.zeros((c, h + 2 * ph, wd + 2 * pw), np.int64)
    xp[:, ph : ph + h, pw : pw + wd] = x
    ocg = oc // groups
    acc = np.zeros((oc, oh, ow), np.int64)
    for o in range(oc):
        g = o // ocg
        for ky in range(kh):
            for kx in range(kw):
                patch = xp[
                    g * cg : (g + 1) * cg,
                    ky * dh : ky * dh + sh * (oh - 1) + 1 : sh,
                    kx * dw : kx * dw + sw * (ow - 1) + 1 : sw,
                ]
                acc[o] += np.tensordot(w[o, :, ky, kx], patch, axes=(0, 0))
    if bias is not None:
        acc += np.asarray(bias, np.int64)[:, None, None]
    m = np.asarray(multiplier, np.int64)[:, None, None]
    s = np.asarray(shift, np.int64)[:, None, None]
    return _requant(acc, m, s, output_zero_point, act_min, act_max)


def conv1d_s8(
    x,
    input_zero_point,
    weight,
    bias,
    multiplier,
    shift,
    output_zero_point,
    stride=1,
    padding=0,
    dilation=1,
    groups=1,
    act_min=-128,
    act_max=127,
):
    """x [C][L], weight [OC][C/groups][K]: conv2d_s8 with a height of 1."""
    y = conv2d_s8(
        np.asarray(x)[:, None, :],
        input_zero_point,
        np.asarray(weight)[:, :, None, :],
        bias,
        multiplier,
        shift,
        output_zero_point,
        (1, stride),
        (0, padding),
        (1, dilation),
        groups,
        act_min,
        act_max,
    )
    return y[:, 0, :]


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


def _pool_out(h, w, kernel, stride, padding, dilation=(1, 1)):
    return (
        (h + 2 * padding[0] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1,
        (w + 2 * padding[1] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1,
    )


def max_pool2d_s8(
    x, kernel, stride, padding=(0, 0), act_min=-128, act_max=127, dilation=(1, 1), out_size=None
):
    """x [C][H][W]; max over the in-bounds taps (TFLM MaxPool; padding skipped like torch's -inf,
    dilation and ceil_mode's out_size as torch); same scale in and out."""
    x = np.asarray(x, np.int64)
    c, h, w = x.shape
    out_size = out_size or _pool_out(h, w, kernel, stride, padding, dilation)
    out = np.zeros((c,) + tuple(out_size), np.int64)
    for oy, ox, ys, xs, _ in pool_windows((h, w), out_size, kernel, stride, padding, dilation):
        out[:, oy, ox] = x[:, ys][:, :, xs].reshape(c, -1).max(axis=1)
    return np.clip(out, act_min, act_max).astype(np.int8)


def avg_divisor(n_valid, pool_size, count_include_pad, divisor_override):
    """torch's avg_pool divisor (op_pool.h avg_pool2d_f32)."""
    if divisor_override:
        return divisor_override
    return pool_size if count_include_pad else n_valid


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
    """x [C][H][W]; sum of the in-bounds taps over torch's divisor D, rounded half away from zero
    (TFLM AveragePool). Taps the divisor counts beyond the n in-bounds ones (padding with
    count_include_pad, or a divisor_override) weigh as real 0, i.e. the zero point:
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


def add_s8(
    a,
    b,
    a_zero_point,
    b_zero_point,
    a_multiplier,
    a_shift,
    b_multiplier,
    b_shift,
    output_multiplier,
    output_shift,
    output_zero_point,
    left_shift=20,
    act_min=-128,
    act_max=127,
):
    """TFLM int8 ADD: both inputs scaled up by 2^left_shift, rescaled to a common scale, summed,
    requantised."""
    sa = _mbqm((np.asarray(a, np.int64) - a_zero_point) * (1 << left_shift), a_multiplier, a_shift)
    sb = _mbqm((np.asarray(b, np.int64) - b_zero_point) * (1 << left_shift), b_multiplier, b_shift)
    return _requant(sa + sb, output_multiplier, output_shift, output_zero_point, act_min, act_max)


def mul_s8(
    a,
    b,
    a_zero_point,
    b_zero_point,
    multiplier,
    shift,
    output_zero_point,
    act_min=-128,
    act_max=127,
):
    """TFLM int8 MUL: (a - za) * (b - zb) requantised with one multiplier."""
    p = (np.asarray(a, np.int64) - a_zero_point) * (np.asarray(b, np.int64) - b_zero_point)
    return _requant(p, multiplier, shift, output_zero_point, act_min, act_max)


def quantize_s8(x, scale, zero_point):
    """float32 -> int8: round(x / scale) half away from zero, in float32 arithmetic (TFLM
    AffineQuantize)."""
    q = (np.asarray(x, np.float32) / np.float32(scale)).astype(np.float64)
    # roundf in float64: a float32 value + 0.5 is exact there (in float32 0.49999997 + 0.5 would
    # round to 1).
    r = np.clip(np.sign(q) * np.floor(np.abs(q) + 0.5), -1e9, 1e9)
    r = np.where(np.isnan(r), 0.0, r)  # NaN -> the zero point, as op_quantize.h defines it
    return np.clip(r.astype(np.int64) + zero_point, -128, 127).astype(np.int8)


def dequantize_s8(q, scale, zero_point):
    """int8 -> float32: scale * (q - zero_point), one float32 rounding (TFLM Dequantize)."""
    return (np.float32(scale) * (np.asarray(q, np.int64) - zero_point).astype(np.float32)).astype(
        np.float32
    )
