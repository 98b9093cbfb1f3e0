"""int8 forms of the layers #11 left float-only (per-channel PReLU, permute / channel shuffle,
sum / mean over any dims, several inputs, bilinear / linear upsample): export -> host build
(ASan/UBSan) -> predict() equals the integer reference (0 LSB) and stays within 2 output steps of
float PyTorch; each kernel's integer reference against TFLM's interpreter where TFLM has the op."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from int8_host import check_int8_run, run_int8_models, run_packed_models
from miniml.api import int8_graph
from miniml.int8 import predict as predict_int8_graph
from miniml.int8 import run_int8
from miniml.ops import KERNELS


class Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


class TwoBranches(nn.Module):
    """fn(conv_a(x), 1.5 + sigmoid(conv_b(x))): a divisor of one sign, away from 0."""

    def __init__(self, fn):
        super().__init__()
        self.a, self.b = nn.Conv1d(3, 4, 3), nn.Conv1d(3, 4, 3)
        self.fn = fn

    def forward(self, x):
        return self.fn(self.a(x), 1.5 + torch.sigmoid(self.b(x)))


class After(nn.Module):
    """fn after a Conv1d/Conv2d, so the op sees a calibrated, non-trivial int8 tensor."""

    def __init__(self, fn, conv):
        super().__init__()
        self.conv, self.fn = conv, fn

    def forward(self, x):
        return self.fn(self.conv(x))


SEQ, IMG = (1, 3, 10), (1, 3, 5, 6)
conv1 = lambda: nn.Conv1d(3, 4, 3)  # noqa: E731
conv2 = lambda: nn.Conv2d(3, 4, 3, padding=1)  # noqa: E731
def shuffle(y, g=2):
    """Channel shuffle as ShuffleNet writes it: view + transpose + view."""
    n, c, h, w = y.shape
    return y.view(n, g, c // g, h, w).transpose(1, 2).contiguous().view(n, c, h, w)


class Tokens(nn.Module):
    """[1, T, C] tokens -> Conv1d over time (a permute each way) -> a slice and a selected row."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(6, 4, 3, padding=1)

    def forward(self, x):
        y = self.conv(x.permute(0, 2, 1)).permute(0, 2, 1)
        return torch.cat([y[:, 1:6], y[:, 3:4]], 1)


