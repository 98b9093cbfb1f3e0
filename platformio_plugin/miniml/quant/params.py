"""Quantisation parameters, TFLite int8 spec: ranges from calibration data, scales and zero points,
weight and bias quantisation, and the per-op requantisation constants computed exactly as TFLM
computes them.

Pure functions on numpy arrays / Python floats. Every scale is a float32 value (TFLite stores
float32); the multipliers are derived from those float32 values in double precision, in the order
TFLM's Prepare() uses, because a different order changes the last bit of the multiplier and then the
output.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import MinimlWarning, UnsupportedOpError
from .fixedpoint import activation_range, quantize_multiplier

QMIN, QMAX = -128, 127
RANGE_METHODS = ("minmax", "percentile", "mse")
INT32_MAX = 2**31 - 1
# Range quality: warn when the central 98 % of a tensor's values use fewer than 1/OUTLIER_RATIO
# of the int8 steps its min/max range spends.
OUTLIER_RATIO = 16.0


@dataclass(frozen=True)
class QParams:
    """Per-tensor affine int8 quantisation: real = scale * (q - zero_point)."""

    scale: float  # a float32 value
    zero_point: int


def f32(x) -> float:
    return float(np.float32(x))


def qparams_from_range(lo: float, hi: float) -> QParams:
    """Asymmetric int8 parameters covering [lo, hi] widened to include 0 (so 0 is exact, as padding
    needs)."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo < 1e-12:
        return QParams(1.0, 0)
    scale = f32((hi - lo) / (QMAX - QMIN))
    zp = int(round(QMIN - lo / scale))
    return QParams(scale, int(np.clip(zp, QMIN, QMAX)))


def _mse_range(x: np.ndarray, lo: float, hi: float, steps: int = 100) -> tuple[float, float]:
    """Shrink [lo, hi] by a common factor (1 down to 1/100, geometric), keeping the one with the
    least quantise-dequantise mean squared error over the samples."""
    best = (np.inf, lo, hi)
    for f in np.geomspace(1.0, 0.01, steps):
        p = qparams_from_range(lo * f, hi * f)
        q = np.clip(np.round(x / p.scale) + p.zero_point, QMIN, QMAX)
        err = float(np.mean((p.scale * (q - p.zero_point) - x) ** 2))
        if err < best[0]:
            best = (err, lo * f, hi * f)
    return best[1], best[2]


def observe_range(
    x: np.ndarray, method: str = "minmax", percentile: float = 99.99
) -> tuple[float, float]:
    """Range of one activation tensor over the calibration batch: min/max, a percentile, or
    MSE-optimal."""
    x = np.asarray(x, np.float64).ravel()
    if method == "minmax":
        return float(x.min()), float(x.max())
    if method == "percentile":
        return float(np.percentile(x, 100.0 - percentile)), float(np.percentile(x, percentile))
    if method == "mse":
        return _mse_range(x, float(x.min()), float(x.max()))
    raise ValueError(f"unknown range method {method!r}; use one of {RANGE_METHODS}")


