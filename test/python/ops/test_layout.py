"""permute / transpose / constant pad of activations: parity with torch; reflect padding refused."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import miniml
from harness import check_batch, run_cases


class Fn(nn.Module):
    def __init__(self, fn, mod=None):
        super().__init__()
        self.fn, self.mod = fn, mod

    def forward(self, x):
        return self.fn(self, x)


class TimeFirst(nn.Module):
    """Sensor data as [1, T, C] (time first), transposed for the Conv1d and back for a per-step Linear."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 5, 3, padding=1)
        self.fc = nn.Linear(5, 2)

    def forward(self, x):
        y = torch.relu(self.conv(x.transpose(1, 2)))
        return self.fc(y.permute(0, 2, 1))


class Causal(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(2, 3, 3, dilation=2)

    def forward(self, x):
        return self.conv(F.pad(x, (4, 0)))


CASES = {
    "transpose_time_first": (TimeFirst, (1, 10, 3)),
    "permute_nchw_to_nhwc": (lambda: Fn(lambda s, x: x.permute(0, 2, 3, 1) * 2.0), (1, 3, 4, 5)),
    "permute_3d_rotate": (lambda: Fn(lambda s, x: (x * 1.0).permute(0, 3, 1, 2)), (1, 2, 3, 4)),
    "pad_causal_conv1d": (Causal, (1, 2, 12)),
    "pad_2d_value": (lambda: Fn(lambda s, x: F.pad(x * 1.0, (1, 2, 0, 3), value=-1.5)), (1, 2, 3, 4)),
    "slice_trim_causal": (lambda: Fn(lambda s, x: (x * 2.0)[:, :, 1:-2]), (1, 3, 9)),
    "slice_step_2": (lambda: Fn(lambda s, x: (x * 2.0)[:, 1::2, :, ::3]), (1, 5, 3, 7)),
    "slice_channels_of_input": (lambda: Fn(lambda s, x: x[:, 2:4] + 1.0), (1, 5, 6)),
    "select_last_step": (lambda: Fn(lambda s, x: (x * 2.0)[:, :, -1]), (1, 4, 6)),
    "select_channel": (lambda: Fn(lambda s, x: (x * 2.0)[:, 1]), (1, 3, 4, 5)),
    "pad_channels": (lambda: Fn(lambda s, x: F.pad(x * 1.0, (0, 0, 2, 1))), (1, 3, 5)),
}


@pytest.fixture(scope="module")
def batch():
    return run_cases("ops_layout", CASES)


@pytest.mark.parametrize("case", list(CASES))
def test_parity_layout(batch, case):
    check_batch(batch, case)


def test_reject_reflect_pad():
    m = Fn(lambda s, x: F.pad(x, (1, 1), mode="reflect")).eval()
    with pytest.raises(miniml.UnsupportedOpError) as e:
        miniml.analyze(m, torch.randn(1, 2, 6), "m")
    assert "reflect" in str(e.value)
