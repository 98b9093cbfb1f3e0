"""TFLite integer requantisation in numpy: multiplier choice and rounding, bit-exact with TFLM.

Pure array functions on int64 numpy arrays; include/miniml/core_fixedpoint.h is the C++ twin and the
tests hold the two (and TFLite Micro) to 0 LSB. TFLM builds with TFLITE_SINGLE_ROUNDING=0 (checked
against the installed tflite-micro wheel by test/python/quant/test_fixedpoint.py), so requantisation
rounds twice: gemmlowp's SaturatingRoundingDoublingHighMul, then RoundingDivideByPOT.
"""

from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


def round_half_away(x: float) -> int:
    """C's round(): halves go away from zero (TfLiteRound)."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def quantize_multiplier(real: float) -> tuple[int, int]:
    """Real multiplier -> (int32 significand in [2^30, 2^31), shift), real ~= m * 2^(shift - 31).

    TFLite's QuantizeMultiplier: frexp, round half away from zero, carry into the exponent, flush to
    zero below 2^-31. `real` is a Python float (double), computed the way the TFLM kernel computes
    it.
    """
    if real == 0.0:
        return 0, 0
    if real < 0 or not math.isfinite(real):
        raise ValueError(f"multiplier must be finite and >= 0, got {real}")
    q, shift = math.frexp(real)
    q_fixed = round_half_away(q * (1 << 31))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if shift > 30:
        raise ValueError(f"multiplier {real} too large for int32 requantisation")
    return int(q_fixed), int(shift)


def saturating_rounding_doubling_high_mul(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """gemmlowp: (a * b * 2 + 2^31 rounding nudge) >> 32, truncating division, INT32_MIN*INT32_MIN
    saturates."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    overflow = (a == b) & (a == INT32_MIN)
    ab = a * b
    nudge = np.where(ab >= 0, np.int64(1 << 30), np.int64(1 - (1 << 30)))
    s = ab + nudge
    # C integer division truncates toward zero; numpy // floors, so divide magnitudes.
    hi = np.sign(s) * (np.abs(s) // (1 << 31))
    return np.where(overflow, np.int64(INT32_MAX), hi).astype(np.int64)


def rounding_divide_by_pot(x: np.ndarray, exponent: np.ndarray | int) -> np.ndarray:
    """gemmlowp: x / 2^exponent rounded to nearest, halves away from zero."""
    x = np.asarray(x, dtype=np.int64)
    e = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0).astype(np.int64)
    return (x >> e) + (remainder > threshold).astype(np.int64)


def multiply_by_quantized_multiplier(
    x: np.ndarray, multiplier: np.ndarray | int, shift: np.ndarray | int
) -> np.ndarray:
    """TFLite's MultiplyByQuantizedMultiplier(int32 x, m, shift), double rounding. Broadcasts."""
    x = np.asarray(x, dtype=np.int64)
    m = np.asarray(multiplier, dtype=np.int64)
    s = np.asarray(shift, dtype=np.int64)
    left = np.maximum(s, 0)
    right = np.maximum(-s, 0)
    # x * 2^left wraps in int32 in C; the exporter keeps it in range, the test asserts it.
    shifted = x * (np.int64(1) << left)
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, m), right)


def multiply_by_quantized_multiplier_single(
    x: np.ndarray, multiplier: np.ndarray | int, shift: np.ndarray | int
) -> np.ndarray:
    """TFLITE_SINGLE_ROUNDING=1 variant (one rounding of x*m >> (31-shift)); kept to show which TFLM
    uses."""
    x = np.asarray(x, dtype=np.int64)
    m = np.asarray(multiplier, dtype=np.int64)
    total = 31 - np.asarray(shift, dtype=np.int64)
    return (x * m + (np.int64(1) << (total - 1))) >> total


def quantize_scalar(value: float, scale: float, zero_point: int) -> int:
    """One float32 value -> int32 code the way TFLM does it: round(float32(value / scale)) +
    zero_point."""
    q = np.float32(value) / np.float32(scale)
    return round_half_away(float(q)) + int(zero_point)


def activation_range(
    activation: str | None, scale: float, zero_point: int, qmin: int = -128, qmax: int = 127
) -> tuple[int, int]:
    """Fused activation -> int8 clamp bounds (TFLM CalculateActivationRangeQuantized)."""
    if activation in (None, "none"):
        return qmin, qmax
    if activation == "relu":
        return max(qmin, quantize_scalar(0.0, scale, zero_point)), qmax
    if activation == "relu6":
        return (
            max(qmin, quantize_scalar(0.0, scale, zero_point)),
            min(qmax, quantize_scalar(6.0, scale, zero_point)),
        )
    if activation == "relu_n1_to_1":
        return (
            max(qmin, quantize_scalar(-1.0, scale, zero_point)),
            min(qmax, quantize_scalar(1.0, scale, zero_point)),
        )
    raise ValueError(f"unknown fused activation {activation!r}")


def requantize(acc, multiplier, shift, output_zero_point: int, act_min: int = -128,
               act_max: int = 127) -> np.ndarray:
    """int32 accumulator -> int8 output: requantise, add the output zero point, clamp (every TFLM
    int8 kernel ends this way; C++: requantize_s8 in core_fixedpoint.h)."""
    out = multiply_by_quantized_multiplier(acc, multiplier, shift) + output_zero_point
    return np.clip(out, act_min, act_max).astype(np.int8)
