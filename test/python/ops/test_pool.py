"""Pooling parity grid: kernel, stride, padding, dilation, ceil_mode, count_include_pad, adaptive."""
import pytest
import torch
import torch.nn as nn

from harness import check_batch, run_cases


class Mean(nn.Module):
    def __init__(self, dims, keepdim):
        super().__init__()
        self.dims, self.keepdim = dims, keepdim

    def forward(self, x):
        return x.mean(self.dims, keepdim=self.keepdim)


POOL2D = {
    "max_k2": lambda: nn.MaxPool2d(2),
    "max_k3_s2": lambda: nn.MaxPool2d(3, stride=2),
    "max_k3_s2_p1": lambda: nn.MaxPool2d(3, stride=2, padding=1),
    "max_k2_ceil": lambda: nn.MaxPool2d(2, ceil_mode=True),
    "max_k3_s2_p1_ceil": lambda: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
    "max_k3_dil2": lambda: nn.MaxPool2d(3, stride=1, dilation=2),
    "max_k2x3_s1x2": lambda: nn.MaxPool2d((2, 3), stride=(1, 2)),
    "avg_k2": lambda: nn.AvgPool2d(2),
    "avg_k3_s2_p1": lambda: nn.AvgPool2d(3, stride=2, padding=1),
    "avg_k3_s2_p1_nopad": lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
    "avg_k2_ceil": lambda: nn.AvgPool2d(2, ceil_mode=True),
    "avg_k3_s2_p1_ceil": lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True),
    "avg_k3_s2_p1_ceil_nopad": lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
    "avg_k3_divisor5": lambda: nn.AvgPool2d(3, divisor_override=5),
    "adaptive_avg_1": lambda: nn.AdaptiveAvgPool2d(1),
    "adaptive_avg_3x1": lambda: nn.AdaptiveAvgPool2d((3, 1)),
    "mean_hw": lambda: Mean((2, 3), False),
    "mean_hw_keepdim": lambda: Mean((-1, -2), True),
}
POOL1D = {
    "max_k2": lambda: nn.MaxPool1d(2),
    "max_k3_s2_p1_ceil": lambda: nn.MaxPool1d(3, stride=2, padding=1, ceil_mode=True),
    "max_k3_dil2": lambda: nn.MaxPool1d(3, dilation=2),
    "avg_k3_s2_p1": lambda: nn.AvgPool1d(3, stride=2, padding=1),
    "avg_k3_s2_p1_nopad_ceil": lambda: nn.AvgPool1d(3, 2, 1, ceil_mode=True, count_include_pad=False),
    "avg_k4_ceil": lambda: nn.AvgPool1d(4, ceil_mode=True),
    "adaptive_avg_1": lambda: nn.AdaptiveAvgPool1d(1),
    "adaptive_avg_5": lambda: nn.AdaptiveAvgPool1d(5),
    "mean_last": lambda: Mean((-1,), False),
}
CASES = {f"pool2d_{k}": (f, (1, 3, 9, 12)) for k, f in POOL2D.items()}
CASES.update({f"pool1d_{k}": (f, (1, 4, 15)) for k, f in POOL1D.items()})
# max pool of a tensor that is all negative: the padding must not win with 0
CASES["pool2d_max_padding_negative"] = (
    lambda: nn.Sequential(nn.Conv2d(2, 2, 1), nn.ReLU(), nn.Flatten(1, -1), nn.Unflatten(1, (2, 6, 6)),
                          Neg(), nn.MaxPool2d(3, 2, 1)), (1, 2, 6, 6))


class Neg(nn.Module):
    def forward(self, x):
        return x * -1.0 - 1.0


@pytest.fixture(scope="module")
def batch():
    return run_cases("ops_pool", CASES)


@pytest.mark.parametrize("case", list(CASES))
def test_parity_pool(batch, case):
    check_batch(batch, case)


def test_lower_pool_global(batch):
    assert [r.op for r in batch.models["pool2d_adaptive_avg_1"].report.layers] == ["global_avg_pool"]
    assert [r.op for r in batch.models["pool1d_adaptive_avg_5"].report.layers] == ["avg_pool1d"]
    assert torch.Size(batch.models["pool2d_mean_hw"].report.output_shape) == torch.Size([1, 3])
