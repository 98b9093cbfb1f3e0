"""Tanh.

int8: a table at TFLM TANH's fixed output parameters (scale 1/128, zero point 0), where it equals
TFLM's TANH code for code."""
from __future__ import annotations

import numpy as np

from ..quant.params import QParams
from ._int8_common import float_table
from .activation import lower_pointwise
from .registry import activation, lowering


def tanh_table_s8(qx: QParams, qy: QParams):
    """TFLM TANH's output parameters, whatever the calibration saw ([-1, 1] in 256 steps)."""
    out = QParams(1.0 / 128.0, 0)
    return float_table(np.tanh, qx, out), out


@activation("tanh", numpy=np.tanh, table_s8=tanh_table_s8, backward="output")
def tanh_functor() -> str:
    return "miniml::ActTanh()"


@lowering("aten.tanh.default", "aten.tanh_.default")
def lower_tanh(ctx, call):
    return lower_pointwise(ctx, call, ("tanh",))
