"""Elementwise div of equal shapes, or by a Python number (as in decomposed Hardswish: ... / 6).

int8: by a number, a lookup table; of two tensors, TFLM's DIV (the divisor's fixed-point reciprocal,
gemmlowp's Newton-Raphson), with a zero divisor saturating as torch's +-inf does."""
from __future__ import annotations

from typing import Any

from functools import lru_cache
from typing import Tuple

import numpy as np

from ..ir import Node
from ..quant.fixedpoint import (
    multiply_by_quantized_multiplier,
    quantize_multiplier,
    saturating_rounding_doubling_high_mul,
)
from ..quant.params import f32
from ._binary_common import (
    binary_run,
    emit_binary,
    lower_binary,
    lower_scalar_s8,
)
from ._int8_common import clamp_bounds
from ._params_block import int_fields, params_block
from .registry import int8_rule, kernel, lowering

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


@lowering("aten.div.Tensor", "aten.div_.Tensor", "aten.div.Scalar",
          "aten.div_.Scalar")
def lower_div(ctx, call):
    if call.arg(2, "rounding_mode", None) is not None:
        return None
    return lower_binary(ctx, call, "div")


@kernel("div", header="op_elementwise.h", inplace=True, inplace_inputs=(0, 1))
class Div:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_binary("div_f32", node, e)

    run = staticmethod(binary_run)


@kernel("div_scalar", header="op_elementwise.h", inplace=True)
class DivScalar:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return emit_binary("div_scalar_f32", node, e)

    run = staticmethod(binary_run)


@int8_rule("div_scalar")
class DivScalarInt8:
    lower = staticmethod(lower_scalar_s8)


@int8_rule("div")
class DivInt8:
    @staticmethod
    def lower(n: Node, ins, y: str, q) -> list:
        qa, qb, qy = q.q[ins[0]], q.q[ins[1]], q.qparams(n.outputs[0])
        q.s8(y, n.outputs[0], qy)
        lo, hi = clamp_bounds(n.attrs.get("act"), qy)
        m, s = div_multiplier(qa.scale, qb.scale, qy.scale)
        attrs = {"a_zero_point": qa.zero_point, "b_zero_point": qb.zero_point, "multiplier": m,
                 "shift": s, "output_zero_point": qy.zero_point, "act_min": lo, "act_max": hi}
        return [n.with_(op="div_s8", inputs=ins, outputs=(y,), params={}, attrs=attrs)]


def div_multiplier(a_scale: float, b_scale: float, output_scale: float) -> Tuple[int, int]:
    """TFLM DIV's output multiplier / shift: a_scale / (b_scale * output_scale) from the float32 scales in
    double. Rounding that ratio to float32 first (50.0 instead of 50.0000011 for 0.1 / (0.01 * 0.2)) lowers
    the multiplier a few units, enough to round exact ties toward zero where TFLM rounds them away."""
    return quantize_multiplier(f32(a_scale) / (f32(b_scale) * f32(output_scale)))


def _shift_left_saturating(x: int, e: int) -> int:
    threshold = (1 << (31 - e)) - 1
    return INT32_MAX if x > threshold else INT32_MIN if x < -threshold else x << e


def _srdhm(a: int, b: int) -> int:
    return int(saturating_rounding_doubling_high_mul(a, b))


@lru_cache(maxsize=None)
def reciprocal_q31(x: int) -> Tuple[int, int]:
    """TFLM GetReciprocal(x, 31): (1 / (1 + a) in Q0.31, bits over unit) for x = 2^bits (1 + a)."""
    clz = 32 - x.bit_length()
    a = (x << clz) - (1 << 31)
    half = (a >> 1) + (1 << 30)  # RoundingHalfSum(a, One)
    r = 1515870810 + _srdhm(half, -1010580540)  # 48/17 - 32/17 * half, Q2.29
    for _ in range(3):
        r += _shift_left_saturating(_srdhm(r, (1 << 29) - _srdhm(half, r)), 2)
    return _shift_left_saturating(r, 1), 31 - clz


def _leading_sign_bits(x: int) -> int:
    """gemmlowp CountLeadingSignBits of an int32 (0 -> 31)."""
    if x >= 0:
        return 31 - x.bit_length()
    return 32 - (2 * -x - 1).bit_length()


def div_s8_scalar(num: int, den: int, multiplier: int, shift: int, output_zero_point: int,
                  act_min: int, act_max: int) -> int:
    """Integer reference of one div_s8 element (num, den: the inputs minus their zero points)."""
    if den == 0:
        v = act_max if num > 0 else act_min if num < 0 else output_zero_point
    elif num == 0:
        v = output_zero_point
    else:
        if den < 0:
            num, den = -num, -den
        inv, recip_shift = reciprocal_q31(den)
        headroom = _leading_sign_bits(num)
        q = _srdhm(num << headroom, inv)
        total = shift - recip_shift - headroom
        v = output_zero_point
        if total >= -31:
            v += int(multiply_by_quantized_multiplier(q, multiplier, total))
    return min(max(v, act_min), act_max)


def div_s8(a, b, a_zero_point, b_zero_point, multiplier, shift, output_zero_point, act_min=-128,
           act_max=127) -> np.ndarray:
    """Integer reference of div_s8 (TFLM int8 DIV, op_elementwise_s8.h): element by element."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    out = [div_s8_scalar(int(x) - a_zero_point, int(d) - b_zero_point, multiplier, shift,
                         output_zero_point, act_min, act_max) for x, d in zip(a.ravel(), b.ravel())]
    return np.asarray(out, np.int8).reshape(a.shape)


@kernel("div_s8", header="op_elementwise_s8.h")
class DivS8:
    @staticmethod
    def emit(node: Node, e) -> str:
        a = node.attrs
        x, b, y = e.t(node.inputs[0]), e.t(node.inputs[1]), e.t(node.outputs[0])
        quant = ("a_zero_point", "b_zero_point", "multiplier", "shift", "output_zero_point",
                 "act_min", "act_max")
        fields = [(e.g.tensor(node.inputs[0]).numel, "n")] + int_fields(a, quant)
        return params_block(node, e, "DivParams", fields, f"miniml::div_s8({x}, {b}, {{name}}, {y});")

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        a = node.attrs
        n = len(ins[0])
        return div_s8(ins[0].reshape(n, -1), ins[1].reshape(n, -1), a["a_zero_point"],
                      a["b_zero_point"], a["multiplier"], a["shift"], a["output_zero_point"],
                      a["act_min"], a["act_max"])
