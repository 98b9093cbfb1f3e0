"""int8 LSTM reference (ops/_lstm_s8.py) against the tflite-micro interpreter at 0 LSB: its int16
sigmoid/tanh over every int16 input (which pins the 256-entry table), and whole LSTMs built as
UNIDIRECTIONAL_SEQUENCE_LSTM .tflite files (model_editor) on random sequences, over sizes, layers
(chained ops), bias, input and hidden zero points and cell state scales; a bidirectional stack (TFLM on
the reversed sequence for the backward direction); the LSTM of an exported model. The C++ kernel equals this
reference in test_recurrent_s8.py and, exported, in test_recurrent_int8.py."""
import os
import sys

import numpy as np
import pytest
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "quant"))
import tflm_oracle as tflm  # noqa: E402

from miniml.ops import _lstm_s8  # noqa: E402
from miniml.quant.params import QParams, f32  # noqa: E402

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int64)


@pytest.mark.parametrize("power", [12, 11, 15, 8])
def test_parity_lstm_tanh_tflm(power):
    """tanh of a cell state at 2^-power (power 12: the gates' Q3.12), every int16 value."""
    m, s = _lstm_s8.tanh_input(power)
    got = tflm.activation_int16("tanh", ALL_INT16.astype(np.int16), 2.0 ** -power)
    np.testing.assert_array_equal(got, _lstm_s8.tanh_q15(ALL_INT16, m, s))


def test_parity_lstm_sigmoid_tflm():
    got = tflm.activation_int16("logistic", ALL_INT16.astype(np.int16), 2.0 ** -12)
    np.testing.assert_array_equal(got, _lstm_s8.sigmoid_q15(ALL_INT16))


CASES = {  # id -> (input size, hidden, layers, bias, steps, input zp, hidden (scale, zp), cell power)
    "3x8": (3, 8, 1, True, 20, -7, (2.0 ** -7, 0), 11),
    "hidden_zp": (4, 6, 1, True, 16, 30, (0.0091, 12), 12),
    "no_bias_h1": (2, 1, 1, False, 9, 0, (2.0 ** -7, 0), 15),
    "two_layers": (5, 7, 2, True, 14, -100, (2.0 ** -7, 0), 10),
    "h24_T40_coarse_cell": (6, 24, 1, True, 40, 3, (0.006, -20), 8),
}


def _reference(xq, params, feat, hidden, layers, qh):
    """Layer by layer, both states from their zero (h at the hidden zero point, as TFLM resets it)."""
    rows, per = 4 * hidden, _lstm_s8.QUANT
    w, b, q = params["weight"], params["bias"].astype(np.int64), params["quant"]
    seq, w_off = np.asarray(xq, np.int64), 0
    outs = []
    for layer in range(layers):
        n_in = feat if layer == 0 else hidden
        w_ih = w[w_off: w_off + rows * n_in].reshape(rows, n_in)
        w_hh = w[w_off + rows * n_in: w_off + rows * (n_in + hidden)].reshape(rows, hidden)
        w_off += rows * (n_in + hidden)
        b_x, b_h = b[2 * rows * layer: 2 * rows * layer + rows], b[2 * rows * layer + rows:][:rows]
        h, c = np.full(hidden, qh.zero_point, np.int64), np.zeros(hidden, np.int64)
        ys = []
        for x_t in seq:
            h, c = _lstm_s8.step(x_t, h, c, w_ih, w_hh, b_x, b_h, q[layer * per: (layer + 1) * per])
            ys.append(h)
        seq = np.array(ys)
        outs.append((w_ih, w_hh, b_x))
    return seq, outs


@pytest.mark.parametrize("cid", list(CASES))
def test_parity_lstm_int8_tflm(cid):
    feat, hidden, layers, bias, steps, x_zp, (h_scale, h_zp), power = CASES[cid]
    i = list(CASES).index(cid)
    torch.manual_seed(i)
    rng = np.random.default_rng(i)
    module = nn.LSTM(feat, hidden, num_layers=layers, bias=bias)
    flat = [p.detach().numpy() * 2.0 for p in module._flat_weights]  # livelier gates
    per = 4 if bias else 2
    qx, qh = QParams(f32(0.03), x_zp), QParams(f32(h_scale), h_zp)
    params = _lstm_s8.quantize([flat[k * per: (k + 1) * per] for k in range(layers)], qx, qh, power)
    for trial in range(3):
        xq = rng.integers(-128, 128, (steps, feat))
        want, blocks = _reference(xq, params, feat, hidden, layers, qh)
        seq, q_in = xq, qx
        for layer, (w_ih, w_hh, b_x) in enumerate(blocks):
            # TFLM's bias has no zero point folded in: it computes (x - zp) products itself
            b = b_x + q_in.zero_point * w_ih.astype(np.int64).sum(1)
            seq = tflm.lstm(seq, q_in.scale, q_in.zero_point, w_ih, w_hh, params["scales"][layer], b,
                            qh.scale, qh.zero_point, 2.0 ** -power)
            q_in = qh
        np.testing.assert_array_equal(seq, want, err_msg=f"{cid} trial {trial}")
        assert len(np.unique(want)) > 4  # the sequence moves: the comparison means something


