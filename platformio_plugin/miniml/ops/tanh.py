"""Tanh."""
from __future__ import annotations

import numpy as np

from .activation import lower_pointwise
from .registry import activation, lowering


@activation("tanh", numpy=np.tanh, backward="output")
def tanh_functor() -> str:
    return "miniml::ActTanh()"


@lowering("aten.tanh.default", "aten.tanh_.default")
def lower_tanh(ctx, call):
    return lower_pointwise(ctx, call, ("tanh",))
