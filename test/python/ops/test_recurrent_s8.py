"""int8 GRU / tanh RNN / LSTM kernels (op_recurrent_s8.h) against their numpy integer reference at 0 LSB (host
build, ASan/UBSan), over layers, bias, hidden and sequence length; and the dequantised state near torch's
float GRU/RNN/LSTM (the scheme is sane, not only self-consistent)."""
import os
import subprocess

import numpy as np
import pytest
import torch
from torch import nn

from harness import BUILD, INCLUDE, compile_cpp

from miniml.ops import _lstm_s8
from miniml.ops._recurrent_s8 import STATE_SCALE, dequantize_state, input_scale, quantize, recurrent_s8
from miniml.quant.params import QParams

CASES = {  # id -> (cell, input size, hidden, layers, bias, steps)
    "gru_3x16": ("gru", 3, 16, 1, True, 24),
    "gru_2layers": ("gru", 5, 8, 2, True, 17),
    "gru_no_bias_h1": ("gru", 2, 1, 1, False, 9),
    "gru_h32_T64": ("gru", 4, 32, 1, True, 64),
    "rnn_tanh_3x12": ("rnn_tanh", 3, 12, 1, True, 20),
    "rnn_tanh_2layers_no_bias": ("rnn_tanh", 6, 5, 2, False, 11),
    "lstm_3x16": ("lstm", 3, 16, 1, True, 24),
    "lstm_2layers_no_bias": ("lstm", 5, 8, 2, False, 17),
    "lstm_h1": ("lstm", 2, 1, 1, True, 9),
    "lstm_h32_T64": ("lstm", 4, 32, 1, True, 64),
}
CELLS = {"gru": ("GruCellS8", nn.GRU), "rnn_tanh": ("RnnTanhCellS8", nn.RNN),
         "lstm": ("LstmCellS8", nn.LSTM)}


def _arr(ctype, name, values):
    return f"static const {ctype} {name}[] = {{{', '.join(str(int(v)) for v in np.ravel(values))}}};"


def _case(i, cid):
    cell, feat, hidden, layers, bias, steps = CASES[cid]
    torch.manual_seed(i)
    module = CELLS[cell][1](feat, hidden, num_layers=layers, bias=bias, batch_first=True).eval()
    x = torch.randn(1, steps, feat)
    with torch.no_grad():
        y_torch = module(x)[0][0].numpy()
    flat = [p.detach().numpy() for p in module._flat_weights]
    per = 4 if bias else 2
    scale, zp = input_scale(x.numpy())
    xq = np.clip(np.round(x.numpy()[0] / scale) + zp, -128, 127).astype(np.int8)
    blocks = [flat[k * per: (k + 1) * per] for k in range(layers)]
    if cell == "lstm":  # cell state at 2^-11 (|c| < 16), the hidden state as the GRU's
        params = _lstm_s8.quantize(blocks, QParams(scale, zp), QParams(STATE_SCALE, 0), 11)
    else:
        params = quantize(cell, blocks, scale, zp)
    out, h_n = recurrent_s8(cell, xq, params, feat, hidden, layers)
    return cell, feat, hidden, layers, bias, steps, zp, xq, params, out, h_n, y_torch


@pytest.fixture(scope="module")
def runs():
    out_dir = os.path.join(BUILD, "recurrent_s8")
    os.makedirs(out_dir, exist_ok=True)
    lines = ['#include "miniml/op_recurrent_s8.h"', "#include <stdio.h>", ""]
    body = ["int main() {"]
    ref = {}
    for i, cid in enumerate(CASES):
        cell, feat, hidden, layers, bias, steps, zp, xq, params, out, h_n, y_torch = _case(i, cid)
        ref[cid] = (out, h_n, y_torch)
        p = f"c{i}_"
        lines += [_arr("int8_t", p + "x", xq), _arr("int8_t", p + "w", params["weight"]),
                  _arr("int32_t", p + "q", params["quant"]), _arr("int16_t", p + "t", params["tables"]),
                  _arr("int32_t", p + "b", params["bias"])]
        body += [
            "  {",
            f"    static int8_t out[{steps * hidden}], h_n[{layers * hidden}], work[{hidden}];",
            f"    static int16_t cell[{layers * hidden}];" if cell == "lstm" else "",
            f"    const miniml::RecurrentS8Params prm = {{{steps}, {feat}, {hidden}, {layers}, false}};",
            f"    miniml::recurrent_s8<miniml::{CELLS[cell][0]}, miniml::Rom>({p}x, {p}w, {p}b, {p}q, "
            f"{p}t, out, h_n, {'cell' if cell == 'lstm' else 'nullptr'}, work, prm);",
            f"    for (int k = 0; k < {steps * hidden}; ++k) printf(\"%d \", out[k]);",
            f"    for (int k = 0; k < {layers * hidden}; ++k) printf(\"%d \", h_n[k]);",
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
    out, h_n, _ = ref[case]
    want = np.concatenate([out.reshape(-1), h_n.reshape(-1)]).astype(np.int64)
    assert np.array_equal(got[case], want), np.flatnonzero(got[case] != want)[:10]


@pytest.mark.parametrize("case", list(CASES))
def test_recurrent_s8_near_float(runs, case):
    ref, _ = runs
    out, _, y_torch = ref[case]
    # the state is int8 at 2^-7 (0.0078): within ~2.5 of its steps after T requantised updates
    assert np.max(np.abs(dequantize_state(out) - y_torch)) < 0.02  # measured <= 0.0099
