"""SiLU (swish): x / (1 + exp(-x))."""
from __future__ import annotations

import numpy as np

from .activation import lower_pointwise
from .registry import activation, lowering


@activation(
    "silu", numpy=lambda x: (x / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32),
    backward="input",
)
def silu_functor() -> str:
    return "miniml::ActSilu()"


@lowering("aten.silu.default", "aten.silu_.default")
def lower_silu(ctx, call):
    return lower_pointwise(ctx, call, ("silu",))
