"""ReLU: the smallest complete op (copy this file, op_activation.h's ActRelu and test_relu.py)."""
from __future__ import annotations

import numpy as np

from .activation import lower_pointwise
from .registry import activation, lowering


@activation("relu", numpy=lambda x: np.maximum(x, 0), clamp=lambda: (0.0, None), backward="output")
def relu_functor() -> str:
    return "miniml::ActRelu()"


@lowering("aten.relu.default", "aten.relu_.default")
def lower_relu(ctx, call):
    return lower_pointwise(ctx, call, ("relu",))