CASES = {
    "prelu_per_channel_1d": (lambda: After(nn.PReLU(4, 0.1), conv1()), SEQ, "prelu_s8"),
    "prelu_per_channel_2d": (lambda: After(nn.PReLU(4, 0.3), conv2()), IMG, "prelu_s8"),
    "channel_shuffle_view_transpose": (lambda: nn.Sequential(conv2(), nn.ReLU(), Lambda(shuffle),
                                                             nn.Conv2d(4, 2, 1)), IMG, "permute_s8"),
    "channel_shuffle_module": (lambda: After(nn.ChannelShuffle(2), conv2()), IMG, "permute_s8"),
    "permute_slice_select_tokens": (Tokens, (1, 8, 6), "permute_s8"),
    "sum_channels": (lambda: After(Lambda(lambda y: y.sum(1)), conv1()), SEQ, "reduce_s8"),
    "mean_channels_keepdim": (lambda: After(Lambda(lambda y: y.mean(1, keepdim=True)), conv2()), IMG,
                              "reduce_s8"),
    "mean_channels_and_width": (lambda: After(Lambda(lambda y: y.mean((1, 3))), conv2()), IMG,
                                "reduce_s8"),
    "sum_all": (lambda: After(Lambda(lambda y: y.sum((1, 2), keepdim=True)), conv1()), SEQ,
                "reduce_s8"),
    "amax_height": (lambda: After(Lambda(lambda y: y.amax(2)), conv2()), IMG, "reduce_s8"),
    "group_norm_affine": (lambda: After(nn.GroupNorm(2, 4), conv2()), IMG, "group_norm_s8"),
    "group_norm_plain_1d": (lambda: After(nn.GroupNorm(4, 4, affine=False), conv1()), (1, 3, 34),
                            "group_norm_s8"),
    "instance_norm_2d_affine": (lambda: After(nn.InstanceNorm2d(4, affine=True), conv2()), IMG,
                                "group_norm_s8"),
    "instance_norm_1d": (lambda: After(nn.InstanceNorm1d(4), conv1()), (1, 3, 34),
                         "group_norm_s8"),
    "div_two_tensors": (lambda: TwoBranches(torch.div), SEQ, "div_s8"),
    "add_two_tensors": (lambda: TwoBranches(torch.add), SEQ, "add_s8"),
    "sub_two_tensors": (lambda: TwoBranches(torch.sub), SEQ, "add_s8"),
    "mul_two_tensors": (lambda: TwoBranches(torch.mul), SEQ, "mul_s8"),
    "softsign": (lambda: After(nn.Softsign(), conv1()), SEQ, "div_s8"),
    "pad_causal_1d": (lambda: After(Lambda(lambda y: F.pad(y, (2, 1))), conv1()), SEQ, "pad_s8"),
    "pad_2d": (lambda: After(Lambda(lambda y: F.pad(y, (1, 2, 0, 1))), conv2()), IMG, "pad_s8"),
    "bilinear_x2": (lambda: After(nn.Upsample(scale_factor=2, mode="bilinear"), conv2()), IMG,
                    "upsample_s8"),
    "bilinear_align_corners_size": (lambda: After(Lambda(lambda y: F.interpolate(
        y, size=(9, 7), mode="bilinear", align_corners=True)), conv2()), IMG, "upsample_s8"),
    "bilinear_down": (lambda: After(Lambda(lambda y: F.interpolate(
        y, size=(3, 4), mode="bilinear")), conv2()), IMG, "upsample_s8"),
    "linear_1d_x3": (lambda: After(nn.Upsample(scale_factor=3, mode="linear"), conv1()), SEQ,
                     "upsample_s8"),
    "linear_1d_align_corners": (lambda: After(nn.Upsample(size=13, mode="linear",
                                                          align_corners=True), conv1()), SEQ,
                                "upsample_s8"),
}
N_INPUTS = 4
# Output steps of float allowed beyond the default 2. A normalisation divides its int8 input's
# rounding (half an input step) by the group's standard deviation: a one-channel group whose spread
# is small next to the tensor's range turns it into about an output step per value (measured 2.13
# here; test_group_norm_s8_rounds_once holds the kernel itself to half a step of the exact result).
# nn.Softsign is x / (1 + |x|) in torch: three int8 steps (abs and + 1 as tables, div), three
# roundings (2.18 measured).
STEPS = {"instance_norm_1d": 2.5, "softsign": 2.5}


def _prelu_weights(model):
    """Weights that exercise the int8 forms: distinct PReLU slopes (one negative, one above 1),
    norm weights of both signs and a bias."""
    for m in model.modules():
        if isinstance(m, nn.PReLU):
            m.weight.data = torch.linspace(-0.4, 1.3, m.weight.numel())
        if isinstance(m, (nn.GroupNorm, nn.InstanceNorm1d, nn.InstanceNorm2d)) and m.affine:
            m.weight.data = torch.linspace(-1.2, 1.5, m.weight.numel())
            m.bias.data = torch.linspace(0.3, -0.2, m.bias.numel())


@pytest.fixture(scope="module")
def built():
    rng = np.random.default_rng(11)
    cases = {}
    for cid, (f, shape, _) in CASES.items():
        torch.manual_seed(sum(map(ord, cid)))
        model = f().eval()
        _prelu_weights(model)
        cal = rng.standard_normal((48,) + shape[1:]).astype(np.float32)
        xs = (0.9 * cal[:N_INPUTS]).astype(np.float32)
        cases[cid] = (model, cal, xs)
    return run_int8_models("quant_int8_ops", cases)


@pytest.mark.parametrize("cid", CASES)
def test_parity_int8_ops(cid, built):
    r = built[cid]
    assert CASES[cid][2] in {n.op for n in r["graph"].nodes}
    # add/sub/mul/div, prelu and the norms are called with a named constexpr struct, not
    # positional scalars
    struct = {"add_s8": "AddParams", "mul_s8": "MulParams", "div_s8": "DivParams",
              "prelu_s8": "PreluParams", "group_norm_s8": "GroupNormParams"}.get(CASES[cid][2])
    if struct:
        assert f"constexpr miniml::{struct}" in r["header"], r["header"]
    err = check_int8_run(r)
    assert err <= STEPS.get(cid, 2.0), (cid, err)


