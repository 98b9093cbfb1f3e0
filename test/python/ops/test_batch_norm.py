"""BatchNorm1d/2d: folded into conv/linear (IR check) or a per-channel affine; parity with torch."""
import pytest
import torch.nn as nn

from harness import check_batch, run_cases

CASES = {
    "conv2d_bn": (lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)), (1, 3, 7, 7)),
    "conv2d_nobias_bn_relu": (
        lambda: nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4), nn.ReLU()),
        (1, 3, 7, 7)),
    "depthwise_bn_relu6": (
        lambda: nn.Sequential(nn.Conv2d(4, 4, 3, groups=4, padding=1), nn.BatchNorm2d(4),
                              nn.ReLU6()), (1, 4, 6, 6)),
    "conv1d_bn_relu": (lambda: nn.Sequential(nn.Conv1d(2, 5, 3), nn.BatchNorm1d(5), nn.ReLU()),
                       (1, 2, 20)),
    "linear_bn1d": (lambda: nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.Tanh()), (1, 6)),
    "bn1d_at_input": (lambda: nn.Sequential(nn.BatchNorm1d(6), nn.Linear(6, 3)), (1, 6)),
    "bn2d_after_pool": (lambda: nn.Sequential(nn.Conv2d(2, 3, 1), nn.MaxPool2d(2), nn.BatchNorm2d(3)),
                        (1, 2, 6, 6)),
    "bn_no_affine": (lambda: nn.Sequential(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3, affine=False)),
                     (1, 2, 4, 4)),
    "bn_eps_0_1": (lambda: nn.Sequential(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3, eps=0.1)), (1, 2, 4, 4)),
}


@pytest.fixture(scope="module")
def batch():
    return run_cases("ops_batch_norm", CASES)


@pytest.mark.parametrize("case", list(CASES))
def test_parity_batch_norm(batch, case):
    check_batch(batch, case)


def test_lower_batch_norm_folded(batch):
    ops = lambda k: [r.op for r in batch.models[k].report.layers]  # noqa: E731
    assert ops("conv2d_bn") == ["conv2d"]
    assert ops("conv2d_nobias_bn_relu") == ["conv2d+relu"]
    assert ops("depthwise_bn_relu6") == ["conv2d+hardtanh"]
    assert ops("conv1d_bn_relu") == ["conv1d+relu"]
    assert ops("linear_bn1d") == ["linear+tanh"]
    assert ops("bn1d_at_input") == ["batchnorm", "linear"]
    assert ops("bn2d_after_pool") == ["conv2d", "max_pool2d", "batchnorm"]
