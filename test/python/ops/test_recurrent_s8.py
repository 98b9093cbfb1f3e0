"""int8 GRU / tanh and relu RNN / LSTM kernels (op_recurrent_s8.h) against their numpy integer reference at
0 LSB (host build, ASan/UBSan), over layers, directions, bias, hidden and sequence length; and the
dequantised output near torch's float layer (the scheme is sane, not only self-consistent)."""
import os
import subprocess

import numpy as np
import pytest
import torch
from torch import nn

from harness import BUILD, INCLUDE, compile_cpp

from miniml.ops import _lstm_s8
from miniml.ops._recurrent_s8 import STATE_SCALE, input_scale, quantize, recurrent_s8
from miniml.quant.params import QParams

CASES = {  # id -> (cell, input size, hidden, layers, bias, steps, directions)
    "gru_3x16": ("gru", 3, 16, 1, True, 24, 1),
    "gru_2layers": ("gru", 5, 8, 2, True, 17, 1),
    "gru_no_bias_h1": ("gru", 2, 1, 1, False, 9, 1),
    "gru_h32_T64": ("gru", 4, 32, 1, True, 64, 1),
    "gru_bidir_3layers": ("gru", 3, 6, 3, True, 13, 2),
    "rnn_tanh_3x12": ("rnn_tanh", 3, 12, 1, True, 20, 1),
    "rnn_tanh_2layers_no_bias": ("rnn_tanh", 6, 5, 2, False, 11, 1),
    "rnn_relu_3x12": ("rnn_relu", 3, 12, 1, True, 20, 1),
    "rnn_relu_bidir_2layers": ("rnn_relu", 4, 7, 2, True, 15, 2),
    "lstm_3x16": ("lstm", 3, 16, 1, True, 24, 1),
    "lstm_2layers_no_bias": ("lstm", 5, 8, 2, False, 17, 1),
    "lstm_h1": ("lstm", 2, 1, 1, True, 9, 1),
    "lstm_h32_T64": ("lstm", 4, 32, 1, True, 64, 1),
    "lstm_bidir_2layers": ("lstm", 3, 8, 2, True, 12, 2),
    "lstm_h0_c0": ("lstm", 3, 6, 2, True, 10, 1),
    "gru_bidir_h0": ("gru", 2, 5, 1, True, 8, 2),
}
_rng = np.random.default_rng(18)
for _k in range(8):  # a sampled grid (cell, sizes 1-32, T 1-40, layers 1-2, both directions, bias)
    CASES[f"sampled_{_k}"] = (["gru", "rnn_tanh", "rnn_relu", "lstm"][_k % 4],
                              int(_rng.integers(1, 7)), int(_rng.integers(1, 33)),
                              int(_rng.integers(1, 3)), bool(_rng.integers(0, 2)),
                              int(_rng.integers(1, 41)), int(_rng.integers(1, 3)))
INITIAL_STATE = ("lstm_h0_c0", "gru_bidir_h0", "sampled_3", "sampled_6")
CELLS = {"gru": ("GruCellS8", nn.GRU), "rnn_tanh": ("RnnTanhCellS8", nn.RNN),
         "rnn_relu": ("RnnReluCellS8", lambda *a, **k: nn.RNN(*a, nonlinearity="relu", **k)),
         "lstm": ("LstmCellS8", nn.LSTM)}


def _arr(ctype, name, values):
    return f"static const {ctype} {name}[] = {{{', '.join(str(int(v)) for v in np.ravel(values))}}};"


def _largest_h(module, x, init):
    """max |h| over the layers of a stack: the first l layers of it are a stack of l layers."""
    largest = 0.0
    for depth in range(1, module.num_layers + 1):
        sub = nn.RNN(module.input_size, module.hidden_size, num_layers=depth, nonlinearity="relu",
                     bias=module.bias, batch_first=True, bidirectional=module.bidirectional)
        sub.load_state_dict({k: v for k, v in module.state_dict().items()
                             if int(k.split("_l")[1].split("_")[0]) < depth})
        h0 = None if init is None else init[: depth * (2 if module.bidirectional else 1)]
        with torch.no_grad():
            largest = max(largest, float(sub(x, h0)[0].abs().max()))
    return largest