def _node_and_input(model, shape, op, seed=5):
    """An int8 graph of the model, its first `op` node and that node's int8 input for a calibration
    sample: the real parameters the exporter chose."""
    cal = np.random.default_rng(seed).standard_normal((32,) + shape[1:]).astype(np.float32)
    g = int8_graph(model.eval(), torch.from_numpy(cal[:1]), calibration=cal)
    node = next(n for n in g.nodes if n.op == op)
    env = run_int8(g, cal[0])
    return g, node, env[node.inputs[0]]


def _codes(n, seed=6):
    """n int8 codes over the whole range (the model's own input rarely reaches both ends)."""
    return np.random.default_rng(seed).integers(-128, 128, n).astype(np.int8)


def test_parity_prelu_s8_vs_tflm():
    import tflm_oracle as tflm

    model = After(nn.PReLU(4), conv2())
    _prelu_weights(model)
    g, node, x = _node_and_input(model, IMG, "prelu_s8")
    x = np.concatenate([x.reshape(4, -1), _codes(x.size).reshape(4, -1)], axis=1)
    alpha = g.params[node.params["alpha"]]
    xin, yout = g.tensor(node.inputs[0]), g.tensor(node.outputs[0])
    node = node.with_(attrs={**node.attrs, "inner": x.shape[1]})
    ours = KERNELS["prelu_s8"].run(node, [x[None]], {"alpha": alpha.data})[0]
    want = tflm.prelu(x, alpha.data, xin.scale, xin.zero_point, alpha.scale, yout.scale,
                      yout.zero_point)
    np.testing.assert_array_equal(ours, want)


def test_parity_permute_s8_vs_tflm():
    """A channel shuffle (and a 4-D transpose) as the exporter lowers it, against TFLM TRANSPOSE."""
    import tflm_oracle as tflm
    from miniml.ir import Node
    from miniml.ops.permute import collapse_permute, contiguous_strides

    x = _codes(4 * 6 * 5 * 3).reshape(4, 6, 5, 3)
    for perm in ([1, 0, 2, 3], [0, 3, 1, 2], [2, 0, 3, 1]):
        shape, p = collapse_permute(list(x.shape), perm)
        strides = contiguous_strides(shape)
        pad = 4 - len(shape)
        attrs = {"out_shape": (1,) * pad + tuple(shape[k] for k in p),
                 "strides": (0,) * pad + tuple(strides[k] for k in p), "offset": 0}
        node = Node("t", "permute_s8", ("x",), ("y",), attrs=attrs)
        ours = KERNELS["permute_s8"].run(node, [x.reshape(1, -1)], {})[0]
        np.testing.assert_array_equal(ours, tflm.transpose(x, perm, 0.1, 3).reshape(-1))


REDUCE_TFLM = {  # kind, input shape, axes (TFLM keep_dims)
    "mean_axis0": ("mean", (5, 4, 3), (0,)),
    "mean_axes_0_2": ("mean", (5, 4, 3), (0, 2)),
    "mean_count_3_7": ("mean", (3, 7, 2), (0, 1)),
    "sum_axis1": ("sum", (5, 4, 3), (1,)),
    "sum_all": ("sum", (5, 4, 3), (0, 1, 2)),
    "max_axis1": ("max", (5, 4, 3), (1,)),
    "max_axes_0_2": ("max", (5, 4, 3), (0, 2)),
    "min_axis0": ("min", (5, 4, 3), (0,)),
}


