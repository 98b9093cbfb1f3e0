"""Programs already lowered to core ATen (ep.run_decompositions()): addmm with a folded transposed
weight, max_pool2d_with_indices, clamp, div, decomposed hardswish/silu... parity with torch."""
import pytest
import torch
import torch.nn as nn

from harness import build_batch, check_batch, prepare
from test_models import KitchenSink, SensorNet, TinyMobileNet, mlp

MODELS = {
    "sensor": (SensorNet, (1, 3, 64)),
    "mobilenet": (TinyMobileNet, (1, 1, 16, 16)),
    "mlp": (mlp, (1, 4, 4)),
    "kitchen_sink": (KitchenSink, (1, 2, 8, 8)),
    "clamp_min_max": (lambda: nn.Sequential(nn.Linear(6, 8), Clamp(-0.5, None), nn.Linear(8, 8),
                                            Clamp(None, 0.25)), (1, 6)),
}


class Clamp(nn.Module):
    def __init__(self, lo, hi):
        super().__init__()
        self.lo, self.hi = lo, hi

    def forward(self, x):
        return torch.clamp(x, self.lo, self.hi)


@pytest.fixture(scope="module")
def batch():
    cases = {}
    for i, (k, (factory, shape)) in enumerate(MODELS.items()):
        ep = torch.export.export(prepare(factory(), i), (torch.randn(*shape),))
        cases[k] = (ep.run_decompositions(), shape)
    return build_batch("capture_core_aten", cases)


@pytest.mark.parametrize("case", list(MODELS))
def test_parity_core_aten(batch, case):
    check_batch(batch, case)


def test_lower_core_aten_linear_folded(batch):
    ops = [r.op for r in batch.models["mlp"].report.layers]
    assert ops[0] == "linear+relu" and ops.count("linear") + ops.count("linear+relu") == 3, ops
