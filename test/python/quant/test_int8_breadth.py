"""int8 for #11's layers: every new activation and elementary function (a 256-entry table), the
ConvTranspose spreading step, nearest/nearest-exact Upsample, amax/amin/max.dim over any dims,
minimum/maximum and clamp with tensor bounds, constant operands: export -> host build (ASan/UBSan)
-> predict() and predict_int8() equal the numpy integer reference to the bit (0 LSB) and stay close
to torch. What int8 cannot do is refused by name."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import miniml
from int8_host import run_int8_models
from miniml.errors import UnsupportedOpError
from miniml.int8 import predict as predict_int8_graph
from miniml.int8 import run_int8


class Fn(nn.Module):
    def __init__(self, fn, c=2, conv=True):
        super().__init__()
        self.conv = nn.Conv1d(c, 4, 3) if conv else nn.Identity()
        self.fn = fn

    def forward(self, x):
        return self.fn(self.conv(x))


class ConstBound(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.conv = nn.Conv1d(2, 4, 3)
        self.register_buffer("c", torch.linspace(-0.5, 0.5, 4).reshape(1, 4, 1))
        self.fn = fn

    def forward(self, x):
        return self.fn(self.conv(x), self.c)


class TwoBranches(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.a, self.b = nn.Conv1d(2, 4, 3), nn.Conv1d(2, 4, 3)
        self.fn = fn

    def forward(self, x):
        return self.fn(self.a(x), 0.5 * self.b(x))


ACTS = {"elu": nn.ELU(), "selu": nn.SELU(), "celu": nn.CELU(0.7), "softplus": nn.Softplus(2.0, 3.0),
        "mish": nn.Mish(), "tanhshrink": nn.Tanhshrink(),
        "hardshrink": nn.Hardshrink(0.3), "softshrink": nn.Softshrink(0.3),
        "prelu_single": nn.PReLU(init=0.2)}
MATH = {"abs": torch.abs, "neg": torch.neg, "square": torch.square, "exp": torch.exp,
        "sqrt": lambda x: torch.sqrt(x.abs() + 0.1), "rsqrt": lambda x: torch.rsqrt(x.abs() + 0.1),
        "log": lambda x: torch.log(x.abs() + 0.1), "reciprocal": lambda x: 1 / (x.abs() + 0.5),
        "pow_3": lambda x: x ** 3}
L = (1, 2, 12)
CASES = {f"act_{k}": (lambda m=m: Fn(m), L) for k, m in ACTS.items()}
CASES.update({f"math_{k}": (lambda f=f: Fn(f), L) for k, f in MATH.items()})
CASES.update({
    "conv_transpose2d_s2": (lambda: nn.Sequential(
        nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(3, 2, 2, stride=2, groups=1)), (1, 2, 4, 4)),
    "conv_transpose1d_crop": (lambda: nn.Sequential(
        nn.ConvTranspose1d(2, 4, 3, padding=2), nn.Tanh(), nn.ConvTranspose1d(4, 2, 4, stride=3,
                                                                              padding=1)), L),
    "upsample_nearest_2d": (lambda: nn.Sequential(nn.Conv2d(2, 3, 1), nn.Upsample(scale_factor=2),
                                                  nn.Conv2d(3, 2, 3)), (1, 2, 4, 5)),
    "upsample_nearest_exact_1d": (lambda: Fn(lambda y: F.interpolate(y, size=17,
                                                                     mode="nearest-exact")), L),
    "amax_channels": (lambda: Fn(lambda y: y.amax(1, keepdim=True)), L),
    "amin_time": (lambda: Fn(lambda y: y.amin(2)), L),
    "max_dim_values": (lambda: Fn(lambda y: torch.max(y, 1)[0]), L),
    "maximum_two_tensors": (lambda: TwoBranches(torch.maximum), L),
    "minimum_two_tensors": (lambda: TwoBranches(torch.minimum), L),
    "clamp_const_bounds": (lambda: ConstBound(lambda y, c: torch.clamp(y, c - 0.3, c + 0.3)), L),
    "const_operands_affine": (lambda: ConstBound(lambda y, c: (y - c) * (c + 1.0)), L),
})
N_INPUTS = 5
# Hardshrink jumps by lambd at +-lambd: one quantisation step across the threshold moves the output
# by the jump, as it would in any int8 engine.
JUMP = {"act_hardshrink": 0.3}


@pytest.fixture(scope="module")
def built():
    rng = np.random.default_rng(1)
    cases = {}
    for cid, (f, shape) in CASES.items():
        torch.manual_seed(sum(map(ord, cid)))
        model = f().eval()
        cal = rng.standard_normal((48,) + shape[1:]).astype(np.float32)
        xs = (0.9 * cal[rng.permutation(len(cal))[:N_INPUTS]]).astype(np.float32)
        cases[cid] = (model, cal, xs)
    return run_int8_models("quant_breadth", cases)


@pytest.mark.parametrize("cid", CASES)
def test_parity_int8_breadth(cid, built):
    r = built[cid]
    g = r["graph"]
    want = predict_int8_graph(g, r["xs"]).reshape(N_INPUTS, -1)
    np.testing.assert_array_equal(r["y"], want)  # predict(): 0 LSB from the integer reference
    edges = g.meta["int8_edges"]
    want_q = np.stack([run_int8(g, x)[edges["output"]] for x in r["xs"]])
    np.testing.assert_array_equal(r["yq"], want_q)  # predict_int8()
    with torch.no_grad():
        yf = r["model"](torch.from_numpy(r["xs"])).numpy().reshape(N_INPUTS, -1)
    scale = g.tensor(edges["output"]).scale
    tol = 8 * scale + 0.05 * np.max(np.abs(yf)) + JUMP.get(cid, 0.0)
    assert np.max(np.abs(r["y"] - yf)) <= tol, (r["y"], yf)


class SoftmaxInside(nn.Module):
    """A softmax that is not the model's last layer (only a trailing one stays float)."""

    def __init__(self):
        super().__init__()
        self.conv, self.fc = nn.Conv1d(2, 4, 3), nn.Linear(10, 3)

    def forward(self, x):
        return self.fc(torch.softmax(self.conv(x), -1))