@pytest.mark.parametrize("cid", REDUCE_TFLM)
def test_parity_reduce_s8_vs_tflm(cid):
    """reduce_s8's integer reference (the exporter's own attrs, via lower_reduce's stride runs)
    against TFLM's MEAN / SUM / REDUCE_MAX / REDUCE_MIN."""
    import tflm_oracle as tflm
    from miniml.ir import Node
    from miniml.ops.reduce import _runs, mean_multiplier
    from miniml.quant.fixedpoint import quantize_multiplier

    kind, shape, axes = REDUCE_TFLM[cid]
    x = _codes(int(np.prod(shape))).reshape(shape)
    in_scale, in_zp = 0.05, -7
    out_scale, out_zp = (in_scale, in_zp) if kind in ("max", "min") else (0.031, 4)
    kept, red = _runs([1, *shape], [a + 1 for a in axes])
    pad = lambda runs: [(1, 0)] * (4 - len(runs)) + runs  # noqa: E731
    attrs = {"kind": kind, "count": int(np.prod([shape[a] for a in axes])),
             "out_shape": tuple(s for s, _ in pad(kept)),
             "out_strides": tuple(t for _, t in pad(kept)),
             "red_shape": tuple(s for s, _ in pad(red)),
             "red_strides": tuple(t for _, t in pad(red))}
    m, s = quantize_multiplier(in_scale / out_scale)
    if kind == "mean":
        m, s = mean_multiplier(m, s, attrs["count"])
    attrs.update(input_zero_point=in_zp, multiplier=m, shift=s, output_zero_point=out_zp)
    node = Node("r", "reduce_s8", ("x",), ("y",), attrs=attrs)
    ours = KERNELS["reduce_s8"].run(node, [x.reshape(1, -1)], {})[0].reshape(-1)
    want = tflm.reduce(kind, x, axes, in_scale, in_zp, out_scale, out_zp).reshape(-1)
    np.testing.assert_array_equal(ours, want)


class TwoInputs(nn.Module):
    """Two sensors fused (a residual add of their features and a gate), two heads."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Conv1d(2, 4, 3), nn.Conv1d(3, 4, 5, padding=1)
        self.gate = nn.Linear(6, 4)

    def forward(self, x, y, z):
        h = torch.relu(self.a(x)) + self.b(y)
        return h * torch.sigmoid(self.gate(z)).unsqueeze(2), h.mean(2)


def _host_predict(model, example, cal, name: str, xs: np.ndarray) -> np.ndarray:
    """predict() on the host (ASan/UBSan) for each packed row of xs: [len(xs), total outputs]."""
    return run_packed_models(f"quant_int8_{name}", {name: (model, example, cal, xs)})[name]["y"]


def _steps(g) -> np.ndarray:
    """The output step of every packed output value (each head dequantised at its own scale)."""
    return np.concatenate([np.full(g.tensor(n.outputs[0]).numel, g.tensor(n.inputs[0]).scale)
                           for n in g.nodes if n.op == "dequantize_s8"])


def test_parity_int8_several_inputs():
    """forward(x, y, z) in int8: each input quantised at its own range, predict(input0, input1,
    input2, output0, output1) equal to the integer reference (0 LSB), near float; calibration
    given as one array per input, or packed."""
    from miniml.api import build_header

    torch.manual_seed(3)
    model = TwoInputs().eval()
    rng = np.random.default_rng(3)
    cal = [rng.standard_normal((40,) + s).astype(np.float32) for s in ((2, 8), (3, 8), (6,))]
    example = tuple(torch.from_numpy(c[:1]) for c in cal)
    text = build_header(model, example, "three_in", quantize="int8", calibration=cal)[0]
    assert ("void predict(const float* input0, const float* input1, const float* input2, "
            "float* output0, float* output1)") in text
    assert "kInputScale2" in text and "several or index inputs: predict() only" in text
    packed = np.concatenate([c.reshape(40, -1) for c in cal], axis=1)
    g = int8_graph(model, example, calibration=packed)  # the packed form calibrates the same
    assert [n.op for n in g.nodes].count("quantize_s8") == 3
    xs = (0.9 * packed[:4]).astype(np.float32)
    ref = predict_int8_graph(g, xs)
    np.testing.assert_array_equal(_host_predict(model, example, cal, "three_in", xs), ref)
    with torch.no_grad():
        parts = [torch.from_numpy(xs[:, a:b].reshape((4,) + c.shape[1:]))
                 for a, b, c in ((0, 16, cal[0]), (16, 40, cal[1]), (40, 46, cal[2]))]
        yf = np.concatenate([t.reshape(4, -1).numpy() for t in model(*parts)], axis=1)
    assert (np.abs(ref - yf) / _steps(g)).max() <= 2.0


class BagOfWords(nn.Module):
    """Embedding + mean over the tokens + Linear, and a one_hot count of a second index input."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 8)
        self.fc = nn.Linear(8 + 6, 3)

    def forward(self, tokens, tags):
        counts = F.one_hot(tags, 6).float().sum(1)
        return self.fc(torch.cat([self.emb(tokens).mean(1), counts], 1))


