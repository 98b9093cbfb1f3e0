"""The activation table (ops registry ACTIVATIONS, one ActivationSpec per activation) is the one
source: the C++ functors of op_activation.h, the backward kernels, the tables derived from it (int8
clamps, BACKWARD_ACTS) and its numpy functions (calibration, int8 lookup tables) against torch."""

import inspect
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from miniml.ops import ACTIVATIONS
from miniml.ops._backward_common import act_grad
from miniml.ops._int8_common import is_clamp
from miniml.passes.split_training import BACKWARD_ACTS

INCLUDE = Path(__file__).resolve().parents[3] / "include" / "miniml"
ARGS = {"hardtanh": (-0.5, 2.0), "leaky_relu": (0.2,), "clamp_min": (-0.25,), "clamp_max": (0.75,),
        "elu": (0.7, 1.3, 0.5), "softplus": (2.0, 3.0), "hardshrink": (0.6,), "softshrink": (0.4,),
        "pow": (1.7,)}
POSITIVE = {"sqrt", "rsqrt", "log", "reciprocal", "pow"}  # compared on x > 0
TORCH = {
    "relu": F.relu,
    "hardtanh": lambda x, lo, hi: F.hardtanh(x, lo, hi),
    "clamp_min": lambda x, lo: torch.clamp(x, min=lo),
    "clamp_max": lambda x, hi: torch.clamp(x, max=hi),
    "leaky_relu": lambda x, s: F.leaky_relu(x, s),
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "hardsigmoid": F.hardsigmoid,
    "hardswish": F.hardswish,
    "silu": F.silu,
    "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "elu": lambda x, a, s, i: torch.where(x > 0, x * s, torch.expm1(x * i) * a * s),
    "softplus": lambda x, b, t: F.softplus(x, b, t),
    "mish": F.mish,
    "hardshrink": lambda x, lam: F.hardshrink(x, lam),
    "softshrink": lambda x, lam: F.softshrink(x, lam),
    "abs": torch.abs,
    "neg": torch.neg,
    "sqrt": torch.sqrt,
    "rsqrt": torch.rsqrt,
    "exp": torch.exp,
    "log": torch.log,
    "reciprocal": torch.reciprocal,
    "square": torch.square,
    "pow": torch.pow,
}


def test_activation_table_covers_the_cpp_functors():
    """Every miniml::Act* functor of op_activation.h (but ActNone) is one table entry, and back."""
    cpp = set(re.findall(r"^struct Act(\w+)", (INCLUDE / "op_activation.h").read_text(), re.M))
    used = set()
    for name, spec in ACTIVATIONS.items():
        args = ARGS.get(name, ())
        assert len(inspect.signature(spec.functor).parameters) == len(args), name
        used |= set(re.findall(r"miniml::Act(\w+)\(", spec.functor(*args)))
    assert used == cpp - {"None"}


def test_activation_table_derived_tables():
    assert set(BACKWARD_ACTS) == {k for k, s in ACTIVATIONS.items() if s.backward} == {
        "relu", "hardtanh", "leaky_relu", "sigmoid", "tanh", "hardswish", "silu", "gelu",
        "gelu_tanh"}
    # every derivative the backward rules name (ActGrad<Name>, same arguments) exists in C++
    train_cpp = (INCLUDE / "train_backward.h").read_text()
    for name in BACKWARD_ACTS:
        cls = re.match(r"miniml::(\w+)\(", act_grad((name, *ARGS.get(name, ())))).group(1)
        assert f"struct {cls} {{" in train_cpp, name
    clamps = {k for k in ACTIVATIONS if is_clamp((k, *ARGS.get(k, ())))}
    assert clamps == {"relu", "hardtanh", "clamp_min", "clamp_max"}
    assert set(TORCH) == set(ACTIVATIONS)


@pytest.mark.parametrize("name", sorted(TORCH))
def test_activation_table_numpy_matches_torch(name):
    """The numpy function (calibration, int8 tables) is torch's activation; a clamp's bounds are
    exactly where it clips."""
    spec = ACTIVATIONS[name]
    args = ARGS.get(name, ())
    x = np.linspace(-8, 8, 4001, dtype=np.float32)
    if name in POSITIVE:
        x = np.linspace(0.05, 8, 4001, dtype=np.float32)
    want = TORCH[name](torch.from_numpy(x), *args).numpy()
    got = np.asarray(spec.numpy(x, *args), np.float32)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    if spec.clamp is not None:
        lo, hi = spec.clamp(*args)
        clipped = np.clip(x, -np.inf if lo is None else lo, np.inf if hi is None else hi)
        np.testing.assert_array_equal(got, clipped)
