"""Hardsigmoid: clamp(x + 3, 0, 6) / 6."""
from __future__ import annotations

import numpy as np

from .activation import lower_pointwise
from .registry import activation, lowering


@activation("hardsigmoid", numpy=lambda x: np.clip(x / 6 + 0.5, 0, 1).astype(np.float32))
def hardsigmoid_functor() -> str:
    return "miniml::ActHardsigmoid()"


@lowering("aten.hardsigmoid.default", "aten.hardsigmoid_.default")
def lower_hardsigmoid(ctx, call):
    return lower_pointwise(ctx, call, ("hardsigmoid",))
