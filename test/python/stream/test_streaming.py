"""streaming=True: after reset_state() and steps x_0..x_t, step()'s y_t equals predict() on the prefix
bit for bit (host build, ASan/UBSan), every y_t of a sequence model and of a last-step model; sizeof(Model)
counts the state; non-causal layers are refused by name."""
import os
import subprocess

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from harness import BUILD, INCLUDE, compile_cpp, safe_id, torch_outputs

import miniml
from miniml.errors import OptionError, UnsupportedOpError


class GruSeq(nn.Module):
    def __init__(self, cell=nn.GRU, layers=2, head=True, last=False, h0=False):
        super().__init__()
        self.rnn = cell(3, 6, num_layers=layers, batch_first=True)
        self.head = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 2)) if head else nn.Identity()
        self.last = last
        if h0:
            self.register_buffer("h0", torch.rand(layers, 1, 6) - 0.5)
        else:
            self.h0 = None

    def forward(self, x):
        hx = self.h0
        if hx is not None and isinstance(self.rnn, nn.LSTM):
            hx = (hx, hx * 0.5)
        out, _ = self.rnn(x, hx)
        return self.head(out[:, -1] if self.last else out)


class ConvGru(nn.Module):
    """causal Conv1d (F.pad or padding + tail slice) -> ReLU -> GRU -> Linear on every step."""

    def __init__(self, slice_tail, groups=1):
        super().__init__()
        self.slice_tail = slice_tail
        self.conv = nn.Conv1d(4, 6, 3, dilation=2, padding=4 if slice_tail else 0, groups=groups)
        self.conv2 = nn.Conv1d(6, 6, 1)
        self.gru = nn.GRU(6, 5, batch_first=True)
        self.head = nn.Linear(5, 3)

    def forward(self, x):  # [1, T, 4]
        y = x.transpose(1, 2)
        y = self.conv(y)[:, :, :-4] if self.slice_tail else self.conv(F.pad(y, (4, 0)))
        y = self.conv2(torch.relu(y))
        out, _ = self.gru(y.transpose(1, 2))
        return self.head(out) * 2.0


class CellHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.cell = nn.LSTMCell(3, 4)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        h = c = torch.zeros(1, 4)
        for t in range(x.shape[1]):
            h, c = self.cell(x[:, t], (h, c))
        return self.head(h)


T = 12
SEQ = {  # output at every step: all y_t against one predict()
    "gru2_head": (lambda: GruSeq(), 3),
    "lstm_h0": (lambda: GruSeq(nn.LSTM, layers=1, head=False, h0=True), 3),
    "rnn_relu": (lambda: GruSeq(lambda *a, **k: nn.RNN(*a, nonlinearity="relu", **k)), 3),
    "conv_pad_gru": (lambda: ConvGru(False), 4),
    "conv_slice_gru": (lambda: ConvGru(True), 4),
    "conv_groups_gru": (lambda: ConvGru(False, groups=2), 4),
}
LAST = {  # output at the last step only: y_t against predict() of a model exported for length t+1
    "gru_last_mlp": (lambda: GruSeq(last=True), 3),
    "cells_lstm_head": (CellHead, 3),
}
INT8 = {  # quantize='int8': streamed int8 equals whole-sequence int8 (every step, or the last)
    "int8_gru2_head_seq": (lambda: GruSeq(), 3),
    "int8_rnn_seq": (lambda: GruSeq(nn.RNN, layers=1), 3),
    "int8_gru_last_mlp": (lambda: GruSeq(last=True), 3),
    "int8_lstm2_head_seq": (lambda: GruSeq(nn.LSTM), 3),
    "int8_rnn_relu_seq": (lambda: GruSeq(lambda *a, **k: nn.RNN(*a, nonlinearity="relu", **k)), 3),
    "int8_lstm2_h0_seq": (lambda: GruSeq(nn.LSTM, h0=True), 3),
    "int8_lstm_last_mlp": (lambda: GruSeq(nn.LSTM, layers=1, last=True), 3),
}
PREFIXES = (1, 2, 7, T)