def test_parity_int8_index_inputs():
    """Embedding and one_hot in int8 (int32 indices read as they are, the table int8 in flash):
    predict(const int32_t*, const int32_t*, float*) equals the integer reference, an index
    outside the table gives the zero point's row, near float."""
    torch.manual_seed(4)
    model = BagOfWords().eval()
    rng = np.random.default_rng(4)
    cal = [rng.integers(0, 50, (40, 7)), rng.integers(0, 6, (40, 3))]
    example = (torch.from_numpy(cal[0][:1]), torch.from_numpy(cal[1][:1]))
    g = int8_graph(model, example, calibration=cal)
    ops = [n.op for n in g.nodes]
    assert "embedding_s8" in ops and "one_hot_s8" in ops and "quantize_s8" not in ops
    xs = np.concatenate([c[:4] for c in cal], axis=1).astype(np.float32)
    xs[0, 2], xs[1, 8] = 50, -1  # outside the table and the classes: zero rows
    ref = predict_int8_graph(g, xs)
    np.testing.assert_array_equal(_host_predict(model, example, cal, "bag_s8", xs), ref)
    with torch.no_grad():
        tokens = torch.from_numpy(np.clip(xs[2:, :7], 0, 49).astype(np.int64))
        yf = model(tokens, torch.from_numpy(xs[2:, 7:].astype(np.int64))).numpy()
    assert (np.abs(ref[2:] - yf) / _steps(g)).max() <= 2.0


def test_parity_embedding_s8_vs_tflm():
    """embedding_s8's integer reference against TFLM GATHER of the same int8 table."""
    import tflm_oracle as tflm
    from miniml.ir import Node

    table = _codes(50 * 8).reshape(50, 8)
    idx = np.random.default_rng(8).integers(0, 50, 12).astype(np.int32)
    node = Node("e", "embedding_s8", ("i",), ("y",),
                attrs={"count": 12, "num_embeddings": 50, "embedding_dim": 8, "zero_point": 3})
    ours = KERNELS["embedding_s8"].run(node, [idx[None]], {"weight": table})[0]
    np.testing.assert_array_equal(ours.reshape(12, 8), tflm.gather(table, idx, 0.02, 3))


def test_reject_several_inputs_calibration_shape():
    import miniml
    from miniml.input_data import CalibrationError

    example = (torch.zeros(1, 2, 8), torch.zeros(1, 3, 8), torch.zeros(1, 6))
    one = np.zeros((16, 2, 8), np.float32)
    with pytest.raises(CalibrationError, match=r"3 inputs; give one array per input, a tuple "
                                               r"\(\[N, 2, 8\], \[N, 3, 8\], \[N, 6\]\)"):
        miniml.analyze(TwoInputs().eval(), example, "m", quantize="int8", calibration=one)
    uneven = [one, np.zeros((12, 3, 8), np.float32), np.zeros((16, 6), np.float32)]
    with pytest.raises(CalibrationError, match=r"have \[16, 12, 16\] samples"):
        miniml.analyze(TwoInputs().eval(), example, "m", quantize="int8", calibration=uneven)


BILINEAR_TFLM = {  # in (h, w), out (h, w), align_corners
    "x2_half_pixel": ((4, 5), (8, 10), False),
    "x2_align_corners": ((4, 5), (8, 10), True),
    "odd_up_half_pixel": ((4, 5), (9, 7), False),
    "odd_up_align_corners": ((4, 5), (9, 7), True),
    "down_half_pixel": ((6, 7), (3, 4), False),
    "one_row_linear": ((1, 6), (1, 17), False),
}


@pytest.mark.parametrize("cid", BILINEAR_TFLM)
def test_parity_bilinear_s8_vs_tflm(cid):
    """upsample_bilinear_s8's integer reference against TFLM's RESIZE_BILINEAR (int8)."""
    import tflm_oracle as tflm
    from miniml.ir import Node

    (h, w), out, align = BILINEAR_TFLM[cid]
    x = _codes(3 * h * w).reshape(3, h, w)
    attrs = {"mode": "linear", "align_corners": align, "channels": 3, "in_size": (h, w),
             "out_size": out, "scale": (1.0, 1.0)}
    node = Node("up", "upsample_s8", ("x",), ("y",), attrs=attrs)
    ours = KERNELS["upsample_s8"].run(node, [x[None]], {})[0]
    np.testing.assert_array_equal(ours, tflm.resize_bilinear(x, out, align, 0.05, -3))


