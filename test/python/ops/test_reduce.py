"""mean / sum / amax / amin over any dims, keepdim both ways, and torch.max/min(x, dim) values:
parity with torch."""
import pytest
import torch
import torch.nn as nn

from harness import check_batch, run_cases


class Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


REDUCERS = {
    "mean": lambda x, d, k: x.mean(d, keepdim=k),
    "sum": lambda x, d, k: x.sum(d, keepdim=k),
    "amax": lambda x, d, k: x.amax(d, keepdim=k),
    "amin": lambda x, d, k: x.amin(d, keepdim=k),
    "max_dim": lambda x, d, k: torch.max(x, d if isinstance(d, int) else d[0], keepdim=k)[0],
    "min_dim": lambda x, d, k: torch.min(x, d if isinstance(d, int) else d[0], keepdim=k).values,
}
DIMS_3D = {"d1": 1, "d2": 2, "d_neg1": -1, "d12": (1, 2), "d13": (1, 3), "d123": (1, 2, 3),
           "d0": 0}
CASES = {}
for rname, fn in REDUCERS.items():
    for dname, d in DIMS_3D.items():
        if rname.endswith("_dim") and not isinstance(d, int):
            continue
        for keep in (False, True):
            if d == 0 and not keep:
                continue  # would drop the batch dimension
            CASES[f"{rname}_{dname}_keep{int(keep)}"] = (
                lambda fn=fn, d=d, keep=keep: Fn(lambda x: fn(x, d, keep)), (1, 3, 4, 5))
CASES["mean_1d_channels"] = (lambda: Fn(lambda x: x.mean(1)), (1, 6, 7))
CASES["sum_after_conv_then_linear"] = (
    lambda: nn.Sequential(nn.Conv1d(2, 4, 3), Fn(lambda x: x.sum(1)), nn.Linear(6, 3)), (1, 2, 8))


@pytest.fixture(scope="module")
def batch():
    return run_cases("ops_reduce", CASES, n_inputs=3)


@pytest.mark.parametrize("case", list(CASES))
def test_parity_reduce(batch, case):
    check_batch(batch, case)


def test_lower_reduce(batch):
    assert [r.op for r in batch.models["mean_d123_keep1"].report.layers] == ["global_avg_pool"]
    assert [r.op for r in batch.models["mean_d1_keep0"].report.layers] == ["reduce"]