def quantize_weight(w: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-output-channel int8 weights (zero point 0, range [-127, 127]) and float32
    scales."""
    w = np.asarray(w, np.float32)
    red = tuple(i for i in range(w.ndim) if i != axis)
    amax = np.max(np.abs(w), axis=red) if red else np.abs(w)
    scales = np.where(amax > 0, amax / np.float32(127.0), np.float32(1.0)).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.round(w / scales.reshape(shape)), -127, 127).astype(np.int8)
    return q, scales


def quantize_bias(
    b: np.ndarray | None, input_scale: float, w_scales: np.ndarray, n: int
) -> np.ndarray:
    """int32 bias at scale input_scale * w_scale[c] (the float32 product, as TFLite stores it)."""
    if b is None:
        return np.zeros(n, np.int32)
    bs = (np.float32(input_scale) * np.asarray(w_scales, np.float32)).astype(np.float64)
    q = np.round(np.asarray(b, np.float64) / bs)
    return np.clip(q, -(2**31), 2**31 - 1).astype(np.int32)


def fold_bias(bias_q: np.ndarray, w_q: np.ndarray, input_zero_point: int) -> np.ndarray:
    """bias - input_zero_point * sum(weight of the channel): the bias our kernels take
    (op_linear_s8.h)."""
    wsum = np.asarray(w_q, np.int64).reshape(len(bias_q), -1).sum(axis=1)
    folded = np.asarray(bias_q, np.int64) - int(input_zero_point) * wsum
    if np.any(np.abs(folded) >= 2**31):
        raise OverflowError("folded int32 bias overflows")
    return folded.astype(np.int32)


def accumulator_overflow(
    b: np.ndarray | None, w_q: np.ndarray, input_scale: float, w_scales, input_zero_point: int
) -> str | None:
    """None when every output channel's int32 bias and accumulator stay in int32 for any int8
    input; else the worst channel's numbers. The kernels (op_linear_s8.h) start from the folded
    bias and add weight * input with input in [-128, 127], so the bound is
    |bias - zp * sum(w)| + 128 * sum(|w|)."""
    n = w_q.shape[0]
    wq = np.asarray(w_q, np.int64).reshape(n, -1)
    bias = np.zeros(n) if b is None else np.asarray(b, np.float64)
    bs = (np.float32(input_scale) * np.asarray(w_scales, np.float32)).astype(np.float64)
    q = np.round(bias / bs)
    if np.any(np.abs(q) > INT32_MAX):
        c = int(np.argmax(np.abs(q)))
        return (f"output channel {c}: bias {bias[c]:.6g} at scale input_scale * weight_scale = "
                f"{bs[c]:.6g} is {q[c]:.6g}, beyond int32 (+-{INT32_MAX})")
    worst = np.abs(q - int(input_zero_point) * wq.sum(axis=1)) + 128 * np.abs(wq).sum(axis=1)
    c = int(np.argmax(worst))
    if worst[c] > INT32_MAX:
        return (f"output channel {c}: folded bias {q[c] - input_zero_point * wq[c].sum():.6g} plus "
                f"weight sums up to {128 * np.abs(wq[c]).sum()} reach {worst[c]:.6g}, beyond int32 "
                f"(+-{INT32_MAX})")
    return None


def negligible_weight_channels(
    w: np.ndarray, b: np.ndarray | None, input_absmax: float, output_scale: float
) -> list[tuple[int, float, float]]:
    """Channels whose weights can move the output by less than half an output step while their bias
    is larger: (channel, largest weight contribution, |bias|). Their int8 output is a constant."""
    if b is None:
        return []
    n = w.shape[0]
    reach = np.abs(np.asarray(w, np.float64)).reshape(n, -1).sum(axis=1) * float(input_absmax)
    half = 0.5 * float(output_scale)
    bias = np.abs(np.asarray(b, np.float64))
    return [(c, float(reach[c]), float(bias[c])) for c in range(n)
            if 0.0 < reach[c] < half <= bias[c]]


def check_layer_ranges(
    where: str, w: np.ndarray, b: np.ndarray | None, w_q: np.ndarray, w_scales, qx: QParams,
    qy: QParams,
) -> None:
    """Refuses a linear/conv whose int32 bias or accumulator could overflow (UB in C, and a clipped
    bias would differ from the float model); warns when weights are negligible against the bias."""
    why = accumulator_overflow(b, w_q, qx.scale, w_scales, qx.zero_point)
    if why:
        raise UnsupportedOpError(
            f"{where}: int8 cannot hold this layer: {why} (input scale {qx.scale:.6g}); its bias "
            "is too large for the input and weight scales: keep the model float, or rescale the "
            "layer (smaller bias, e.g. normalised targets) and export again"
        )
    absmax = qx.scale * max(abs(QMIN - qx.zero_point), abs(QMAX - qx.zero_point))
    tiny = negligible_weight_channels(w, b, absmax, qy.scale)
    if tiny:
        c, reach, bias = tiny[0]
        warnings.warn(
            f"{where}: {len(tiny)} output channel(s) ignore their input in int8 (e.g. channel {c}: "
            f"weights move it by at most {reach:.3g}, bias {bias:.3g}, output step {qy.scale:.3g}); "
            "the output is a constant: check the weights, or keep the model float",
            MinimlWarning,
            stacklevel=2,
        )


def range_warning(x: np.ndarray, lo: float, hi: float, method: str) -> str | None:
    """Why the range [lo, hi] chosen for the activation values `x` makes a poor int8 tensor, or
    None: constant over the calibration set, or (minmax) a few outliers stretching the range so the
    bulk of the values falls into a handful of int8 steps."""
    x = np.asarray(x, np.float64).ravel()
    if x.size == 0:
        return None
    if x.min() == x.max():
        return (f"is constant ({x.min():.6g}) over the calibration set; give calibration inputs "
                "that vary as real ones do")
    if method != "minmax":
        return None
    p_lo, p_hi = np.percentile(x, [1.0, 99.0])
    bulk = max(p_hi, 0.0) - min(p_lo, 0.0)
    full = max(hi, 0.0) - min(lo, 0.0)
    if bulk * OUTLIER_RATIO < full:
        steps = 255.0 * bulk / full
        return (f"has outliers: min/max [{lo:.6g}, {hi:.6g}] while 98 % of values lie in "
                f"[{p_lo:.6g}, {p_hi:.6g}], which gets {steps:.1f} of 255 int8 steps; use "
                "calibration_method='percentile' or 'mse', or remove the outliers")
    return None


def channel_multipliers(
    input_scale: float, w_scales, output_scale: float, per_tensor_fc: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Requantisation (multiplier, shift) per output channel for conv / fully connected.

    TFLM: double(in) * double(w[c]) / double(out), except a per-tensor FULLY_CONNECTED (one weight
    scale), which rounds the product in float32 first (GetQuantizedConvolutionMultipler).
    """
    ms, ss = [], []
    for ws in np.atleast_1d(np.asarray(w_scales, np.float32)):
        if per_tensor_fc:
            real = float(np.float32(input_scale) * np.float32(ws)) / f32(output_scale)
        else:
            real = f32(input_scale) * float(ws) / f32(output_scale)
        m, s = quantize_multiplier(real)
        ms.append(m)
        ss.append(s)
    return np.array(ms, np.int32), np.array(ss, np.int8)


@dataclass(frozen=True)
class AddParams:
    a_multiplier: int
    a_shift: int
    b_multiplier: int
    b_shift: int
    output_multiplier: int
    output_shift: int


def add_params(
    a_scale: float, b_scale: float, output_scale: float, left_shift: int = 20
) -> AddParams:
    """TFLM int8 ADD constants (CalculateOpDataAdd)."""
    twice_max = 2.0 * max(f32(a_scale), f32(b_scale))
    am, ash = quantize_multiplier(f32(a_scale) / twice_max)
    bm, bsh = quantize_multiplier(f32(b_scale) / twice_max)
    om, osh = quantize_multiplier(twice_max / ((1 << left_shift) * f32(output_scale)))
    return AddParams(am, ash, bm, bsh, om, osh)


def mul_params(a_scale: float, b_scale: float, output_scale: float) -> tuple[int, int]:
    """TFLM int8 MUL constant: double(a) * double(b) / double(out)."""
    return quantize_multiplier(f32(a_scale) * f32(b_scale) / f32(output_scale))


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


__all__ = [
    "QParams",
    "qparams_from_range",
    "observe_range",
    "quantize_weight",
    "quantize_bias",
    "fold_bias",
    "accumulator_overflow",
    "check_layer_ranges",
    "negligible_weight_channels",
    "range_warning",
    "channel_multipliers",
    "add_params",
    "mul_params",
    "activation_range",
    "quantize_s8",
    "dequantize_s8",
    "RANGE_METHODS",
]
