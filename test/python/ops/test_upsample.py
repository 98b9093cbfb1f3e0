"""nn.Upsample / F.interpolate: nearest, nearest-exact, (bi)linear, align_corners both ways, by
scale_factor or size, 1-D and 2-D: parity with torch (the same source pixels, exactly)."""
import pytest
import torch.nn as nn
import torch.nn.functional as F

from harness import check_batch, run_cases


class Interp(nn.Module):
    def __init__(self, **kw):
        super().__init__()
        self.kw = kw
        self.conv = nn.Conv2d(2, 3, 1)

    def forward(self, x):
        return F.interpolate(self.conv(x), **self.kw)


class Interp1d(Interp):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.conv = nn.Conv1d(2, 3, 1)


GRID = {}
for mode in ("nearest", "nearest-exact", "bilinear"):
    aligns = (False, True) if mode == "bilinear" else (None,)
    for ac in aligns:
        tag = mode.replace("-", "_") + ("" if ac is None else f"_ac{int(ac)}")
        extra = {} if ac is None else {"align_corners": ac}
        GRID[f"{tag}_x2"] = dict(scale_factor=2, mode=mode, **extra)
        GRID[f"{tag}_x3"] = dict(scale_factor=3, mode=mode, **extra)
        GRID[f"{tag}_x1_5_x2_5"] = dict(scale_factor=(1.5, 2.5), mode=mode, **extra)
        GRID[f"{tag}_x0_5_down"] = dict(scale_factor=0.5, mode=mode, **extra)
        GRID[f"{tag}_size_7x9"] = dict(size=(7, 9), mode=mode, **extra)
        GRID[f"{tag}_size_3x4_down"] = dict(size=(3, 4), mode=mode, **extra)
        GRID[f"{tag}_size_1x1"] = dict(size=(1, 1), mode=mode, **extra)
GRID_1D = {
    "nearest_x2": dict(scale_factor=2, mode="nearest"),
    "nearest_size_11": dict(size=11, mode="nearest"),
    "nearest_exact_x1_7": dict(scale_factor=1.7, mode="nearest-exact"),
    "linear_x2": dict(scale_factor=2, mode="linear"),
    "linear_ac_size_13": dict(size=13, mode="linear", align_corners=True),
    "linear_size_4_down": dict(size=4, mode="linear"),
}

CASES = {f"2d_{k}": (lambda kw=kw: Interp(**kw), (1, 2, 5, 6)) for k, kw in GRID.items()}
CASES.update({f"1d_{k}": (lambda kw=kw: Interp1d(**kw), (1, 2, 7)) for k, kw in GRID_1D.items()})
CASES["upsample_module_nearest"] = (lambda: nn.Sequential(nn.Conv2d(2, 2, 1), nn.Upsample(scale_factor=2)),
                                    (1, 2, 4, 4))
CASES["upsample_module_bilinear"] = (
    lambda: nn.Sequential(nn.Conv2d(2, 2, 1), nn.Upsample(scale_factor=2, mode="bilinear")),
    (1, 2, 4, 4))


@pytest.fixture(scope="module")
def batch():
    return run_cases("ops_upsample", CASES, n_inputs=3)


@pytest.mark.parametrize("case", list(CASES))
def test_parity_upsample(batch, case):
    check_batch(batch, case)


def test_reject_upsample_bicubic():
    import torch

    import miniml
    from miniml.errors import UnsupportedOpError

    model = Interp(scale_factor=2, mode="bicubic").eval()
    with pytest.raises(UnsupportedOpError, match="upsample_bicubic2d"):
        miniml.export(model, torch.zeros(1, 2, 4, 4), "m", "/tmp")
