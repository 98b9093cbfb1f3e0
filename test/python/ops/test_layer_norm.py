"""LayerNorm over the last dimension (float): parity with torch, elementwise affine on and off."""
import pytest
import torch
import torch.nn as nn
from harness import check_batch, run_cases

_ln = nn.LayerNorm  # run_cases gives every parameter random values: the affine really applies


class Shifted(nn.Module):
    """A large common offset per row: the mean must be subtracted before squaring."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x * 3.0 + 50.0)


CASES = {
    "layer_norm_affine": (lambda: nn.Sequential(nn.Linear(6, 8), _ln(8)), (1, 6)),
    "layer_norm_no_affine": (
        lambda: nn.Sequential(nn.Linear(6, 8), _ln(8, elementwise_affine=False)), (1, 6)),
    "layer_norm_no_bias": (lambda: nn.Sequential(nn.Linear(6, 8), _ln(8, bias=False)), (1, 6)),
    "layer_norm_rows": (lambda: nn.Sequential(nn.Linear(5, 7), _ln(7), nn.ReLU()), (1, 4, 5)),
    "layer_norm_input_eps": (lambda: _ln(16, eps=1e-3), (1, 3, 16)),
    "layer_norm_shifted": (lambda: Shifted(_ln(12)), (1, 2, 12)),
}


@pytest.fixture(scope="module")
def batch():
    return run_cases("ops_layer_norm", CASES)


@pytest.mark.parametrize("case", list(CASES))
def test_parity_layer_norm(batch, case):
    check_batch(batch, case)


def test_reject_layer_norm_not_last_dim():
    import miniml
    from miniml.errors import UnsupportedOpError

    with pytest.raises(UnsupportedOpError) as e:
        miniml.analyze(nn.LayerNorm([3, 4]).eval(), torch.zeros(1, 2, 3, 4))
    assert "LayerNorm over [3, 4]" in str(e.value) and "normalized_shape = [C]" in str(e.value)
