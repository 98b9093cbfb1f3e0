"""Hardswish: x * clamp(x + 3, 0, 6) / 6.

int8: a table of TFLM HARD_SWISH's 16-bit fixed-point arithmetic."""
from __future__ import annotations

import numpy as np

from ..quant.fixedpoint import quantize_multiplier
from ..quant.params import QParams
from ._int8_common import float_table
from .activation import lower_pointwise
from .registry import activation, lowering

I16_MIN, I16_MAX = -(1 << 15), (1 << 15) - 1


def _hardswish(x):
    return (x * np.clip(x / 6 + 0.5, 0, 1)).astype(np.float32)


def _to_int16_multiplier(m: int) -> int:
    """TFLM DownScaleInt32ToInt16Multiplier: the top 16 bits, rounded, saturated."""
    return I16_MAX if m >= (1 << 31) - 1 - (1 << 15) else (m + (1 << 15)) >> 16


def _trunc_div(a: int, b: int) -> int:
    return -(-a // b) if a < 0 else a // b


def _srdhm16(a: int, b: int) -> int:
    """gemmlowp SaturatingRoundingDoublingHighMul on int16."""
    if a == b == I16_MIN:
        return I16_MAX
    ab = a * b
    return _trunc_div(ab + ((1 << 14) if ab >= 0 else 1 - (1 << 14)), 1 << 15)


def _rdbpot(x: int, e: int) -> int:
    """gemmlowp RoundingDivideByPOT (halves away from zero)."""
    mask = (1 << e) - 1
    return (x >> e) + ((x & mask) > (mask >> 1) + (1 if x < 0 else 0))


def _sat16(v: int) -> int:
    return max(I16_MIN, min(I16_MAX, v))


def hardswish_table_s8(qx: QParams, qy: QParams):
    """TFLM HardSwishPrepare + reference HardSwish over the 256 codes (int16 steps, saturating)."""
    f = np.float32
    hires = f(f(1.0 / 128.0) * f(qx.scale))
    m_out, e_out = quantize_multiplier(float(f(hires / f(qy.scale))))
    if e_out > 0:  # TFLM refuses an output scale this fine; the exactly rounded table instead
        return float_table(_hardswish, qx, qy), qy
    m_relu, e_relu = quantize_multiplier(float(f(hires / f(3.0 / 32768.0))))
    m_out, m_relu = _to_int16_multiplier(m_out), _to_int16_multiplier(m_relu)
    table = []
    for code in range(-128, 128):
        hi = (code - qx.zero_point) * (1 << 7)
        pre = _srdhm16(hi, m_out)
        r = hi
        if e_relu > 0:
            r = _sat16(r * (1 << (e_relu - 1)))
        r = _srdhm16(r, m_relu)
        if e_relu > 0:
            r = _sat16(r * 2)
        if e_relu < 0:
            r = _rdbpot(r, -e_relu)
        r = (r + (1 << 15)) >> 1
        out = _trunc_div(r * pre, 1 << 15)  # SaturatingDoublingHighMul (r >= 0: no overflow case)
        out = _rdbpot(out, -e_out) + qy.zero_point
        table.append(max(-128, min(127, out)))
    return np.asarray(table, np.int8), qy


@activation("hardswish", numpy=_hardswish, table_s8=hardswish_table_s8, backward="input")
def hardswish_functor() -> str:
    return "miniml::ActHardswish()"


@lowering("aten.hardswish.default", "aten.hardswish_.default")
def lower_hardswish(ctx, call):
    return lower_pointwise(ctx, call, ("hardswish",))