@pytest.mark.parametrize("groups", [1, 2, 4])
def test_group_norm_s8_rounds_once(groups):
    """group_norm_s8 on its own int8 input is within one output step of the exact (float64)
    GroupNorm of that dequantised input: the int8 model's extra error is its input's rounding."""
    from miniml.quant.params import dequantize_s8

    model = After(nn.GroupNorm(groups, 4), conv2())
    _prelu_weights(model)
    g, node, x = _node_and_input(model, IMG, "group_norm_s8")
    xin, yout = g.tensor(node.inputs[0]), g.tensor(node.outputs[0])
    params = {k: g.params[v].data for k, v in node.params.items()}
    ours = KERNELS["group_norm_s8"].run(node, [x[None]], params)[0].reshape(groups, -1)
    v = dequantize_s8(x, xin.scale, xin.zero_point).astype(np.float64).reshape(groups, -1)
    norm = (v - v.mean(1, keepdims=True)) / np.sqrt(v.var(1, keepdims=True) + 1e-5)
    gn = model.fn
    exact = (norm.reshape(4, -1) * gn.weight.detach().numpy()[:, None]
             + gn.bias.detach().numpy()[:, None]) / yout.scale + yout.zero_point
    assert np.max(np.abs(ours.reshape(4, -1) - np.clip(exact, -128, 127))) <= 0.5 + 1e-3


DIV_TFLM = {  # a scale, a zp, b scale, b zp, out scale, out zp
    "equal_scales": (0.05, 3, 0.05, -7, 0.05, 0),
    "small_divisor_scale": (0.1, -20, 0.01, 5, 0.2, 10),
    "large_output_scale": (0.02, 0, 0.08, -128, 0.5, -3),
}


@pytest.mark.parametrize("cid", DIV_TFLM)
def test_parity_div_s8_vs_tflm(cid):
    """div_s8's integer reference (TFLM's reference DivElementwise with gemmlowp's reciprocal, the
    multiplier from the scales in double) equals the tflite-micro wheel's int8 DIV on every (a, b)
    code pair where TFLM's arithmetic is defined: b off its zero point (TFLM DCHECKs it) and the final
    rounding shift at most 31 bits (gemmlowp's RoundingDivideByPOT asserts it). small_divisor_scale
    has ~1% exact ties (quotient * scale ratio + zero point = k + 1/2), which a float32 ratio rounds
    the other way."""
    import tflm_oracle as tflm
    from miniml.ops.div import _leading_sign_bits, div_multiplier, div_s8, reciprocal_q31

    sa, za, sb, zb, so, zo = DIV_TFLM[cid]
    a, b = (v.ravel().astype(np.int8) for v in np.meshgrid(np.arange(-128, 128),
                                                           np.arange(-128, 128)))
    m, s = div_multiplier(sa, sb, so)
    num, den = (a.astype(int) - za).tolist(), (b.astype(int) - zb).tolist()
    defined = [d != 0 and s - reciprocal_q31(abs(d))[1] - _leading_sign_bits(
        x if d > 0 else -x) >= -31 for x, d in zip(num, den)]
    keep = np.flatnonzero(defined)
    assert len(keep) > 0.6 * len(a)
    ours = div_s8(a[keep], b[keep], za, zb, m, s, zo).astype(int)
    want = tflm.div(a[keep], b[keep], sa, za, sb, zb, so, zo).astype(int)
    assert np.array_equal(ours, want), np.flatnonzero(ours != want)[:10]


