"""Constant tensor operands (parameters, buffers) in add/sub/mul/div, minimum/maximum of two tensors,
clamp with tensor bounds, channel shuffle (view + transpose + view, nn.ChannelShuffle): parity with
torch."""
import pytest
import torch
import torch.nn as nn

from harness import check_batch, run_cases


class ConstOp(nn.Module):
    """conv -> (op with a constant of `shape`), the constant a parameter or a buffer."""

    def __init__(self, fn, shape, buffer=False, dims=1):
        super().__init__()
        self.conv = nn.Conv1d(2, 4, 3) if dims == 1 else nn.Conv2d(2, 4, 3)
        value = torch.rand(shape) + 0.5
        if buffer:
            self.register_buffer("c", value)
        else:
            self.c = nn.Parameter(value)
        self.fn = fn

    def forward(self, x):
        return self.fn(torch.relu(self.conv(x)), self.c)


class Two(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.a = nn.Conv1d(2, 4, 3)
        self.b = nn.Conv1d(2, 4, 3)
        self.fn = fn

    def forward(self, x):
        return self.fn(self.a(x), self.b(x))


OPS = {
    "add": lambda y, c: y + c,
    "sub": lambda y, c: y - c,
    "rsub": lambda y, c: c - y,
    "mul": lambda y, c: y * c,
    "div": lambda y, c: y / c,
    "rdiv": lambda y, c: c / (y + 1.0),
}
SHAPES = {"c11": (1, 4, 1), "c1": (4, 1), "full": (1, 4, 6), "row": (6,), "scalar0d": ()}
L = (1, 2, 8)
CASES = {}
for oname, fn in OPS.items():
    for sname, shape in SHAPES.items():
        CASES[f"{oname}_param_{sname}"] = (lambda fn=fn, shape=shape: ConstOp(fn, shape), L)
    CASES[f"{oname}_buffer_c11"] = (lambda fn=fn: ConstOp(fn, (1, 4, 1), buffer=True), L)
CASES["mul_2d_buffer_c_1_1"] = (
    lambda: ConstOp(lambda y, c: y * c, (1, 4, 1, 1), buffer=True, dims=2), (1, 2, 5, 5))
CASES["add_2d_param_w_only"] = (lambda: ConstOp(lambda y, c: y + c, (3,), dims=2), (1, 2, 5, 5))
CASES["minimum"] = (lambda: Two(torch.minimum), L)
CASES["maximum"] = (lambda: Two(torch.maximum), L)
CASES["minimum_const"] = (lambda: ConstOp(torch.minimum, (1, 4, 1)), L)
CASES["maximum_const_first"] = (lambda: ConstOp(lambda y, c: torch.maximum(c, y), (1, 4, 6)), L)
CASES["clamp_tensor_bounds"] = (lambda: Two(lambda a, b: torch.clamp(a, -b.abs(), b.abs())), L)
CASES["clamp_const_bounds"] = (lambda: ConstOp(lambda y, c: torch.clamp(y, c - 1.0, c), (1, 4, 1)), L)
CASES["clamp_min_tensor"] = (lambda: Two(lambda a, b: torch.clamp(a, min=b)), L)
CASES["clamp_max_tensor_"] = (lambda: Two(lambda a, b: a.clamp_(max=b)), L)
CASES["clamp_min_scalar"] = (lambda: Two(lambda a, b: torch.clamp_min(a + b, 0.2)), L)


class Shuffle(nn.Module):
    def __init__(self, module=False):
        super().__init__()
        self.conv = nn.Conv2d(2, 6, 1)
        self.shuffle = nn.ChannelShuffle(3) if module else None

    def forward(self, x):
        y = self.conv(x)
        if self.shuffle is not None:
            return self.shuffle(y)
        b, c, h, w = y.shape
        return y.view(b, 3, c // 3, h, w).transpose(1, 2).contiguous().view(b, c, h, w)


CASES["channel_shuffle_view_transpose"] = (lambda: Shuffle(), (1, 2, 3, 4))
CASES["channel_shuffle_module"] = (lambda: Shuffle(module=True), (1, 2, 3, 4))


@pytest.fixture(scope="module")
def batch():
    return run_cases("ops_broadcast_operands", CASES, n_inputs=3)


@pytest.mark.parametrize("case", list(CASES))
def test_parity_broadcast_operands(batch, case):
    check_batch(batch, case)


def test_reject_const_that_grows_the_activation():
    import miniml
    from miniml.errors import UnsupportedOpError

    model = ConstOp(lambda y, c: y + c, (2, 4, 6)).eval()
    with pytest.raises(UnsupportedOpError, match="must broadcast to the activation"):
        miniml.export(model, torch.zeros(L), "m", "/tmp")
