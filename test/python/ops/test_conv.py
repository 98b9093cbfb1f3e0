"""Conv1d/Conv2d parity grid: stride, padding (int, tuple, 'same', 'valid'), dilation, groups."""
import pytest
import torch.nn as nn

from harness import check_batch, run_cases

CONV2D = {
    "k3_s1_p0": dict(in_channels=3, out_channels=4, kernel_size=3),
    "k3_s1_p1": dict(in_channels=3, out_channels=4, kernel_size=3, padding=1),
    "k3_s2_p1": dict(in_channels=3, out_channels=5, kernel_size=3, stride=2, padding=1),
    "k5_s3_p2": dict(in_channels=2, out_channels=3, kernel_size=5, stride=3, padding=2),
    "k1x3_asym_stride": dict(in_channels=2, out_channels=3, kernel_size=(1, 3), stride=(2, 1),
                             padding=(0, 1)),
    "k3_same": dict(in_channels=3, out_channels=4, kernel_size=3, padding="same"),
    "k4_same_even": dict(in_channels=2, out_channels=3, kernel_size=4, padding="same"),
    "k2x4_same_dil2": dict(in_channels=2, out_channels=2, kernel_size=(2, 4), padding="same",
                           dilation=2),
    "k3_valid": dict(in_channels=2, out_channels=2, kernel_size=3, padding="valid"),
    "k3_dil2": dict(in_channels=2, out_channels=3, kernel_size=3, dilation=2, padding=1),
    "k3_dil_2x3_s2": dict(in_channels=2, out_channels=3, kernel_size=3, dilation=(2, 3), stride=2),
    "groups2": dict(in_channels=4, out_channels=6, kernel_size=3, groups=2, padding=1),
    "depthwise": dict(in_channels=4, out_channels=4, kernel_size=3, groups=4, padding=1),
    "depthwise_mult2_s2": dict(in_channels=3, out_channels=6, kernel_size=3, groups=3, stride=2),
    "pointwise_no_bias": dict(in_channels=5, out_channels=7, kernel_size=1, bias=False),
    "k3_pad_exceeds": dict(in_channels=1, out_channels=2, kernel_size=3, padding=2, stride=2),
    # windows entirely in the padding (output = bias there)
    "k3_pad4_all_padding_rows": dict(in_channels=2, out_channels=2, kernel_size=3, padding=4),
    "k2_pad3_dil3_s2": dict(in_channels=2, out_channels=2, kernel_size=2, padding=3, dilation=3,
                            stride=2),
}
CONV1D = {
    "k3": dict(in_channels=2, out_channels=4, kernel_size=3),
    "k5_s2_p2": dict(in_channels=3, out_channels=4, kernel_size=5, stride=2, padding=2),
    "k4_same_even": dict(in_channels=2, out_channels=3, kernel_size=4, padding="same"),
    "k3_pad5": dict(in_channels=2, out_channels=3, kernel_size=3, padding=5),
    "k3_same_dil3": dict(in_channels=2, out_channels=3, kernel_size=3, padding="same", dilation=3),
    "k3_dil2_s3": dict(in_channels=2, out_channels=2, kernel_size=3, dilation=2, stride=3, padding=1),
    "groups2": dict(in_channels=4, out_channels=2, kernel_size=3, groups=2),
    "depthwise": dict(in_channels=6, out_channels=6, kernel_size=5, groups=6, padding=2),
    "no_bias": dict(in_channels=3, out_channels=3, kernel_size=1, bias=False),
}
CASES = {}
for k, kw in CONV2D.items():
    shape = (1, kw["in_channels"], 9, 11)
    CASES[f"conv2d_{k}"] = (lambda kw=kw: nn.Conv2d(**kw), shape)
for k, kw in CONV1D.items():
    CASES[f"conv1d_{k}"] = (lambda kw=kw: nn.Conv1d(**kw), (1, kw["in_channels"], 17))
CASES["conv2d_1x1_input"] = (lambda: nn.Conv2d(3, 2, 1), (1, 3, 1, 1))
CASES["conv2d_wide_32ch"] = (lambda: nn.Conv2d(32, 16, 3, padding=1), (1, 32, 8, 8))


@pytest.fixture(scope="module")
def batch():
    return run_cases("ops_conv", CASES)


@pytest.mark.parametrize("case", list(CASES))
def test_parity_conv(batch, case):
    check_batch(batch, case)


def test_lower_conv_macs(batch):
    r = batch.models["conv2d_depthwise"].report
    assert [x.op for x in r.layers] == ["conv2d"]
    assert r.macs == 4 * 9 * 11 * 1 * 9
    r = batch.models["conv1d_groups2"].report
    assert r.macs == 2 * 15 * 2 * 3
