"""LeakyReLU(negative_slope): x if x > 0 else x * slope (slope may be > 1 or < 0).

int8: a table of TFLM LEAKY_RELU's integer arithmetic (an identity and an alpha multiplier)."""
from __future__ import annotations

import numpy as np

from ..literals import float_literal
from ..quant.fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier
from ..quant.params import QParams
from .activation import lower_pointwise
from .registry import activation, lowering


def leaky_relu_table_s8(qx: QParams, qy: QParams, slope: float = 0.01):
    """TFLM QuantizeLeakyRelu over the 256 codes: multipliers from the float32 products
    in * alpha / out and in / out; a negative alpha rescales |alpha| and negates."""
    f = np.float32
    alpha = float(f(f(qx.scale) * f(slope)) / f(qy.scale))
    m_a, s_a = quantize_multiplier(abs(alpha))
    m_i, s_i = quantize_multiplier(float(f(qx.scale) / f(qy.scale)))
    d = np.arange(-128, 128, dtype=np.int64) - qx.zero_point
    neg = multiply_by_quantized_multiplier(d, m_a, s_a) * (-1 if alpha < 0 else 1)
    pos = multiply_by_quantized_multiplier(d, m_i, s_i)
    out = np.where(d >= 0, pos, neg) + qy.zero_point
    return np.clip(out, -128, 127).astype(np.int8), qy


@activation(
    "leaky_relu", numpy=lambda x, slope=0.01: np.where(x >= 0, x, x * np.float32(slope)),
    table_s8=leaky_relu_table_s8,
    backward="input",
)
def leaky_relu_functor(slope: float) -> str:
    return f"miniml::ActLeakyRelu({float_literal(slope)})"


@lowering("aten.leaky_relu.default", "aten.leaky_relu_.default")
def lower_leaky_relu(ctx, call):
    return lower_pointwise(ctx, call, ("leaky_relu", float(call.arg(1, "negative_slope", 0.01))))
