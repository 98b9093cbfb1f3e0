"""Requantisation arithmetic: quantize_multiplier, the numpy rounding and the C++ core_fixedpoint.h
agree, and TFLite Micro (the installed wheel) rounds twice (TFLITE_SINGLE_ROUNDING=0), not once."""

from __future__ import annotations

import int8_refs as ref
import numpy as np
import pytest
import tflm_oracle as tflm
from miniml.quant import fixedpoint as fp
from miniml.quant import params as qp


@pytest.mark.parametrize(
    "real,expected",
    {
        "half": (0.5, (1 << 30, 0)),
        "one": (1.0, (1 << 30, 1)),
        "third": (1 / 3, (1431655765, -1)),
        "tiny": (2.0**-40, (0, 0)),
        "zero": (0.0, (0, 0)),
        "carry": (1 - 2.0**-40, (1 << 30, 1)),  # rounds to 2^31: halved, exponent carried
    }.values(),
    ids=["half", "one", "third", "tiny", "zero", "carry"],
)
def test_quantize_multiplier(real, expected):
    assert fp.quantize_multiplier(real) == expected


def test_parity_mbqm_cpp_vs_numpy(driver):
    rng = np.random.default_rng(1)
    xs = np.concatenate(
        [
            [0, 1, -1, 2**31 - 1, -(2**31), 12345, -12345, 2**20, -(2**20)],
            rng.integers(-(2**24), 2**24, 200),
        ]
    )
    ms = rng.integers(1 << 30, 1 << 31, xs.size)
    ms[:9] = [
        1 << 30,
        (1 << 31) - 1,
        1 << 30,
        (1 << 31) - 1,
        (1 << 31) - 1,
        1431655765,
        1431655765,
        1 << 30,
        1 << 30,
    ]
    ss = rng.integers(-31, 1, xs.size)
    ss[::7] = rng.integers(0, 4, ss[::7].size)
    # Positive shifts only where x * 2^shift stays in int32 (TFLM's contract); elsewhere <= 0.
    big = np.abs(xs.astype(np.int64)) << np.maximum(ss, 0) >= 2**31
    ss[big] = -ss[big].clip(0)
    want = fp.multiply_by_quantized_multiplier(xs, ms, ss)
    got = driver("mbqm", [xs.size], np.stack([xs, ms, ss], 1))
    np.testing.assert_array_equal(got, want)


def test_parity_srdhm_both_implementations(driver):
    """The AVR 16x16-parts SaturatingRoundingDoublingHighMul equals the int64 one and numpy, signs
    and edges."""
    rng = np.random.default_rng(5)
    edge = [0, 1, -1, 2**31 - 1, -(2**31), 2**30, -(2**30), 2**16, -(2**16), 65535, -65535]
    a = np.concatenate([np.repeat(edge, len(edge)), rng.integers(-(2**31), 2**31, 3000)])
    b = np.concatenate([np.tile(edge, len(edge)), rng.integers(-(2**31), 2**31, 3000)])
    b[-1000:] = rng.integers(1 << 30, 1 << 31, 1000)  # the multipliers the kernels really use
    want = fp.saturating_rounding_doubling_high_mul(a, b)
    got = driver("srdhm", [a.size], np.stack([a, b], 1)).reshape(-1, 2)
    np.testing.assert_array_equal(got[:, 0], want)
    np.testing.assert_array_equal(got[:, 1], want)


def test_tflm_rounds_twice():
    """Find fully-connected cases where single and double rounding differ; TFLM must match
    double."""
    rng = np.random.default_rng(7)
    differing = 0
    for _ in range(30):
        # Effective scales near 0.3 give right shifts of 1-2, where the two roundings often differ.
        w = rng.integers(-4, 5, (16, 24)).astype(np.int8)
        x = rng.integers(-20, 20, 24).astype(np.int8)
        b = rng.integers(-50, 50, 16).astype(np.int32)
        in_s, out_s = 0.5, 0.37
        ws = rng.uniform(0.1, 0.4, 16).astype(np.float32)
        m, s = qp.channel_multipliers(in_s, ws, out_s)
        acc = w.astype(np.int64) @ (x.astype(np.int64) - 3) + b
        double = fp.multiply_by_quantized_multiplier(acc, m, s)
        single = fp.multiply_by_quantized_multiplier_single(acc, m, s)
        want = ref.linear_s8(x, 3, w, b, m, s, -7)
        got = tflm.fully_connected(x, in_s, 3, w, ws, b, out_s, -7)
        np.testing.assert_array_equal(got, want)
        differing += int(np.sum((double != single) & (np.abs(double - 7) < 128)))
    assert differing > 10, "no case separated the two rounding modes; widen the search"
