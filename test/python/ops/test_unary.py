"""The activations and elementary functions of #11 (ELU family, Softplus, Mish, shrinks, PReLU,
Softsign, Tanhshrink, abs/neg/sqrt/rsqrt/exp/log/pow/reciprocal/square, in-place forms), standalone
and fused into a conv: parity with torch."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from harness import check_batch, run_cases


class Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def scaled(fn, k=4.0):
    """x * k first so inputs reach every branch (thresholds, saturation, the tails)."""
    return lambda: Fn(lambda x: fn(x * k))


def positive(fn):
    return lambda: Fn(lambda x: fn(x.abs() + 0.05))


ACTS = {
    "elu": nn.ELU,
    "elu_alpha_0_3": lambda: nn.ELU(0.3),
    "selu": nn.SELU,
    "celu": nn.CELU,
    "celu_alpha_2": lambda: nn.CELU(2.0),
    "softplus": nn.Softplus,
    "softplus_beta2_threshold3": lambda: nn.Softplus(2.0, 3.0),
    "mish": nn.Mish,
    "softsign": nn.Softsign,
    "tanhshrink": nn.Tanhshrink,
    "hardshrink": nn.Hardshrink,
    "softshrink_0_8": lambda: nn.Softshrink(0.8),
    "prelu_single": nn.PReLU,
}

MATH = {
    "abs": torch.abs,
    "neg": torch.neg,
    "exp": lambda x: torch.exp(x * 0.5),
    "square": torch.square,
    "pow_2": lambda x: x ** 2,
    "pow_3": lambda x: torch.pow(x, 3),
    "reciprocal_of_shifted": lambda x: torch.reciprocal(x.abs() + 0.5),
}
POSITIVE = {
    "sqrt": torch.sqrt,
    "rsqrt": torch.rsqrt,
    "log": torch.log,
    "pow_0_5": lambda x: x ** 0.5,
    "pow_1_7": lambda x: torch.pow(x, 1.7),
    "pow_neg_1_5": lambda x: x ** -1.5,
}
INPLACE = {
    "relu_": lambda x: F.relu(x * 1.0, inplace=True),
    "elu_": lambda x: F.elu(x * 1.0, inplace=True),
    "selu_": lambda x: F.selu(x * 1.0, inplace=True),
    "celu_": lambda x: F.celu(x * 1.0, inplace=True),
    "add_mul_sub_div_": lambda x: (x * 1.0).add_(1.0).mul_(2.0).sub_(0.5).div_(3.0),
    "abs_neg_": lambda x: (x * 1.0).abs_().neg_(),
    "exp_sqrt_": lambda x: (x * 0.5).exp_().sqrt_(),
    "clamp_min_max_": lambda x: (x * 1.0).clamp_min_(-0.5).clamp_max_(0.5),
    "hardtanh_sigmoid_tanh_": lambda x: torch.tanh_(torch.sigmoid_(F.hardtanh(x * 2.0, inplace=True))),
}

CASES = {}
for name, act in ACTS.items():
    CASES[f"{name}_standalone"] = (lambda act=act: Fn(lambda x, a=act(): a(x * 4.0)), (1, 3, 40))
    CASES[f"{name}_fused_conv"] = (lambda act=act: nn.Sequential(nn.Conv1d(2, 4, 3), act()),
                                   (1, 2, 12))
for name, fn in MATH.items():
    CASES[name] = (scaled(fn, 2.0), (1, 3, 40))
for name, fn in POSITIVE.items():
    CASES[name] = (positive(fn), (1, 3, 40))
for name, fn in INPLACE.items():
    CASES[f"inplace_{name}"] = (scaled(fn, 1.0), (1, 3, 20))
CASES["prelu_per_channel_conv"] = (lambda: nn.Sequential(nn.Conv2d(2, 4, 3), nn.PReLU(4)),
                                   (1, 2, 6, 6))
CASES["prelu_per_feature_linear"] = (lambda: nn.Sequential(nn.Linear(5, 6), nn.PReLU(6)), (1, 5))
CASES["exp_fused_linear"] = (lambda: nn.Sequential(nn.Linear(5, 6), Fn(torch.exp)), (1, 5))


@pytest.fixture(scope="module")
def batch():
    return run_cases("ops_unary", CASES, n_inputs=4)


@pytest.mark.parametrize("case", list(CASES))
def test_parity_unary(batch, case):
    check_batch(batch, case)


@pytest.mark.parametrize("name", list(ACTS))
def test_lower_unary_fused(batch, name):
    ops = [r.op for r in batch.models[f"{name}_fused_conv"].report.layers]
    assert ops[0].startswith("conv1d"), ops
    if name not in ("softsign", "tanhshrink"):  # decomposed by torch into several ops
        assert len(ops) == 1 and "+" in ops[0], ops
