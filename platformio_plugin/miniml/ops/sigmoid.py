"""Sigmoid: 1 / (1 + exp(-x)).

int8: a table at TFLM LOGISTIC's fixed output parameters (scale 1/256, zero point -128), where it
equals TFLM's LOGISTIC code for code."""
from __future__ import annotations

import numpy as np

from ..quant.params import QParams
from ._int8_common import float_table
from .activation import lower_pointwise
from .registry import activation, lowering


def _sigmoid(x):
    return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32)


def sigmoid_table_s8(qx: QParams, qy: QParams):
    """TFLM LOGISTIC's output parameters, whatever the calibration saw ([0, 1] in 256 steps)."""
    out = QParams(1.0 / 256.0, -128)
    return float_table(_sigmoid, qx, out), out


@activation("sigmoid", numpy=_sigmoid, table_s8=sigmoid_table_s8, backward="output")
def sigmoid_functor() -> str:
    return "miniml::ActSigmoid()"


@lowering("aten.sigmoid.default", "aten.sigmoid_.default")
def lower_sigmoid(ctx, call):
    return lower_pointwise(ctx, call, ("sigmoid",))
