"""Composite models end to end: 1-D residual sensor CNN, 2-D CNN with depthwise-separable blocks, MLP."""
import pytest
import torch
import torch.nn as nn

from harness import check_batch, run_cases


class ResBlock1d(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv1d(c, c, 5, padding="same", bias=False)
        self.bn1 = nn.BatchNorm1d(c)
        self.conv2 = nn.Conv1d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm1d(c)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + x)


class SensorNet(nn.Module):
    """Accelerometer-style classifier: 3 axes x 64 samples -> 5 classes."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv1d(3, 8, 5, stride=2, padding=2), nn.BatchNorm1d(8), nn.ReLU())
        self.block1 = ResBlock1d(8)
        self.pool = nn.MaxPool1d(2)
        self.block2 = ResBlock1d(8)
        self.head = nn.Sequential(nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Dropout(0.2),
                                  nn.Linear(8, 5))

    def forward(self, x):
        return self.head(self.block2(self.pool(self.block1(self.stem(x)))))


def dw_separable(cin, cout, stride):
    return nn.Sequential(
        nn.Conv2d(cin, cin, 3, stride=stride, padding=1, groups=cin, bias=False),
        nn.BatchNorm2d(cin), nn.ReLU6(),
        nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU6(),
    )


class TinyMobileNet(nn.Module):
    """Small 2-D CNN with depthwise-separable blocks on a 16x16 grayscale image."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU6(),
            dw_separable(8, 16, 1),
            dw_separable(16, 16, 2),
            nn.AvgPool2d(2, ceil_mode=True),
        )
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 4),
                                        nn.Softmax(-1))

    def forward(self, x):
        return self.classifier(self.features(x))


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 32), nn.ReLU(), nn.Dropout(), nn.Linear(32, 16),
                         nn.Hardswish(), nn.Linear(16, 4), nn.LogSoftmax(-1))


class KitchenSink(nn.Module):
    """Every float kernel at least once (standalone and fused activations, pools, concat, gates)."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(2, 4, 3, padding="same")
        self.c2 = nn.Conv2d(4, 4, 3, groups=4, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.fc_gate = nn.Conv2d(8, 8, 1)
        self.c1d = nn.Conv1d(8, 6, 3)
        self.fc = nn.Linear(6 * 4, 10)
        self.acts = nn.ModuleList([nn.ReLU6(), nn.LeakyReLU(0.2), nn.Sigmoid(), nn.Tanh(),
                                   nn.Hardsigmoid(), nn.Hardswish(), nn.SiLU(), nn.GELU(),
                                   nn.GELU(approximate="tanh"), nn.ReLU()])

    def forward(self, x):
        a = self.acts[0](self.c1(x))
        b = self.acts[1](self.bn(self.c2(a)))
        y = torch.cat([a, b], 1)
        y = nn.functional.max_pool2d(y, 3, 2, 1, ceil_mode=True)
        g = torch.sigmoid(self.fc_gate(y.mean((2, 3), keepdim=True)))
        y = nn.functional.avg_pool2d(y * g + 0.5, 2, ceil_mode=True, count_include_pad=False)
        y = y.flatten(2)  # [1, 8, 3 * 3]
        y = nn.functional.pad(y.transpose(1, 2).transpose(1, 2), (1, 1))  # c1d has no padding
        y = self.acts[2](self.c1d(y))
        y = nn.functional.avg_pool1d(y, 2)
        for act in self.acts[3:]:
            y = act(y)
        y = nn.functional.max_pool1d(y, 1) - 0.25
        y = self.fc(y.flatten(1))
        return torch.log_softmax(y, -1) + torch.softmax(y, -1)


CASES = {
    "sensor_resnet1d": (SensorNet, (1, 3, 64)),
    "tiny_mobilenet2d": (TinyMobileNet, (1, 1, 16, 16)),
    "mlp": (mlp, (1, 4, 4)),
    "kitchen_sink": (KitchenSink, (1, 2, 8, 8)),
}


@pytest.fixture(scope="module")
def batch():
    return run_cases("models", CASES, n_inputs=5)


@pytest.mark.parametrize("case", list(CASES))
def test_parity_model(batch, case):
    check_batch(batch, case)


def test_model_report(batch):
    r = batch.models["tiny_mobilenet2d"].report
    assert r.arena_bytes >= r.arena_lower_bound > 0
    assert not any(x.op == "batchnorm" for x in r.layers)
    assert r.flash_bytes == sum(x.flash_bytes for x in r.layers)
    table = r.format_table()
    assert "features.0 (nn.Conv2d)" in table and "RAM sizeof(Model)" in table
