"""ConvTranspose1d/2d over stride, padding, output_padding, dilation and groups: parity with torch."""
import pytest
import torch.nn as nn

from harness import check_batch, run_cases

GRID_2D = {
    "k3": dict(kernel_size=3),
    "k3_s2": dict(kernel_size=3, stride=2),
    "k3_s2_p1_op1": dict(kernel_size=3, stride=2, padding=1, output_padding=1),
    "k4_s2_p1": dict(kernel_size=4, stride=2, padding=1),
    "k2_s2": dict(kernel_size=2, stride=2),
    "k3_p2_crop": dict(kernel_size=3, padding=2),
    "k3_s3_p4_crop": dict(kernel_size=3, stride=3, padding=4),
    "k3_d2_s2": dict(kernel_size=3, dilation=2, stride=2),
    "k3_d2_p3_op1_s2": dict(kernel_size=3, dilation=2, padding=3, stride=2, output_padding=1),
    "k_2x3_s_2x1_p_1x0": dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 0)),
    "groups_2_s2": dict(kernel_size=3, stride=2, groups=2),
    "depthwise_s2": dict(kernel_size=3, stride=2, groups=4, out=4),
    "no_bias": dict(kernel_size=3, stride=2, bias=False),
}
GRID_1D = {
    "k3": dict(kernel_size=3),
    "k4_s2_p1": dict(kernel_size=4, stride=2, padding=1),
    "k5_s3_p2_op2": dict(kernel_size=5, stride=3, padding=2, output_padding=2),
    "k3_d3_s2_op1": dict(kernel_size=3, dilation=3, stride=2, output_padding=1),
    "k3_p3_crop": dict(kernel_size=3, padding=3),
    "groups_2": dict(kernel_size=3, stride=2, groups=2),
}


def make(dims, kw):
    kw = dict(kw)
    out = kw.pop("out", 6)
    cls = nn.ConvTranspose2d if dims == 2 else nn.ConvTranspose1d
    return lambda: nn.Sequential(cls(4, out, **kw), nn.ReLU())


CASES = {f"2d_{k}": (make(2, kw), (1, 4, 5, 4)) for k, kw in GRID_2D.items()}
CASES.update({f"1d_{k}": (make(1, kw), (1, 4, 7)) for k, kw in GRID_1D.items()})


@pytest.fixture(scope="module")
def batch():
    return run_cases("ops_conv_transpose", CASES, n_inputs=3)


@pytest.mark.parametrize("case", list(CASES))
def test_parity_conv_transpose(batch, case):
    check_batch(batch, case)


def test_lower_conv_transpose(batch):
    ops = [r.op for r in batch.models["2d_k3_s2"].report.layers]
    assert ops == ["zero_insert", "conv2d+relu"], ops
    ops = [r.op for r in batch.models["2d_k3"].report.layers]
    assert ops == ["conv2d+relu"], ops  # stride 1 needs no spreading: the padding does it
