"""Activations, standalone (after a pool, so not fused) and fused into Linear/Conv: parity with torch."""
import pytest
import torch.nn as nn

from harness import check_batch, run_cases

ACTS = {
    "relu": nn.ReLU,
    "relu6": nn.ReLU6,
    "hardtanh_m2_3": lambda: nn.Hardtanh(-2.0, 3.0),
    "leaky_relu": nn.LeakyReLU,
    "leaky_relu_slope_1_5": lambda: nn.LeakyReLU(1.5),
    "leaky_relu_slope_neg": lambda: nn.LeakyReLU(-0.3),
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "hardsigmoid": nn.Hardsigmoid,
    "hardswish": nn.Hardswish,
    "silu": nn.SiLU,
    "gelu": nn.GELU,
    "gelu_tanh": lambda: nn.GELU(approximate="tanh"),
}


class Scaled(nn.Module):
    """x * 4 first so inputs reach the saturating and tail regions of every activation."""

    def __init__(self, act):
        super().__init__()
        self.act = act

    def forward(self, x):
        return self.act(x * 4.0)


CASES = {}
for name, act in ACTS.items():
    CASES[f"{name}_standalone"] = (lambda act=act: Scaled(act()), (1, 3, 40))
    CASES[f"{name}_fused_linear"] = (lambda act=act: nn.Sequential(nn.Linear(10, 24), act()), (1, 10))
    CASES[f"{name}_fused_conv"] = (
        lambda act=act: nn.Sequential(nn.Conv1d(2, 4, 3), act()), (1, 2, 12))


@pytest.fixture(scope="module")
def batch():
    return run_cases("ops_activation", CASES, n_inputs=4)


@pytest.mark.parametrize("case", list(CASES))
def test_parity_activation(batch, case):
    check_batch(batch, case)


@pytest.mark.parametrize("name", list(ACTS))
def test_lower_activation_fused(batch, name):
    ops = [r.op for r in batch.models[f"{name}_fused_linear"].report.layers]
    assert len(ops) == 1 and ops[0].startswith("linear+"), ops
    ops = [r.op for r in batch.models[f"{name}_standalone"].report.layers]
    assert ops[-1] in ("relu", "hardtanh", "leaky_relu", "sigmoid", "tanh", "hardsigmoid",
                       "hardswish", "silu", "gelu", "gelu_tanh"), ops
