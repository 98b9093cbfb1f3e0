"""GroupNorm and InstanceNorm (affine or not, running statistics or not): parity with torch."""
import pytest
import torch.nn as nn

from harness import check_batch, run_cases


def after_conv(norm, dims=2):
    conv = nn.Conv2d(2, 6, 3) if dims == 2 else nn.Conv1d(2, 6, 3)
    return lambda: nn.Sequential(conv, norm())


CASES = {
    "group_norm_2_groups": (after_conv(lambda: nn.GroupNorm(2, 6)), (1, 2, 7, 7)),
    "group_norm_1_group_layernorm_like": (after_conv(lambda: nn.GroupNorm(1, 6)), (1, 2, 7, 7)),
    "group_norm_6_groups_no_affine": (after_conv(lambda: nn.GroupNorm(6, 6, affine=False)),
                                      (1, 2, 7, 7)),
    "group_norm_1d_eps": (after_conv(lambda: nn.GroupNorm(3, 6, eps=1e-2), 1), (1, 2, 12)),
    "group_norm_input": (lambda: nn.GroupNorm(1, 3), (1, 3, 9)),
    "instance_norm_1d": (after_conv(lambda: nn.InstanceNorm1d(6), 1), (1, 2, 12)),
    "instance_norm_1d_affine": (after_conv(lambda: nn.InstanceNorm1d(6, affine=True), 1),
                                (1, 2, 12)),
    "instance_norm_2d_affine": (after_conv(lambda: nn.InstanceNorm2d(6, affine=True)),
                                (1, 2, 6, 5)),
    "instance_norm_2d_running_stats": (
        after_conv(lambda: nn.InstanceNorm2d(6, affine=True, track_running_stats=True)),
        (1, 2, 6, 5)),
}


@pytest.fixture(scope="module")
def batch():
    return run_cases("ops_group_norm", CASES, n_inputs=4)


@pytest.mark.parametrize("case", list(CASES))
def test_parity_group_norm(batch, case):
    check_batch(batch, case)


def test_lower_group_norm(batch):
    assert [r.op for r in batch.models["group_norm_2_groups"].report.layers][-1] == "group_norm"
