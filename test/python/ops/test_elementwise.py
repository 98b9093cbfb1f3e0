"""add / sub / mul (equal shapes, per-channel broadcast, scalars) and cat: parity with torch."""
import pytest
import torch
import torch.nn as nn

from harness import check_batch, run_cases


class Binary(nn.Module):
    """Two conv branches of the input combined by `fn` (so both operands live in the arena)."""

    def __init__(self, fn, c=3, out_b=None):
        super().__init__()
        self.a = nn.Conv2d(c, 4, 3, padding=1)
        self.b = nn.Conv2d(c, 4, 3, padding=1)
        self.fn = fn

    def forward(self, x):
        return self.fn(self.a(x), self.b(x))


class Gate(nn.Module):
    """Squeeze-and-excitation style: x * sigmoid(fc(mean(x))) with a [1, C, 1, 1] gate."""

    def __init__(self, add=False):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Conv2d(4, 4, 1)
        self.add = add

    def forward(self, x):
        y = self.conv(x)
        g = torch.sigmoid(self.fc(y.mean((2, 3), keepdim=True)))
        return y + g if self.add else g * y


class Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


S = (1, 3, 5, 6)
CASES = {
    "add": (lambda: Binary(lambda a, b: a + b), S),
    "sub": (lambda: Binary(lambda a, b: a - b), S),
    "mul": (lambda: Binary(lambda a, b: a * b), S),
    "add_self": (lambda: Fn(lambda x: x + x), S),
    "mul_self_input": (lambda: Fn(lambda x: x * x), S),
    "add_scalar": (lambda: Fn(lambda x: x + 1.5), S),
    "radd_scalar": (lambda: Fn(lambda x: 2 + x), S),
    "sub_scalar": (lambda: Fn(lambda x: x - 0.25), S),
    "mul_scalar": (lambda: Fn(lambda x: x * -3.0), S),
    "mul_channel_gate": (lambda: Gate(), S),
    "add_channel": (lambda: Gate(add=True), S),
    "cat_channels": (lambda: Binary(lambda a, b: torch.cat([a, b], 1)), S),
    "cat_three_with_input": (lambda: Binary(lambda a, b: torch.cat([a, b, a * b], dim=1)), S),
    "cat_last_dim": (lambda: Binary(lambda a, b: torch.cat([a, b], -1)), S),
    "cat_1d_with_input": (lambda: Fn(lambda x: torch.cat([x, x * 2.0], 1)), (1, 2, 9)),
    "identity_model": (lambda: nn.Sequential(nn.Identity()), S),
    "flatten_only_model": (lambda: nn.Sequential(nn.Flatten(), nn.Dropout()), S),
    "residual_chain": (lambda: Fn(lambda x: torch.relu(x * 2.0) + x), S),
}


@pytest.fixture(scope="module")
def batch():
    return run_cases("ops_elementwise", CASES)


@pytest.mark.parametrize("case", list(CASES))
def test_parity_elementwise(batch, case):
    check_batch(batch, case)


def test_lower_elementwise(batch):
    assert [r.op for r in batch.models["mul_channel_gate"].report.layers][-1] == "mul_channel"
    assert [r.op for r in batch.models["sub_scalar"].report.layers] == ["add_scalar"]
    assert [r.op for r in batch.models["cat_channels"].report.layers][-1] == "concat"
