"""quantize="int8" end to end: export -> host build (-Werror, ASan/UBSan) -> predict() and
predict_int8() equal the numpy int8 interpreter of the same graph to the bit (0 LSB), stay close to
torch, and the report shows int8 next to float sizes. Plus the calibration and unsupported-op error
messages."""

from __future__ import annotations

import re
import subprocess

import miniml
import numpy as np
import pytest
import torch
import torch.nn as nn
from harness import HOST_FLAGS, INCLUDE, compile_cpp
from int8_host import run_int8_models
from miniml.api import build_header, int8_graph
from miniml.errors import MinimlError, UnsupportedOpError
from miniml.int8 import predict as predict_int8_graph
from miniml.int8 import run_int8


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(2, 4, 3, padding=1)
        self.b = nn.Conv2d(2, 4, 1)
        self.gate = nn.Conv2d(2, 4, 1)
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        y = torch.relu(self.a(x)) + self.b(x)
        y = y * torch.sigmoid(self.gate(x))
        return self.head(nn.functional.adaptive_avg_pool2d(y, 1).flatten(1))


class FlattenResidual(nn.Module):
    """A flatten followed by a residual add of two differently shaped views of one buffer."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.fc = nn.Linear(32, 32)

    def forward(self, x):
        y = self.conv(x).flatten(1)
        return y + self.fc(y)


CASES = {
    "mlp_relu": (lambda: nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 4)), (1, 6)),
    "mlp_tanh_lut": (lambda: nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1)), (1, 5)),
    "cnn2d": (
        lambda: nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(4, 8, 3, padding=1, stride=1),
            nn.ReLU6(),
            nn.AvgPool2d(2),
            nn.Flatten(),
            nn.Linear(32, 10),
        ),
        (1, 1, 8, 8),
    ),
    "cnn2d_depthwise_dilated": (
        lambda: nn.Sequential(
            nn.Conv2d(3, 6, 3, padding=2, dilation=2),
            nn.ReLU(),
            nn.Conv2d(6, 6, 3, groups=6, stride=2),
            nn.LeakyReLU(0.1),
            nn.Flatten(),
            nn.Linear(6 * 4 * 4, 5),
        ),
        (1, 3, 9, 9),
    ),
    "cnn1d": (
        lambda: nn.Sequential(
            nn.Conv1d(2, 4, 5, padding=2),
            nn.Hardtanh(-0.5, 0.5),
            nn.MaxPool1d(2),
            nn.Conv1d(4, 4, 3, stride=2),
            nn.SiLU(),
            nn.Flatten(),
            nn.Linear(4 * 7, 3),
        ),
        (1, 2, 32),
    ),
    "residual_add_mul_gap": (Residual, (1, 2, 6, 6)),
    # Regressions: float exports the int8 calibration used to crash on.
    "conv1d_same_even": (
        lambda: nn.Sequential(
            nn.Conv1d(2, 4, 2, padding="same"),
            nn.ReLU(),
            nn.Conv1d(4, 3, 4, padding="same"),
            nn.Flatten(),
            nn.Linear(3 * 10, 3),
        ),
        (1, 2, 10),
    ),
    "conv2d_same_even": (
        lambda: nn.Sequential(
            nn.Conv2d(2, 3, 2, padding="same"),
            nn.Tanh(),
            nn.Conv2d(3, 3, 4, padding="same"),
            nn.ReLU(),
            nn.Conv2d(3, 2, (3, 4), padding="same"),
            nn.Flatten(),
            nn.Linear(2 * 6 * 7, 3),
        ),
        (1, 2, 6, 7),
    ),
    "flatten_residual": (FlattenResidual, (1, 1, 4, 4)),
    "linear_rows": (lambda: nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3)), (1, 4, 6)),
}
N_INPUTS = 6


def _model(cid):
    f, shape = CASES[cid]
    torch.manual_seed(sum(map(ord, cid)))
    return f().eval(), shape


@pytest.fixture(scope="module")
def built():
    rng = np.random.default_rng(0)
    cases = {}
    for cid in CASES:
        model, shape = _model(cid)
        cal = rng.standard_normal((64,) + shape[1:]).astype(np.float32)
        # Inputs inside the calibrated range (outside it the int8 input saturates, by design).
        xs = (0.9 * cal[rng.permutation(len(cal))[:N_INPUTS]]).astype(np.float32)
        cases[cid] = (model, cal, xs)
    return run_int8_models("quant_export", cases)


@pytest.mark.parametrize("cid", CASES)
def test_parity_int8_export(cid, built):
    r = built[cid]
    g = r["graph"]
    want = predict_int8_graph(g, r["xs"]).reshape(N_INPUTS, -1)
    np.testing.assert_array_equal(r["y"], want)  # predict(): bit-identical floats
    edges = g.meta["int8_edges"]
    want_q = np.stack([run_int8(g, x)[edges["output"]] for x in r["xs"]])
    np.testing.assert_array_equal(r["yq"], want_q)  # predict_int8()
    assert r["sizeof"] == r["report"].ram_bytes
    # And it is still the model: within a few output quantisation steps of torch.
    with torch.no_grad():
        yf = r["model"](torch.from_numpy(r["xs"])).numpy().reshape(N_INPUTS, -1)
    scale = g.tensor(edges["output"]).scale
    assert np.max(np.abs(r["y"] - yf)) <= 8 * scale + 0.05 * np.max(np.abs(yf)), (r["y"], yf)


def test_report_int8_vs_float(built):
    rep = built["cnn2d"]["report"]
    assert 0 < rep.flash_bytes < rep.float_flash_bytes
    assert 0 < rep.arena_bytes < rep.float_arena_bytes
    assert re.search(
        r"int8 vs float: flash \d+ B vs \d+ B, arena \d+ B vs \d+ B", rep.format_table()
    )
    ops = [row.op for row in rep.layers]
    assert ops[0] == "quantize_s8" and ops[-1] == "dequantize_s8" and "conv2d_s8" in ops


def test_lower_int8_header_constants(built):
    text = open(built["mlp_relu"]["report"].header_path).read()
    for c in ("kInputScale", "kInputZeroPoint", "kOutputScale", "kOutputZeroPoint"):
        assert re.search(rf"constexpr (float|int32_t) {c} = ", text), c
    assert "void predict_int8(const int8_t* input, int8_t* output)" in text
    assert "linear_f32" not in text and "miniml/op_linear.h" not in text


def _export_err(model, shape, **kw):
    with pytest.raises(MinimlError) as e:
        build_header(model, torch.zeros(shape), "bad", quantize="int8", **kw)
    return str(e.value)


def _predict_on_host(tmp_path, name: str, xs: np.ndarray, n_out: int) -> np.ndarray:
    """Runs <name>::Model::predict of the header exported into tmp_path on each row of xs, built
    for the host with sanitizers; returns the outputs [len(xs), n_out]."""
    flat = xs.reshape(len(xs), -1)
    rows = ",".join("{" + ",".join(f"{v:.9g}f" for v in x) + "}" for x in flat)
    src = tmp_path / "main.cpp"
    src.write_text(
        f'#include <stdio.h>\n#include "{name}.h"\nint main() {{\n  static {name}::Model m;\n'
        f"  static const float x[{len(flat)}][{flat.shape[1]}] = {{{rows}}};\n  float y[{n_out}];\n"
        f"  for (int k = 0; k < {len(flat)}; ++k) {{\n    m.predict(x[k], y);\n"
        f"    for (int i = 0; i < {n_out}; ++i)"
        ' printf("%.9g\\n", static_cast<double>(y[i]));\n  }\n'
        "  return 0;\n}\n"
    )
    exe = compile_cpp(str(src), str(tmp_path / name), [INCLUDE, str(tmp_path)], HOST_FLAGS)
    out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    return np.array([float(v) for v in out.split()], np.float32).reshape(len(flat), n_out)


def test_reject_calibration_wrong_shape():
    m, shape = _model("mlp_relu")
    msg = _export_err(m, shape, calibration=np.zeros((32, 7), np.float32))
    assert "shape [32, 7]" in msg and "[1, 6]" in msg and "[N, 6]" in msg


def test_reject_calibration_nan():
    m, shape = _model("mlp_relu")
    cal = np.random.default_rng(0).standard_normal((32, 6)).astype(np.float32)
    cal[5, 2] = np.nan
    assert "sample 5 contains NaN or Inf" in _export_err(m, shape, calibration=cal)


def test_reject_calibration_too_few():
    m, shape = _model("mlp_relu")
    msg = _export_err(m, shape, calibration=np.zeros((3, 6), np.float32))
    assert "holds 3 sample(s)" in msg and "at least 8" in msg


def test_reject_calibration_missing():
    m, shape = _model("mlp_relu")
    assert "needs calibration=" in _export_err(m, shape)


def test_reject_calibration_file(tmp_path):
    m, shape = _model("mlp_relu")
    assert "does not exist" in _export_err(m, shape, calibration=str(tmp_path / "nope.npy"))
    p = tmp_path / "cal.npy"
    np.save(p, np.random.default_rng(1).standard_normal((16, 6)).astype(np.float32))
    text, rep = build_header(m, torch.zeros(shape), "fromfile", quantize="int8", calibration=str(p))
    assert "predict_int8" in text


def test_reject_op_without_int8_kernel():
    m = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1), nn.Linear(3, 2)).eval()
    with pytest.raises(UnsupportedOpError) as e:
        build_header(
            m, torch.zeros(1, 4), "bad", quantize="int8", calibration=np.zeros((16, 4), np.float32)
        )
    msg = str(e.value)
    assert "softmax" in msg and "has no int8 kernel" in msg and "quantize=None" in msg


def test_final_softmax_runs_on_dequantised_logits(tmp_path):
    torch.manual_seed(8)
    m = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3), nn.Softmax(dim=1)).eval()
    cal = np.random.default_rng(8).standard_normal((32, 4)).astype(np.float32)
    g = int8_graph(m, torch.zeros(1, 4), calibration=cal)
    assert [n.op for n in g.nodes] == [
        "quantize_s8",
        "linear_s8",
        "linear_s8",
        "dequantize_s8",
        "softmax",
    ]
    y = predict_int8_graph(g, cal[:5])
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)
    with torch.no_grad():
        np.testing.assert_allclose(y, m(torch.from_numpy(cal[:5])).numpy(), atol=0.05)


class FlattenLogSoftmax(nn.Module):
    def forward(self, x):
        return torch.log_softmax(x.flatten(1), -1)


def test_all_float_tail_after_flatten(tmp_path):
    """flatten + log_softmax: the int8 part is only the edge (quantize, dequantize), the tail reads
    the dequantised input under a new name (it used to write the graph input twice)."""
    m = FlattenLogSoftmax().eval()
    cal = np.random.default_rng(9).standard_normal((32, 2, 3)).astype(np.float32)
    g = int8_graph(m, torch.zeros(1, 2, 3), calibration=cal)
    assert [n.op for n in g.nodes] == ["quantize_s8", "dequantize_s8", "log_softmax"]
    miniml.export(m, torch.zeros(1, 2, 3), "flat_ls", str(tmp_path), quantize="int8",
                  calibration=cal)
    got = _predict_on_host(tmp_path, "flat_ls", cal[:4], 6)
    np.testing.assert_allclose(got, predict_int8_graph(g, cal[:4]).reshape(4, 6), rtol=1e-5,
                               atol=1e-6)
    with torch.no_grad():
        np.testing.assert_allclose(got, m(torch.from_numpy(cal[:4])).numpy(), atol=0.05)


def test_slice_before_int8_tail(tmp_path):
    """A strided slice (it used to be refused: no int8 permute) runs as permute_s8 before the float
    log_softmax tail; the host predict() equals the integer reference."""

    class SliceLogSoftmax(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(8, 6)

        def forward(self, x):
            return torch.log_softmax(self.fc(x)[:, 1:5], -1)

    torch.manual_seed(4)
    m = SliceLogSoftmax().eval()
    cal = np.random.default_rng(4).standard_normal((32, 8)).astype(np.float32)
    g = int8_graph(m, torch.zeros(1, 8), calibration=cal)
    assert [n.op for n in g.nodes][-3:] == ["permute_s8", "dequantize_s8", "log_softmax"]
    miniml.export(m, torch.zeros(1, 8), "slice_ls", str(tmp_path), quantize="int8",
                  calibration=cal)
    got = _predict_on_host(tmp_path, "slice_ls", cal[:4], 4)
    np.testing.assert_allclose(got, predict_int8_graph(g, cal[:4]).reshape(4, 4), rtol=1e-5,
                               atol=1e-6)
    with torch.no_grad():
        np.testing.assert_allclose(got, m(torch.from_numpy(cal[:4])).numpy(), atol=0.05)


def _input_scale(g):
    return g.tensor(g.meta["int8_edges"]["input"]).scale


def test_calibration_percentile_ignores_an_outlier():
    m, shape = _model("mlp_relu")
    cal = np.random.default_rng(2).standard_normal((4000, 6)).astype(np.float32)
    cal[0, 0] = 80.0  # one outlier among 24000 values
    s_mm = _input_scale(int8_graph(m, torch.zeros(shape), calibration=cal))
    s = _input_scale(
        int8_graph(m, torch.zeros(shape), calibration=cal, calibration_method="percentile")
    )
    assert s < 0.2 * s_mm, (s, s_mm)


def test_calibration_mse_minimises_error():
    """MSE picks the range with the least quantise-dequantise error (never worse than min/max, which
    is one of its candidates); on heavy-tailed data it clips the tails."""
    from miniml.quant.params import observe_range, qparams_from_range

    x = np.random.default_rng(3).laplace(size=20000).astype(np.float32)

    def mse(lo_hi):
        q = qparams_from_range(*lo_hi)
        r = q.scale * (np.clip(np.round(x / q.scale) + q.zero_point, -128, 127) - q.zero_point)
        return float(np.mean((r - x) ** 2))

    mm, best = observe_range(x, "minmax"), observe_range(x, "mse")
    assert best[1] - best[0] < 0.99 * (mm[1] - mm[0])
    assert mse(best) < mse(mm)
    m, shape = _model("mlp_relu")
    cal = np.random.default_rng(4).laplace(size=(4000, 6)).astype(np.float32)
    s_mm = _input_scale(int8_graph(m, torch.zeros(shape), calibration=cal))
    s = _input_scale(int8_graph(m, torch.zeros(shape), calibration=cal, calibration_method="mse"))
    assert s < s_mm, (s, s_mm)


def test_reject_calibration_method():
    m, shape = _model("mlp_relu")
    msg = _export_err(m, shape, calibration=np.zeros((16, 6), np.float32), calibration_method="kl")
    assert "calibration_method='kl'" in msg and "minmax" in msg


def test_cli_export_int8(tmp_path):
    import sys

    m, shape = _model("cnn2d")
    ep = torch.export.export(m, (torch.zeros(shape),))
    torch.export.save(ep, str(tmp_path / "m.pt2"))
    np.save(
        tmp_path / "cal.npy",
        np.random.default_rng(5).standard_normal((32,) + shape[1:]).astype(np.float32),
    )
    base = [
        sys.executable,
        "-m",
        "miniml",
        "export",
        str(tmp_path / "m.pt2"),
        "--name",
        "cnn",
        "--out",
        str(tmp_path / "out"),
        "--quantize",
        "int8",
    ]
    r = subprocess.run(
        base + ["--calibration", str(tmp_path / "cal.npy"), "--calibration-method", "percentile"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert "int8 vs float: flash" in r.stdout
    assert "void predict_int8(" in (tmp_path / "out" / "cnn.h").read_text()
    np.save(tmp_path / "bad.npy", np.zeros((32, 3, 8, 8), np.float32))
    r = subprocess.run(
        base + ["--calibration", str(tmp_path / "bad.npy")], capture_output=True, text=True
    )
    assert r.returncode == 1 and "shape [32, 3, 8, 8]" in r.stderr, r.stderr


def test_mixed_precision_float_head(tmp_path):
    """quantize="int8" + on_device_learning: an int8 backbone, the learning Linear layers stay
    float."""
    torch.manual_seed(3)
    m = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64, 16),
        nn.ReLU(),
        nn.Linear(16, 4),
    ).eval()
    cal = np.random.default_rng(6).standard_normal((32, 1, 8, 8)).astype(np.float32)
    opts = dict(quantize="int8", calibration=cal, on_device_learning=True, trainable=2)
    g = int8_graph(m, torch.zeros(1, 1, 8, 8), **opts)
    assert [n.op for n in g.nodes] == [
        "quantize_s8",
        "conv2d_s8",
        "max_pool2d_s8",
        "dequantize_s8",
        "linear",
        "linear",
    ]
    rep = miniml.export(m, torch.zeros(1, 1, 8, 8), "mixed", str(tmp_path), **opts)
    text = open(rep.header_path).read()
    assert "float learn(const float* input, const float* target)" in text
    assert "void predict_int8" not in text
    xs = 0.9 * cal[:4]
    src = tmp_path / "main.cpp"
    src.write_text(
        '#include <stdio.h>\n#include "mixed.h"\nint main() {\n  static mixed::Model m;\n'
        "  static const float x[4][64] = {"
        + ",".join("{" + ",".join(f"{v:.9g}f" for v in x.reshape(-1)) + "}" for x in xs)
        + "};\n"
        "  float y[4];\n  for (int k = 0; k < 4; ++k) {\n    m.predict(x[k], y);\n"
        '    for (int i = 0; i < 4; ++i) printf("%.9g\\n", static_cast<double>(y[i]));\n  }\n'
        "  const float t[4] = {1, 0, 0, 0};\n  m.learn(x[0], t);\n  return 0;\n}\n"
    )
    exe = compile_cpp(str(src), str(tmp_path / "mixed"), [INCLUDE, str(tmp_path)], HOST_FLAGS)
    out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    got = np.array([float(v) for v in out.split()], np.float32).reshape(4, 4)
    want = predict_int8_graph(g, xs).reshape(4, 4)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_int8_goldens_are_the_int8_model(tmp_path):
    """golden=N with int8: the embedded outputs are the int8 model's, and the host build reproduces
    them bit for bit (so testing.h's check on a board tests the port, not quantisation error)."""
    m, shape = _model("cnn2d")
    cal = np.random.default_rng(7).standard_normal((32,) + shape[1:]).astype(np.float32)
    rep = miniml.export(
        m, torch.zeros(shape), "gold", str(tmp_path), quantize="int8", calibration=cal, golden=3
    )
    text = open(rep.header_path).read()
    assert "int8 model" in text
    src = tmp_path / "main.cpp"
    src.write_text(
        '#include <stdio.h>\n#include <string.h>\n#include "gold.h"\nint main() {\n'
        "  static gold::Model m;\n  float y[gold::kOutputSize];\n  int bad = 0;\n"
        "  for (unsigned k = 0; k < gold::kGoldenCount; ++k) {\n"
        "    m.predict(gold::Golden::kInputs + k * gold::kInputSize, y);\n"
        "    bad += memcmp(y, gold::Golden::kOutputs + k * gold::kOutputSize, sizeof(y)) != 0;\n"
        '  }\n  printf("%d\\n", bad);\n  return 0;\n}\n'
    )
    exe = compile_cpp(str(src), str(tmp_path / "gold"), [INCLUDE, str(tmp_path)], HOST_FLAGS)
    out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["0"]


@pytest.mark.parametrize("cid", ["mlp_relu", "cnn2d"])
def test_whole_model_matches_tflm(cid, built):
    """The exported int8 graph rebuilt as one TFLite model and run by TFLite Micro: 0 LSB."""
    from tflm_oracle import GraphRunner

    r = built[cid]
    np.testing.assert_array_equal(GraphRunner(r["graph"])(r["xs"]), r["y"])


class Scalars(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(5, 6)
        self.b = nn.Linear(6, 2)

    def forward(self, x):
        return self.b((self.a(x) * 0.5 + 1.0) / 3.0 - 0.25)


def test_scalar_ops_run_as_tables(tmp_path):
    torch.manual_seed(9)
    m = Scalars().eval()
    cal = np.random.default_rng(9).standard_normal((64, 5)).astype(np.float32)
    g = int8_graph(m, torch.zeros(1, 5), calibration=cal)
    assert [n.op for n in g.nodes].count("lut_s8") == 4
    rep = miniml.export(m, torch.zeros(1, 5), "sc", str(tmp_path), quantize="int8", calibration=cal)
    xs = 0.9 * cal[:4]
    got = _predict_on_host(tmp_path, "sc", xs, 2)
    np.testing.assert_array_equal(got, predict_int8_graph(g, xs).reshape(4, 2))
    with torch.no_grad():
        want = m(torch.from_numpy(xs)).numpy()
    assert np.max(np.abs(got - want)) < 0.05, (got, want)
    assert rep.flash_bytes > 4 * 256


class Diff(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 6)
        self.b = nn.Linear(4, 6)
        self.c = nn.Linear(6, 2)

    def forward(self, x):
        return self.c(torch.relu(self.a(x) - self.b(x)))


def test_tensor_sub(tmp_path):
    torch.manual_seed(10)
    m = Diff().eval()
    cal = np.random.default_rng(10).standard_normal((64, 4)).astype(np.float32)
    g = int8_graph(m, torch.zeros(1, 4), calibration=cal)
    subs = [n for n in g.nodes if n.op == "add_s8"]
    assert len(subs) == 1 and subs[0].attrs["b_multiplier"] < 0
    xs = 0.9 * cal[:8]
    with torch.no_grad():
        want = m(torch.from_numpy(xs)).numpy()
    assert np.max(np.abs(predict_int8_graph(g, xs) - want)) < 0.05


def test_unfolded_batchnorm_is_a_depthwise_1x1(tmp_path):
    torch.manual_seed(11)
    m = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.BatchNorm2d(4),
        nn.Flatten(),
        nn.Linear(16, 3),
    ).eval()
    with torch.no_grad():
        m[3].running_mean.uniform_(-0.5, 0.5)
        m[3].running_var.uniform_(0.5, 2.0)
        m[3].weight.uniform_(0.5, 1.5)
        m[3].bias.uniform_(-0.3, 0.3)
    cal = np.random.default_rng(11).standard_normal((64, 1, 4, 4)).astype(np.float32) + 0.5
    g = int8_graph(m, torch.zeros(1, 1, 4, 4), calibration=cal)
    bn = [n for n in g.nodes if n.name.startswith("batch")]
    assert len(bn) == 1 and bn[0].op == "conv2d_s8" and bn[0].attrs["groups"] == 4
    rep = miniml.export(
        m, torch.zeros(1, 1, 4, 4), "bn", str(tmp_path), quantize="int8", calibration=cal
    )
    xs = 0.9 * cal[:4]
    got = _predict_on_host(tmp_path, "bn", xs, 3)
    np.testing.assert_array_equal(got, predict_int8_graph(g, xs).reshape(4, 3))
    with torch.no_grad():
        want = m(torch.from_numpy(xs)).numpy()
    assert np.max(np.abs(got - want)) < 0.1, (got, want)
    assert rep.layers


class Branches(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(1, 3, 3, padding=1)
        self.b = nn.Conv2d(1, 2, 1)
        self.head = nn.Linear(5 * 16, 2)

    def forward(self, x):
        y = torch.cat([torch.relu(self.a(x)), self.b(x) * 4.0], dim=1)
        return self.head(y.flatten(1))


def test_concat_requantizes_each_input(tmp_path):
    torch.manual_seed(12)
    m = Branches().eval()
    cal = np.random.default_rng(12).standard_normal((64, 1, 4, 4)).astype(np.float32)
    g = int8_graph(m, torch.zeros(1, 1, 4, 4), calibration=cal)
    cat = [n for n in g.nodes if n.op == "concat_s8"]
    assert len(cat) == 1 and any(cat[0].attrs["multipliers"])
    miniml.export(
        m, torch.zeros(1, 1, 4, 4), "cat", str(tmp_path), quantize="int8", calibration=cal
    )
    assert (tmp_path / "cat.h").read_text().count("constexpr miniml::ConcatPartParams") == 2
    xs = 0.9 * cal[:4]
    got = _predict_on_host(tmp_path, "cat", xs, 2)
    np.testing.assert_array_equal(got, predict_int8_graph(g, xs).reshape(4, 2))
    with torch.no_grad():
        want = m(torch.from_numpy(xs)).numpy()
    assert np.max(np.abs(got - want)) < 0.1, (got, want)


class SqueezeExcite(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4, 4)
        self.shift = nn.Linear(4, 4)
        self.head = nn.Linear(64, 2)

    def forward(self, x):
        y = torch.relu(self.conv(x))
        s = y.mean((2, 3))
        g = torch.sigmoid(self.fc(s))[:, :, None, None]
        t = self.shift(s)[:, :, None, None]
        return self.head((y * g + t).flatten(1))


def test_per_channel_mul_add(tmp_path):
    torch.manual_seed(13)
    m = SqueezeExcite().eval()
    cal = np.random.default_rng(13).standard_normal((64, 1, 4, 4)).astype(np.float32)
    g = int8_graph(m, torch.zeros(1, 1, 4, 4), calibration=cal)
    ops = [n.op for n in g.nodes]
    assert "mul_channel_s8" in ops and "add_channel_s8" in ops
    miniml.export(m, torch.zeros(1, 1, 4, 4), "se", str(tmp_path), quantize="int8", calibration=cal)
    header = (tmp_path / "se.h").read_text()
    assert "constexpr miniml::MulParams" in header and "constexpr miniml::AddParams" in header
    xs = 0.9 * cal[:4]
    got = _predict_on_host(tmp_path, "se", xs, 2)
    np.testing.assert_array_equal(got, predict_int8_graph(g, xs).reshape(4, 2))
    with torch.no_grad():
        want = m(torch.from_numpy(xs)).numpy()
    assert np.max(np.abs(got - want)) < 0.1, (got, want)


class _ConvTwoReaders(nn.Module):
    """A conv whose output a max pool and an average pool both read: not fused."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)

    def forward(self, x):
        c = torch.relu(self.conv(x))
        return nn.functional.max_pool2d(c, 2) + nn.functional.avg_pool2d(c, 2)


def test_conv_then_max_pool_is_one_call(built):
    # cnn2d: conv -> relu -> max pool runs as one conv2d_s8_max_pool call (one group: conv2d_s8_gemm_max_pool,
    # its window as template arguments; its parity: test_parity_int8_export; the AVR path against the
    # reference: test_kernel_reference.py), the pool's place a comment.
    text = open(built["cnn2d"]["report"].header_path).read()
    assert text.count("miniml::conv2d_s8_gemm_max_pool<") == 1
    assert "// computed by conv2d's conv2d_s8_max_pool" in text
    assert text.count("miniml::max_pool2d_s8(") == 0 and text.count("miniml::avg_pool2d_s8(") == 1
    torch.manual_seed(0)
    two, _ = build_header(_ConvTwoReaders().eval(), torch.randn(1, 1, 4, 4), "two_readers", quantize="int8",
                          calibration=torch.randn(16, 1, 4, 4))
    assert "conv2d_s8_max_pool" not in two and "miniml::max_pool2d_s8(" in two


@pytest.mark.parametrize(
    "model, shape, kernel",
    [
        (lambda: nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4)), (1, 16), "linear_acc24_s8"),
        (lambda: nn.Sequential(nn.Linear(300, 8), nn.ReLU(), nn.Linear(8, 3)), (1, 300), "linear_s8"),
        (
            lambda: nn.Sequential(nn.Conv1d(1, 2, 3), nn.Flatten(), nn.Linear(56, 3)),
            (1, 1, 30),
            "linear_acc24_s8",
        ),
    ],
    ids=["mlp", "300_inputs", "with_conv"],
)
def test_linear_acc24_chosen_at_export(model, shape, kernel):
    """linear_acc24_s8 (the ATmega's one-routine layer) when every int8 Linear provably keeps its
    accumulators in 24 bits (beside a convolution too); linear_s8 for all when one has 300 inputs
    (beyond the routine's 255: linear_s8's code is linked anyway)."""
    torch.manual_seed(0)
    cal = np.random.default_rng(0).standard_normal((32, *shape[1:])).astype(np.float32)
    text, _ = build_header(model().eval(), torch.zeros(shape), "acc24", quantize="int8", calibration=cal)
    calls = re.findall(r"miniml::(linear(?:_acc24)?_s8)<[^>]*>\(", text)
    assert calls and set(calls) == {kernel}, calls