def _case(i, cid):
    cell, feat, hidden, layers, bias, steps, dirs = CASES[cid]
    torch.manual_seed(i)
    module = CELLS[cell][1](feat, hidden, num_layers=layers, bias=bias, batch_first=True,
                            bidirectional=dirs == 2).eval()
    x = torch.randn(1, steps, feat)
    init = None
    if cid in INITIAL_STATE:  # a constant initial state, on the state's grid (2^-7, the cell's 2^-11)
        h0 = torch.round((torch.rand(layers * dirs, 1, hidden) - 0.5) * 128) / 128
        init = (h0, torch.round(h0 * 2 * 2048) / 2048) if cell == "lstm" else h0
    with torch.no_grad():
        y_torch = module(x, init)[0][0].numpy()
    flat = [p.detach().numpy() for p in module._flat_weights]
    per = 4 if bias else 2
    scale, zp = input_scale(x.numpy())
    xq = np.clip(np.round(x.numpy()[0] / scale) + zp, -128, 127).astype(np.int8)
    blocks = [flat[k * per: (k + 1) * per] for k in range(layers * dirs)]
    h0 = None if init is None else (init[0] if cell == "lstm" else init).numpy().ravel()
    state = QParams(STATE_SCALE, 0)
    if cell == "rnn_relu":  # as calibration sets it: every layer's largest |h|, [0, max] unless h0 < 0
        largest = _largest_h(module, x, init)
        negative = h0 is not None and h0.min() < 0
        state = QParams(float(np.float32(largest / (127 if negative else 255))), 0 if negative else -128)
        h0 = np.zeros(layers * dirs * hidden) if h0 is None else h0
    if cell == "lstm":  # cell state at 2^-11 (|c| < 16), the hidden state as the GRU's
        params = _lstm_s8.quantize(blocks, QParams(scale, zp), state, 11, dirs)
    else:
        params = quantize(cell, blocks, scale, zp, state, dirs)
    if h0 is not None:
        params["h0"] = np.clip(np.round(h0 / state.scale) + state.zero_point, -128, 127).astype(np.int8)
    if init is not None and cell == "lstm":
        params["c0"] = np.round(init[1].numpy().ravel() * 2048).astype(np.int16)
    out, h_n = recurrent_s8(cell, xq, params, feat, hidden, layers, dirs)
    y_int8 = (out.astype(np.float32) - state.zero_point) * np.float32(state.scale)
    return cell, feat, hidden, layers, dirs, steps, xq, params, out, h_n, y_int8, y_torch


@pytest.fixture(scope="module")
def runs():
    out_dir = os.path.join(BUILD, "recurrent_s8")
    os.makedirs(out_dir, exist_ok=True)
    lines = ['#include "miniml/op_recurrent_s8.h"', "#include <stdio.h>", ""]
    body = ["int main() {"]
    ref = {}
    for i, cid in enumerate(CASES):
        cell, feat, hidden, layers, dirs, steps, xq, params, out, h_n, y_int8, y_torch = _case(i, cid)
        ref[cid] = (out, h_n, y_int8, y_torch)
        width, state = dirs * hidden, layers * dirs * hidden
        between = min(layers - 1, 2) * steps * 2 * hidden if dirs == 2 else 0
        p = f"c{i}_"
        init = ", ".join(f"{p}{r}" if r in params else "nullptr" for r in ("h0", "c0"))
        lines += [_arr(t, p + r, params[r]) for r, t in (("h0", "int8_t"), ("c0", "int16_t"))
                  if r in params]
        lines += [_arr("int8_t", p + "x", xq), _arr("int8_t", p + "w", params["weight"]),
                  _arr("int32_t", p + "q", params["quant"]), _arr("int16_t", p + "t", params["tables"]),
                  _arr("int32_t", p + "b", params["bias"])]
        body += [
            "  {",
            f"    static int8_t out[{steps * width}], h_n[{state}], work[{hidden + between}];",
            f"    static int16_t cell[{state}];" if cell == "lstm" else "",
            f"    const miniml::RecurrentS8Params prm = {{{steps}, {feat}, {hidden}, {layers}, {dirs}, false}};",
            f"    miniml::recurrent_s8<miniml::{CELLS[cell][0]}, miniml::Rom>({p}x, {p}w, {p}b, {p}q, "
            f"{p}t, {init}, out, h_n, {'cell' if cell == 'lstm' else 'nullptr'}, work, prm);",
            f"    for (int k = 0; k < {steps * width}; ++k) printf(\"%d \", out[k]);",
            f"    for (int k = 0; k < {state}; ++k) printf(\"%d \", h_n[k]);",
            '    printf("\\n");',
            "  }",
        ]
    src = os.path.join(out_dir, "driver.cpp")
    with open(src, "w") as f:
        f.write("\n".join(lines + body + ["  return 0;", "}", ""]))
    exe = compile_cpp(src, os.path.join(out_dir, "driver"), [INCLUDE])
    res = subprocess.run([exe], capture_output=True, text=True, check=True)
    got = {cid: np.array(line.split(), np.int64) for cid, line in zip(CASES, res.stdout.splitlines())}
    return ref, got


@pytest.mark.parametrize("case", list(CASES))
def test_parity_recurrent_s8_zero_lsb(runs, case):
    ref, got = runs
    out, h_n, _, _ = ref[case]
    want = np.concatenate([out.reshape(-1), h_n.reshape(-1)]).astype(np.int64)
    assert np.array_equal(got[case], want), np.flatnonzero(got[case] != want)[:10]


@pytest.mark.parametrize("case", list(CASES))
def test_recurrent_s8_near_float(runs, case):
    ref, _ = runs
    _, _, y_int8, y_torch = ref[case]
    err = float(np.max(np.abs(y_int8 - y_torch)))
    if CASES[case][0] == "rnn_relu":
        # an unbounded state (nothing squashes the error) at max|h| / 255: within 4 of its steps
        step = float(np.max(np.abs(y_torch))) / 255  # measured <= 2.8 steps (sampled_6)
        assert err < 4 * step, err / step
    else:
        # the state is int8 at 2^-7 (0.0078): within ~2.5 of its steps after T requantised updates
        assert err < 0.02 * max(1.0, float(np.max(np.abs(y_torch))))
