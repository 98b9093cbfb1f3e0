"""Linear and MLP parity: export -> host build (ASan/UBSan, -Werror) -> compare with torch."""
import pytest
import torch
import torch.nn as nn

from harness import build_batch, check_batch


def _seeded(m, seed):
    torch.manual_seed(seed)
    for p in m.parameters():
        nn.init.uniform_(p, -1.0, 1.0)
    return m.eval()


CASES = {
    "linear_4x3": (lambda: nn.Sequential(nn.Linear(4, 3)), (1, 4)),
    "linear_no_bias": (lambda: nn.Sequential(nn.Linear(7, 5, bias=False)), (1, 7)),
    "linear_relu": (lambda: nn.Sequential(nn.Linear(6, 9), nn.ReLU()), (1, 6)),
    "linear_wide_256x64": (lambda: nn.Sequential(nn.Linear(256, 64)), (1, 256)),
    "mlp_flatten_dropout": (
        lambda: nn.Sequential(nn.Flatten(), nn.Linear(12, 16), nn.ReLU(), nn.Dropout(0.3),
                              nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4)),
        (1, 3, 4),
    ),
"linear_rows_seq": (lambda: nn.Sequential(nn.Linear(5, 3), nn.GELU()), (1, 4, 5)),
    "linear_1x1": (lambda: nn.Sequential(nn.Linear(1, 1)), (1, 1)),
}


@pytest.fixture(scope="module")
def batch():
    built = {k: (_seeded(f(), i), s) for i, (k, (f, s)) in enumerate(CASES.items())}
    return build_batch("ops_linear", built)


@pytest.mark.parametrize("case", list(CASES))
def test_parity_linear(batch, case):
    check_batch(batch, case)


def test_lower_linear_relu_fused(batch):
    layers = batch.models["linear_relu"].report.layers
    assert [r.op for r in layers] == ["linear+relu"]
    assert batch.models["mlp_flatten_dropout"].report.macs == 12 * 16 + 16 * 16 + 16 * 4
