"""The two facts tree exactness rests on: threshold_f32 (float64 split -> float32) decides every float32
input as the float64 split does, and float_key orders float32 values as floats (the node arrays compare
keys), on random values, neighbours of the thresholds, signed zeros, subnormals and the extremes."""
from __future__ import annotations

import numpy as np

from miniml.classic.trees import float_key, threshold_f32


def _values(rng) -> np.ndarray:
    t = rng.standard_normal(2000) * np.exp(rng.uniform(-30, 30, 2000))
    edge = np.array([0.0, -0.0, 1e-45, -1e-45, 1e-38, -1e-38, 3.4e38, -3.4e38, 1.0, -1.0])
    return np.concatenate([t, edge])


def test_threshold_f32_decides_as_float64():
    rng = np.random.default_rng(0)
    t64 = _values(rng)
    t32 = threshold_f32(t64)
    near = t64.astype(np.float32)
    for x in (near, np.nextafter(near, np.float32(np.inf)), np.nextafter(near, np.float32(-np.inf))):
        np.testing.assert_array_equal(x.astype(np.float64) <= t64, x <= t32)
    assert not np.any(np.signbit(t32) & (t32 == 0)), "a -0.0 threshold would break float_key"


def test_float_key_orders_as_floats():
    rng = np.random.default_rng(1)
    x = _values(rng).astype(np.float32)
    t = threshold_f32(rng.permutation(_values(rng)))
    np.testing.assert_array_equal(float_key(x) <= float_key(t), x <= t)
