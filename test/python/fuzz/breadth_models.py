"""Random models over #11's op set, for test_fuzz_breadth.py and `make fuzz`: seed -> (nn.Module, input
shape). Each model is a chain of random layers on a [1, C, L] or [1, C, H, W] activation (shapes
tracked, so every model is valid PyTorch), sometimes a residual, a constant operand, a second head."""
from __future__ import annotations

import random
from typing import Callable, List, Tuple

import torch
import torch.nn as nn

POINTWISE = [nn.ReLU, nn.ReLU6, nn.Sigmoid, nn.Tanh, nn.Hardswish, nn.Hardsigmoid, nn.SiLU, nn.GELU,
             nn.ELU, nn.SELU, nn.CELU, nn.Softplus, nn.Mish, nn.Softsign, nn.Tanhshrink,
             nn.Hardshrink, nn.Softshrink, nn.LeakyReLU, lambda: nn.Hardtanh(-0.5, 0.5)]
MATH = [torch.abs, torch.neg, torch.square, lambda x: torch.sqrt(x.abs() + 0.1),
        lambda x: torch.rsqrt(x.abs() + 0.1), lambda x: torch.log(x.abs() + 0.1),
        lambda x: torch.exp(x.clamp(-4, 4)), lambda x: x ** 3,
        lambda x: torch.reciprocal(x.abs() + 0.5)]


class Lambda(nn.Module):
    def __init__(self, fn: Callable, what: str):
        super().__init__()
        self.fn, self.what = fn, what

    def forward(self, x):
        return self.fn(x)

    def extra_repr(self) -> str:
        return self.what


class Residual(nn.Module):
    def __init__(self, body: nn.Module):
        super().__init__()
        self.body = body

    def forward(self, x):
        return self.body(x) + x


class ConstOperand(nn.Module):
    def __init__(self, c: int, dims: int, op: str):
        super().__init__()
        self.c = nn.Parameter(torch.rand((1, c) + (1,) * dims) + 0.5)
        self.op = op

    def forward(self, x):
        return {"add": x + self.c, "sub": self.c - x, "mul": x * self.c, "div": x / self.c,
                "max": torch.maximum(x, self.c - 1.0)}[self.op]


class TwoHeads(nn.Module):
    def __init__(self, trunk: nn.Module, c: int, classes: int):
        super().__init__()
        self.trunk = trunk
        self.a = nn.Linear(c, classes)
        self.b = nn.Linear(c, 2)

    def forward(self, x):
        h = self.trunk(x).mean(-1)
        while h.dim() > 2:
            h = h.mean(-1)
        return self.a(h), torch.sigmoid(self.b(h))


def _shuffle(x):
    """ShuffleNet's channel shuffle of 2 groups: view + transpose + view."""
    n, c, h, w = x.shape
    return x.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, c, h, w)