LUT_TFLM = {  # activation (and args), TFLM op, its options
    "sigmoid": (("sigmoid",), "LOGISTIC", {}),
    "tanh": (("tanh",), "TANH", {}),
    "hardswish": (("hardswish",), "HARD_SWISH", {}),
    "elu": (("elu", 1.0), "ELU", {}),
    "abs": (("abs",), "ABS", {}),
    "leaky_relu_0.01": (("leaky_relu", 0.01), "LEAKY_RELU", {"alpha": 0.01}),
    "leaky_relu_0.3": (("leaky_relu", 0.3), "LEAKY_RELU", {"alpha": 0.3}),
    "leaky_relu_negative": (("leaky_relu", -0.4), "LEAKY_RELU", {"alpha": -0.4}),
    "leaky_relu_above_1": (("leaky_relu", 1.7), "LEAKY_RELU", {"alpha": 1.7}),
}
QPARAMS = [(0.05, 0), (0.1, -20), (0.02, 40), (0.0313, -128), (0.17, 100)]


@pytest.mark.parametrize("cid", LUT_TFLM)
def test_parity_activation_table_vs_tflm(cid):
    """The int8 table an activation exports (ops/_int8_common.act_table) equals TFLM's int8 op on
    all 256 codes, for several input parameters and the output parameters the table chose."""
    import tflm_oracle as tflm
    from miniml.ops import ACTIVATIONS
    from miniml.ops._int8_common import apply_act, float_table
    from miniml.quant.params import QParams

    act, opcode, options = LUT_TFLM[cid]
    spec = ACTIVATIONS[act[0]]
    codes = np.arange(-128, 128).astype(np.int8)
    for s_in, z_in in QPARAMS:
        qx, calibrated = QParams(s_in, z_in), QParams(float(np.float32(s_in * 1.3)), z_in // 3)
        if spec.table_s8 is None:
            table, qy = float_table(lambda v: apply_act(act, v), qx, calibrated), calibrated
        else:
            table, qy = spec.table_s8(qx, calibrated, *act[1:])
        want = tflm.unary(opcode, codes, s_in, z_in, qy.scale, qy.zero_point, **options)
        np.testing.assert_array_equal(table, want, err_msg=f"{cid} at {s_in}, {z_in}")


def test_parity_rsqrt_table_vs_tflm():
    """rsqrt's table (the float function exactly rounded) equals TFLM's int8 RSQRT on every code
    above the zero point (TFLM defines it for positive inputs only)."""
    import tflm_oracle as tflm
    from miniml.ops._int8_common import apply_act, float_table
    from miniml.quant.params import QParams

    for s_in, z_in in [(0.05, -128), (0.1, -100), (0.0313, -120)]:
        codes = np.arange(z_in + 1, 128).astype(np.int8)
        qx, qy = QParams(s_in, z_in), QParams(0.05, -128)
        table = float_table(lambda v: apply_act(("rsqrt",), v), qx, qy)[codes.astype(int) + 128]
        want = tflm.unary("RSQRT", codes, s_in, z_in, qy.scale, qy.zero_point)
        np.testing.assert_array_equal(table, want)


def test_parity_pad_s8_vs_tflm():
    """pad_s8 as the exporter lowers F.pad(x, (2, 1, 1, 0)) against TFLM PAD (zero point fill)."""
    import tflm_oracle as tflm
    from miniml.ir import Node

    x = _codes(3 * 4 * 5).reshape(3, 4, 5)
    attrs = {"in_shape": (1, 3, 4, 5), "out_shape": (1, 3, 5, 8), "before": (0, 0, 1, 2),
             "value": 0.0, "value_code": -9}
    node = Node("p", "pad_s8", ("x",), ("y",), attrs=attrs)
    ours = KERNELS["pad_s8"].run(node, [x[None]], {})[0]
    want = tflm.pad(x, [(0, 0), (1, 0), (2, 1)], 0.05, -9)
    np.testing.assert_array_equal(ours.reshape(want.shape), want)


def test_reject_int8_pad_value_not_representable():
    import miniml
    from miniml.errors import UnsupportedOpError

    model = After(Lambda(lambda y: F.pad(y, (2, 0), value=0.37)), conv1()).eval()
    cal = np.random.default_rng(0).standard_normal((16,) + SEQ[1:]).astype(np.float32)
    with pytest.raises(UnsupportedOpError, match=r"int8 padding with 0.37, which the input's int8 "
                                                 r"range does not hold exactly"):
        miniml.analyze(model, torch.zeros(SEQ), "m", quantize="int8", calibration=cal)