def _driver(entries):
    """entries: (namespace, header, steps, prefix models [(namespace, length)]). For each model: the
    step() outputs of T steps after reset_state(), then a second pass (reset must forget), then
    predict() of the whole sequence (or of each prefix model)."""
    lines = [f'#include "{os.path.basename(h)}"' for _, h, _ in entries]
    lines += [f'#include "{p}.h"' for _, _, prefixes in entries for p in prefixes]
    lines += ["#include <stdio.h>", "int main(int argc, char** argv) {", "  if (argc != 3) return 2;",
              '  FILE* in = fopen(argv[1], "rb");', '  FILE* out = fopen(argv[2], "wb");',
              "  if (!in || !out) return 3;"]
    for ns, _, prefixes in entries:
        lines += [
            "  {",
            f"    static {ns}::Model m;",
            f"    static float x[{ns}::kInputSize];",
            f"    static float y[{ns}::kOutputSize];",
            f"    static float yt[{ns}::kStepOutputSize];",
            f"    if (fread(x, sizeof(float), {ns}::kInputSize, in) != {ns}::kInputSize) return 4;",
            "    for (int pass = 0; pass < 2; ++pass) {",
            "      m.reset_state();",
            f"      for (unsigned t = 0; t < {ns}::kInputSize / {ns}::kStepInputSize; ++t) {{",
            f"        m.step(x + t * {ns}::kStepInputSize, yt);",
            f"        fwrite(yt, sizeof(float), {ns}::kStepOutputSize, out);",
            "      }",
            "    }",
            "    m.predict(x, y);",
            f"    fwrite(y, sizeof(float), {ns}::kOutputSize, out);",
        ]
        for pns in prefixes:
            lines += [
                "    {",
                f"      static {pns}::Model p;",
                f"      static float py[{pns}::kOutputSize];",
                "      p.predict(x, py);",
                f"      fwrite(py, sizeof(float), {pns}::kOutputSize, out);",
                "    }",
            ]
        lines.append(f'    printf("sizeof {ns} %u\\n", static_cast<unsigned>(sizeof(m)));')
        lines.append("  }")
    lines += ["  fclose(in);", "  fclose(out);", "  return 0;", "}", ""]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def runs():
    out_dir = os.path.join(BUILD, "stream")
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(18)
    entries, info, xs_all = [], {}, []
    for i, (cid, (make, feat)) in enumerate({**SEQ, **LAST, **INT8}.items()):
        torch.manual_seed(i)
        model = make().eval()
        ns = safe_id(cid)
        x = rng.standard_normal((1, T, feat)).astype(np.float32)
        opts = {}
        if cid in INT8:
            opts = {"quantize": "int8", "calibration": rng.standard_normal((32, T, feat)).astype(
                np.float32)}
        rep = miniml.export(model, torch.from_numpy(x), ns, out_dir, streaming=True, **opts)
        prefixes = []
        if cid in LAST:
            for n in PREFIXES:
                pns = f"{ns}_p{n}"
                miniml.export(model, torch.from_numpy(x[:, :n]), pns, out_dir)
                prefixes.append(pns)
        entries.append((ns, rep.header_path, prefixes))
        info[cid] = (ns, model, x, rep, prefixes)
        xs_all.append(x.reshape(-1))
    src = os.path.join(out_dir, "driver.cpp")
    with open(src, "w") as f:
        f.write(_driver(entries))
    exe = compile_cpp(src, os.path.join(out_dir, "driver"), [INCLUDE, out_dir])
    in_path, out_path = os.path.join(out_dir, "in.bin"), os.path.join(out_dir, "out.bin")
    np.concatenate(xs_all).astype(np.float32).tofile(in_path)
    res = subprocess.run([exe, in_path, out_path], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-4000:]
    raw = np.fromfile(out_path, dtype=np.float32)
    sizes = dict(line.split()[1:] for line in res.stdout.splitlines() if line.startswith("sizeof"))
    results, pos = {}, 0
    for cid, (ns, model, x, rep, prefixes) in info.items():
        y_full = torch_outputs(model, x)[0]
        step_out = y_full.size // T if cid in SEQ or cid.endswith("_seq") else y_full.size
        steps = raw[pos: pos + 2 * T * step_out].reshape(2, T, step_out)
        pos += 2 * T * step_out
        pred = raw[pos: pos + y_full.size]
        pos += y_full.size
        pre = []
        for n in PREFIXES[: len(prefixes)]:
            pre.append((n, raw[pos: pos + y_full.size]))
            pos += y_full.size
        results[cid] = (steps, pred, pre, y_full, rep, int(sizes[ns]))
    assert pos == raw.size
    return results