class _Lstm2Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm, self.head = nn.LSTM(3, 8, num_layers=2, batch_first=True), nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.lstm(x)[0])


def test_parity_exported_lstm_int8_tflm():
    """The LSTM of an exported int8 model (scales from calibration) rebuilt as TFLM ops from the int8
    graph's own parameters: TFLM's output sequence equals the graph's (the C++ equals the graph in
    test_recurrent_int8.py)."""
    from miniml.api import int8_graph
    from miniml.int8 import run_int8

    torch.manual_seed(5)
    rng = np.random.default_rng(5)
    cal = rng.standard_normal((32, 12, 3)).astype(np.float32)
    g = int8_graph(_Lstm2Head().eval(), torch.from_numpy(cal[:1]), calibration=cal)
    n = next(m for m in g.nodes if m.op == "recurrent_s8")
    a, hidden, rows = n.attrs, n.attrs["hidden_size"], 4 * n.attrs["hidden_size"]
    w = g.params[n.params["weight"]]
    bias = g.params[n.params["bias"]].data.astype(np.int64)
    qx, qh = g.tensor(n.inputs[0]), QParams(a["state_scale"], 0)
    for x in cal[:3]:
        env = run_int8(g, x)
        seq, q_in, w_off = env[n.inputs[0]].reshape(12, 3), QParams(qx.scale, qx.zero_point), 0
        for layer in range(a["num_layers"]):
            n_in = seq.shape[1]
            w_ih = w.data[w_off: w_off + rows * n_in].reshape(rows, n_in)
            w_hh = w.data[w_off + rows * n_in: w_off + rows * (n_in + hidden)].reshape(rows, hidden)
            w_off += rows * (n_in + hidden)
            b = bias[2 * rows * layer: 2 * rows * layer + rows] + q_in.zero_point * w_ih.astype(
                np.int64).sum(1)
            seq = tflm.lstm(seq, q_in.scale, q_in.zero_point, w_ih, w_hh, w.scale[layer], b, qh.scale,
                            qh.zero_point, 2.0 ** -a["cell_power"])
            q_in = qh
        got = env[n.outputs[a["roles"].index("out")]].reshape(12, hidden)
        np.testing.assert_array_equal(seq, got)
        assert len(np.unique(got)) > 8


def test_parity_bidirectional_lstm_int8_tflm():
    """A bidirectional 2-layer int8 LSTM (ops/_recurrent_s8.recurrent_s8) equals TFLM's LSTM run forward
    and on the reversed sequence per layer, the two outputs concatenated as the next layer's input."""
    from miniml.ops._recurrent_s8 import STATE_SCALE, recurrent_s8

    torch.manual_seed(11)
    rng = np.random.default_rng(11)
    feat, hidden, layers, steps = 3, 5, 2, 9
    module = nn.LSTM(feat, hidden, num_layers=layers, bidirectional=True)
    flat = [p.detach().numpy() * 2.0 for p in module._flat_weights]
    qx, qh = QParams(f32(0.03), -9), QParams(STATE_SCALE, 0)
    params = _lstm_s8.quantize([flat[k * 4: (k + 1) * 4] for k in range(2 * layers)], qx, qh, 11, 2)
    xq = rng.integers(-128, 128, (steps, feat))
    want, _ = recurrent_s8("lstm", xq, params, feat, hidden, layers, 2)
    rows, w, b = 4 * hidden, params["weight"], params["bias"].astype(np.int64)
    seq, q_in, w_off = xq, qx, 0
    for layer in range(layers):
        outs = []
        for d in range(2):
            k, n_in = 2 * layer + d, seq.shape[1]
            w_ih = w[w_off: w_off + rows * n_in].reshape(rows, n_in)
            w_hh = w[w_off + rows * n_in: w_off + rows * (n_in + hidden)].reshape(rows, hidden)
            w_off += rows * (n_in + hidden)
            bias = b[2 * rows * k: 2 * rows * k + rows] + q_in.zero_point * w_ih.astype(np.int64).sum(1)
            src = seq if d == 0 else seq[::-1]
            y = tflm.lstm(np.ascontiguousarray(src), q_in.scale, q_in.zero_point, w_ih, w_hh,
                          params["scales"][k], bias, qh.scale, qh.zero_point, 2.0 ** -11)
            outs.append(y if d == 0 else y[::-1])
        seq, q_in = np.concatenate(outs, 1), qh
    np.testing.assert_array_equal(seq, want)
    assert len(np.unique(want)) > 8