REFUSED = {
    "softmax_inside": (SoftmaxInside, L, "softmax has no int8 kernel"),
}


@pytest.mark.parametrize("cid", REFUSED)
def test_reject_int8_breadth(cid):
    f, shape, what = REFUSED[cid]
    cal = np.random.default_rng(0).standard_normal((8,) + shape[1:]).astype(np.float32)
    with pytest.raises(UnsupportedOpError) as e:
        miniml.analyze(f().eval(), torch.zeros(shape), "m", quantize="int8", calibration=cal)
    msg = str(e.value)
    assert what in msg and "node '" in msg and "float" in msg, msg


NEAREST_TFLM = {  # torch mode, size: the cases where torch and TFLite pick the same pixels
    "nearest_x2": ("nearest", (8, 10)),
    "nearest_down_3x4": ("nearest", (3, 4)),
    "nearest_7x9": ("nearest", (7, 9)),
    "nearest_exact_7x9": ("nearest_exact", (7, 9)),
    "nearest_exact_down_2x3": ("nearest_exact", (2, 3)),
}


@pytest.mark.parametrize("cid", NEAREST_TFLM)
def test_parity_upsample_s8_vs_tflm(cid):
    """upsample_s8's integer reference (what predict() equals) against TFLM's interpreter."""
    import tflm_oracle as tflm
    from miniml.ir import Node
    from miniml.ops import KERNELS
    from miniml.ops.upsample import source_scale

    mode, out = NEAREST_TFLM[cid]
    x = np.random.default_rng(3).integers(-128, 128, (3, 4, 5)).astype(np.int8)
    attrs = {"mode": mode, "align_corners": False, "channels": 3, "in_size": (4, 5),
             "out_size": out, "scale": tuple(source_scale(i, o, None, False)
                                            for i, o in zip((4, 5), out))}
    node = Node("up", "upsample_s8", ("x",), ("y",), attrs=attrs)
    ours = KERNELS["upsample_s8"].run(node, [x[None]], {})[0]
    want = tflm.resize_nearest(x, out, mode == "nearest_exact", 0.05, -3)
    np.testing.assert_array_equal(ours, want)


@pytest.mark.parametrize("kind", ["minimum", "maximum"])
def test_parity_minimum_maximum_s8_vs_tflm(kind):
    import tflm_oracle as tflm
    from miniml.ir import Node
    from miniml.ops import KERNELS

    rng = np.random.default_rng(4)
    a, b = (rng.integers(-128, 128, 96).astype(np.int8) for _ in range(2))
    node = Node("m", f"{kind}_s8", ("a", "b"), ("y",))
    ours = KERNELS[f"{kind}_s8"].run(node, [a[None], b[None]], {})[0]
    np.testing.assert_array_equal(ours, tflm.minimum_maximum(kind, a, b, 0.04, 7))


@pytest.mark.parametrize("stride", [(1, 1), (2, 2), (2, 1)])
def test_parity_conv_transpose_s8_vs_tflm(stride):
    """ConvTranspose2d in int8 (zero_insert_s8 + conv2d_s8 with the flipped kernel) against TFLM's
    TRANSPOSE_CONV with the same int8 weights, bias and scales: 0 LSB."""
    import tflm_oracle as tflm
    from miniml.api import int8_graph
    from miniml.ops._int8_common import unfold_bias

    torch.manual_seed(7)
    model = nn.Sequential(nn.ConvTranspose2d(3, 4, 3, stride=stride)).eval()
    cal = np.random.default_rng(7).standard_normal((16, 3, 4, 5)).astype(np.float32)
    g = int8_graph(model, torch.from_numpy(cal[:1]), calibration=cal)
    conv = next(n for n in g.nodes if n.op == "conv2d_s8")
    xq_name = g.meta["int8_edges"]["input"]
    xin, yout = g.tensor(xq_name), g.tensor(conv.outputs[0])
    w = g.params[conv.params["weight"]]
    # the conv's weight is the transposed-conv weight flipped with in/out swapped: undo both
    w_torch = np.ascontiguousarray(np.flip(w.data, (2, 3)).transpose(1, 0, 2, 3))
    bias = unfold_bias(g.params[conv.params["bias"]].data, w.data, xin.zero_point)
    for x in cal[:3]:
        env = run_int8(g, x)
        xq = env[xq_name].reshape(3, 4, 5)
        want = tflm.transpose_conv(xq, xin.scale, xin.zero_point, w_torch, w.scale, bias,
                                   yout.scale, yout.zero_point, stride)
        np.testing.assert_array_equal(env[conv.outputs[0]].reshape(want.shape), want)