@pytest.mark.parametrize("case", list(SEQ))
def test_stream_equals_predict_every_step(runs, case):
    steps, pred, _, y_torch, rep, size = runs[case]
    assert np.array_equal(steps[0], steps[1]), "reset_state() did not forget the stream"
    # predict() on the whole sequence holds every prefix's last output (the model is causal)
    assert np.array_equal(steps[0].reshape(-1), pred), np.abs(steps[0].reshape(-1) - pred).max()
    np.testing.assert_allclose(pred, y_torch.reshape(-1), rtol=1e-5, atol=1e-5)
    assert rep.ram_bytes == size


@pytest.mark.parametrize("case", list(LAST))
def test_stream_equals_predict_on_prefix(runs, case):
    steps, pred, pre, y_torch, rep, size = runs[case]
    assert np.array_equal(steps[0], steps[1])
    assert np.array_equal(steps[0][-1], pred)
    for n, y in pre:
        assert np.array_equal(steps[0][n - 1], y), f"prefix {n}"
    np.testing.assert_allclose(pred, y_torch.reshape(-1), rtol=1e-5, atol=1e-5)
    assert rep.ram_bytes == size


@pytest.mark.parametrize("case", list(INT8))
def test_stream_int8_equals_predict_int8(runs, case):
    steps, pred, _, y_torch, rep, size = runs[case]
    assert np.array_equal(steps[0], steps[1]), "reset_state() did not forget the stream"
    got = steps[0].reshape(-1) if case.endswith("_seq") else steps[0][-1]
    assert np.array_equal(got, pred)  # predict() of an int8 export runs the int8 kernels
    assert np.max(np.abs(pred - y_torch.reshape(-1))) < 0.1 * max(1.0, np.abs(y_torch).max())
    assert rep.ram_bytes == size


def test_state_is_in_model(runs):
    # GRU(3->6) x2 layers streaming: its 2x6 state floats are members of Model
    with_stream = runs["gru2_head"][4].ram_bytes
    torch.manual_seed(0)
    plain = miniml.analyze(GruSeq().eval(), torch.randn(1, T, 3), "plain").ram_bytes
    assert with_stream >= plain + 4 * 2 * 6