def _layer(rng: random.Random, c: int, size: List[int]) -> Tuple[nn.Module, int, List[int]]:
    """One random layer for an activation [1, c, *size]: (module, new c, new size)."""
    dims = len(size)
    conv = nn.Conv1d if dims == 1 else nn.Conv2d
    convt = nn.ConvTranspose1d if dims == 1 else nn.ConvTranspose2d
    kind = rng.choice(["conv", "conv", "convt", "up", "pool", "norm", "act", "act", "math",
                       "residual", "const", "reduce", "shuffle", "prelu", "dropout", "transpose",
                       "divide"])
    small = min(size)
    if kind == "conv" and small >= 3:
        out, k, s = rng.choice([2, 4, 6]), rng.choice([1, 2, 3]), rng.choice([1, 1, 2])
        pad = rng.choice([0, k // 2, "same"]) if s == 1 else rng.choice([0, k // 2])
        g = rng.choice([1, c]) if out % c == 0 else 1
        m = conv(c, out, k, stride=s, padding=pad, groups=g)
        new = [(n + 2 * (0 if pad == "same" else pad) - k) // s + 1 if pad != "same" else n
               for n in size]
        return m, out, new
    if kind == "convt" and max(size) <= 8:
        out, k, s = rng.choice([2, 4]), rng.choice([2, 3]), rng.choice([1, 2])
        p = rng.choice([0, 1]) if k > 1 else 0
        op = rng.choice([0, s - 1])
        return (convt(c, out, k, stride=s, padding=p, output_padding=op), out,
                [(n - 1) * s - 2 * p + k + op for n in size])
    if kind == "up" and max(size) <= 8:
        mode = rng.choice(["nearest", "nearest-exact", "linear" if dims == 1 else "bilinear"])
        ac = {} if mode.startswith("nearest") else {"align_corners": rng.random() < 0.5}
        return nn.Upsample(scale_factor=2, mode=mode, **ac), c, [2 * n for n in size]
    if kind == "pool" and small >= 4:
        pool = (nn.MaxPool1d if dims == 1 else nn.MaxPool2d) if rng.random() < 0.5 else (
            nn.AvgPool1d if dims == 1 else nn.AvgPool2d)
        return pool(2), c, [n // 2 for n in size]
    if kind == "norm":
        choice = rng.choice(["gn", "in", "bn"])
        if choice == "gn":
            return nn.GroupNorm(rng.choice([g for g in (1, 2, c) if c % g == 0]), c), c, size
        if choice == "in":
            cls = nn.InstanceNorm1d if dims == 1 else nn.InstanceNorm2d
            return cls(c, affine=rng.random() < 0.5), c, size
        return (nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d)(c), c, size
    if kind == "act":
        return rng.choice(POINTWISE)(), c, size
    if kind == "math":
        i = rng.randrange(len(MATH))
        return Lambda(MATH[i], f"math{i}"), c, size
    if kind == "residual":
        return Residual(nn.Sequential(conv(c, c, 3, padding=1), nn.ReLU())), c, size
    if kind == "const":
        return ConstOperand(c, dims, rng.choice(["add", "sub", "mul", "div", "max"])), c, size
    if kind == "reduce":
        spatial = tuple(range(2, 2 + dims))
        choice = rng.choice(["cat_mean", "amax_gate", "sum_gate"])
        if choice == "cat_mean":
            return Lambda(lambda x: torch.cat([x, x.mean(1, keepdim=True)], 1), choice), c + 1, size
        if choice == "amax_gate":
            return Lambda(lambda x: x * x.amax(-1, keepdim=True).amax(spatial[0], keepdim=True),
                          choice), c, size
        return Lambda(lambda x: x * torch.sigmoid(x.sum(spatial, keepdim=True)), choice), c, size
    if kind == "shuffle" and c % 2 == 0 and dims == 2:
        if rng.random() < 0.5:
            return nn.ChannelShuffle(2), c, size
        return Lambda(_shuffle, "view_transpose_shuffle"), c, size
    if kind == "transpose" and dims == 2:
        return Lambda(lambda x: x.transpose(2, 3), "transpose_hw"), c, size[::-1]
    if kind == "divide":
        return Lambda(lambda x: x / (1.5 + torch.sigmoid(x)), "div_tensor"), c, size
    if kind == "prelu":
        return nn.PReLU(rng.choice([1, c])), c, size
    if kind == "dropout":
        return nn.Dropout(0.3, inplace=rng.random() < 0.5), c, size
    return nn.Identity(), c, size


def random_model(seed: int) -> Tuple[nn.Module, Tuple[int, ...]]:
    rng = random.Random(seed)
    dims = rng.choice([1, 2])
    c = rng.choice([1, 2, 3])
    size = [rng.choice([6, 8, 12])] * dims if dims == 2 else [rng.choice([8, 12, 16])]
    shape = (1, c, *size)
    layers = []
    for _ in range(rng.randint(2, 6)):
        m, c, size = _layer(rng, c, size)
        layers.append(m)
    trunk = nn.Sequential(*layers)
    if rng.random() < 0.2:
        model: nn.Module = TwoHeads(trunk, c, 3)
    elif rng.random() < 0.5:
        model = nn.Sequential(trunk, nn.Flatten(), nn.Linear(c * _numel(size), 4),
                              rng.choice([nn.Identity(), nn.LogSoftmax(1), nn.Softmax(1)]))
    else:
        model = trunk
    torch.manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
    return model.eval(), shape


def _numel(size: List[int]) -> int:
    n = 1
    for d in size:
        n *= d
    return n


__all__ = ["random_model"]
