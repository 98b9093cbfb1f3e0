"""Hardswish: x * clamp(x + 3, 0, 6) / 6."""
from __future__ import annotations

import numpy as np

from .activation import lower_pointwise
from .registry import activation, lowering


@activation(
    "hardswish", numpy=lambda x: (x * np.clip(x / 6 + 0.5, 0, 1)).astype(np.float32),
    backward="input",
)
def hardswish_functor() -> str:
    return "miniml::ActHardswish()"


@lowering("aten.hardswish.default", "aten.hardswish_.default")
def lower_hardswish(ctx, call):
    return lower_pointwise(ctx, call, ("hardswish",))