@pytest.mark.parametrize("target", ["avr", "cortex_m4", "rv32imc", "xtensa_lx106"])
def test_cross_compile_streaming(target):
    """Streaming headers (GRU stack + causal convs, LSTM with h0, int8 GRU and LSTM) and an int8
    bidirectional relu RNN build with -Werror on every target."""
    import sys

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "emit"))
    from test_cross_compile import TARGETS, WARN  # the same compilers and flags as every header

    out = os.path.join(BUILD, "stream_cross")
    lines = []
    for i, cid in enumerate(("conv_slice_gru", "lstm_h0", "cells_lstm_head")):
        make, feat = {**SEQ, **LAST}[cid]
        torch.manual_seed(i)
        miniml.export(make().eval(), torch.randn(1, 6, feat), cid, out, streaming=True)
        lines += [f'#include "{cid}.h"', f"{cid}::Model g_{cid};"]
    torch.manual_seed(3)
    cal = np.random.default_rng(3).standard_normal((16, 6, 3)).astype(np.float32)
    for name, cell in (("int8_gru", nn.GRU), ("int8_lstm", nn.LSTM)):
        miniml.export(GruSeq(cell, last=True).eval(), torch.from_numpy(cal[:1]), name, out,
                      streaming=True, quantize="int8", calibration=cal)
        lines += [f'#include "{name}.h"', f"{name}::Model g_{name};"]
    # and a whole-sequence int8 stack: a bidirectional relu RNN (no step())
    miniml.export(GruSeq(lambda *a, **k: nn.RNN(*a, nonlinearity="relu", bidirectional=True, **k),
                         head=False).eval(), torch.from_numpy(cal[:1]), "int8_birelu", out,
                  quantize="int8", calibration=cal)
    lines += ['#include "int8_birelu.h"', "int8_birelu::Model g_int8_birelu;"]
    lines += ["float g_x[64];", "float g_y[64];", "void run() {", "  g_int8_birelu.predict(g_x, g_y);"]
    lines += [f"  g_{c}.reset_state(); g_{c}.step(g_x, g_y); g_{c}.predict(g_x, g_y);"
              for c in ("conv_slice_gru", "lstm_h0", "cells_lstm_head", "int8_gru", "int8_lstm")]
    lines.append("}")
    src = os.path.join(out, "main.cpp")
    with open(src, "w") as f:
        f.write("\n".join(lines) + "\n")
    res = subprocess.run([*TARGETS[target], *WARN, f"-I{INCLUDE}", f"-I{out}", "-c", src, "-o",
                          os.path.join(out, f"main_{target}.o")], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-4000:]


class _Bidir(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(3, 4, batch_first=True, bidirectional=True)

    def forward(self, x):
        return self.gru(x)[0]


class _Pool(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 4, 1)
        self.pool = nn.AdaptiveAvgPool1d(1)

    def forward(self, x):
        return self.pool(self.conv(x))


class _RightPad(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 4, 3)

    def forward(self, x):
        return self.conv(F.pad(x, (1, 1)))


class _Same(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 4, 3, padding=1)

    def forward(self, x):
        return self.conv(x)


@pytest.mark.parametrize("model,shape,layer", [
    (_Bidir, (1, 5, 3), r"layer gru \(nn\.GRU\) \(gru\) is bidirectional"),
    (_Pool, (1, 3, 5), r"layer pool \(nn\.AdaptiveAvgPool1d\) \(global_avg_pool\) has no streaming"),
    (_RightPad, (1, 3, 8), r"layer .*\(pad\) pads the sequence on the right"),
    (_Same, (1, 3, 8), r"layer conv \(nn\.Conv1d\) \(conv1d\) is not causal"),
])
def test_reject_non_causal(model, shape, layer):
    with pytest.raises(UnsupportedOpError, match=layer):
        miniml.analyze(model().eval(), torch.randn(shape), "m", streaming=True)
    miniml.analyze(model().eval(), torch.randn(shape), "m")  # still exports without streaming


def test_reject_streaming_int8_conv():
    # int8 streams recurrent layers, pointwise ops and Linear; an int8 Conv1d is named
    cal = np.random.default_rng(0).standard_normal((16, 3, 6)).astype(np.float32)
    with pytest.raises(UnsupportedOpError, match=r"layer .*\(conv1d_s8\) has no streaming rule"):
        miniml.analyze(nn.Conv1d(3, 4, 1).eval(), torch.from_numpy(cal[:1]), "m", streaming=True,
                       quantize="int8", calibration=cal)


def test_reject_streaming_with_learning():
    with pytest.raises(OptionError, match="streaming=True with on_device_learning"):
        miniml.analyze(GruSeq(last=True).eval(), torch.randn(1, 4, 3), "m", streaming=True,
                       on_device_learning=True)
