"""Softmax / LogSoftmax over the last dim: parity with torch, including large logits."""
import pytest
import torch
import torch.nn as nn

from harness import check_batch, run_cases


class Big(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x * 40.0)  # logits of +-100: overflows without the max subtraction


CASES = {
    "softmax_linear": (lambda: nn.Sequential(nn.Linear(8, 5), nn.Softmax(dim=-1)), (1, 8)),
    "softmax_dim1_2d": (lambda: nn.Sequential(nn.Linear(8, 5), nn.Softmax(dim=1)), (1, 8)),
    "log_softmax_linear": (lambda: nn.Sequential(nn.Linear(8, 5), nn.LogSoftmax(dim=-1)), (1, 8)),
    "softmax_rows": (lambda: nn.Sequential(nn.Conv1d(3, 4, 1), nn.Softmax(-1)), (1, 3, 7)),
    "log_softmax_rows": (lambda: nn.Sequential(nn.Conv1d(3, 4, 1), nn.LogSoftmax(-1)), (1, 3, 7)),
    "softmax_large_logits": (lambda: Big(nn.Softmax(-1)), (1, 2, 6)),
    "log_softmax_large_logits": (lambda: Big(nn.LogSoftmax(-1)), (1, 2, 6)),
    "softmax_functional": (lambda: nn.Sequential(nn.Linear(4, 3), FnSoftmax()), (1, 4)),
}


class FnSoftmax(nn.Module):
    def forward(self, x):
        return torch.softmax(x, -1)


@pytest.fixture(scope="module")
def batch():
    return run_cases("ops_softmax", CASES)


@pytest.mark.parametrize("case", list(CASES))
def test_parity_softmax(batch, case):
    check_batch(batch, case)
