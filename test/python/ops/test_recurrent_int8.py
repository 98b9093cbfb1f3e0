"""quantize='int8' with GRU / tanh and relu RNN / LSTM layers, one or two directions, zero or constant
initial states: exported end to end, predict_int8() (host, ASan/UBSan) equals the integer reference
(miniml.int8.run_int8, i.e. ops/_recurrent_s8.py) at 0 LSB; a trained sequence classifier (GRU, LSTM)
loses at most 1 point of accuracy; the LSTM's cell state as an output and gate sums beyond int32 are
refused by name."""
import os
import sys

import numpy as np
import pytest
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "quant"))
from int8_host import run_int8_models  # noqa: E402  (the shared int8 host driver)

import miniml  # noqa: E402
from miniml.errors import UnsupportedOpError  # noqa: E402
from miniml.int8 import predict as predict_int8_graph  # noqa: E402
from miniml.int8 import run_int8  # noqa: E402


class Head(nn.Module):
    def __init__(self, rnn, hidden, last=True):
        super().__init__()
        self.rnn, self.head, self.last = rnn, nn.Linear(hidden, 3), last

    def forward(self, x):
        out = self.rnn(x)[0]
        return self.head(out[:, -1] if self.last else out)


class StateHead(nn.Module):
    """A recurrent layer from a constant initial state (h0, and c0 for the LSTM), a head on the last step."""

    def __init__(self, rnn):
        super().__init__()
        states = rnn.num_layers * (2 if rnn.bidirectional else 1)
        self.rnn, self.head = rnn, nn.Linear(rnn.hidden_size * states // rnn.num_layers, 3)
        self.register_buffer("h0", torch.rand(states, 1, rnn.hidden_size) - 0.3)

    def forward(self, x):
        h0 = self.h0.expand(-1, x.shape[0], -1).contiguous()
        hx = (h0, 2.0 * h0) if isinstance(self.rnn, nn.LSTM) else h0
        return self.head(self.rnn(x, hx)[0][:, -1])


class CellHead(nn.Module):
    def __init__(self, lstm=False):
        super().__init__()
        self.lstm = lstm
        self.cell = nn.LSTMCell(3, 6) if lstm else nn.GRUCell(3, 6)
        self.head = nn.Linear(6, 2)

    def forward(self, x):
        h = c = torch.zeros(x.shape[0], 6)
        for t in range(x.shape[1]):
            if self.lstm:
                h, c = self.cell(x[:, t], (h, c))
            else:
                h = self.cell(x[:, t], h)
        return self.head(h)


class TimeMajorLstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm, self.head = nn.LSTM(3, 5, num_layers=2, dropout=0.3), nn.Linear(5, 2)

    def forward(self, x):  # [B, T, F] in, time-major inside
        return self.head(self.lstm(x.transpose(0, 1))[0][-1])


CASES = {
    "gru2_last": (lambda: Head(nn.GRU(3, 8, num_layers=2, batch_first=True), 8), (12, 3)),
    "gru_seq_rows": (lambda: Head(nn.GRU(4, 6, batch_first=True, bias=False), 6, last=False),
                     (9, 4)),
    "rnn_tanh_last": (lambda: Head(nn.RNN(3, 10, batch_first=True), 10), (15, 3)),
    "gru_cells": (CellHead, (7, 3)),
    "lstm_cells": (lambda: CellHead(lstm=True), (7, 3)),
    "lstm_time_major_dropout": (TimeMajorLstm, (11, 3)),
    "lstm_T1": (lambda: Head(nn.LSTM(3, 4, batch_first=True), 4), (1, 3)),
    "lstm_last": (lambda: Head(nn.LSTM(3, 12, batch_first=True), 12), (16, 3)),
    "lstm2_seq_rows": (lambda: Head(nn.LSTM(4, 6, num_layers=2, batch_first=True, bias=False), 6,
                                    last=False), (9, 4)),
    "rnn_relu2_last": (lambda: Head(nn.RNN(3, 8, num_layers=2, nonlinearity="relu",
                                           batch_first=True), 8), (12, 3)),
    "gru_bidir2_last": (lambda: Head(nn.GRU(3, 5, num_layers=2, bidirectional=True,
                                            batch_first=True), 10), (10, 3)),
    "lstm_bidir_seq": (lambda: Head(nn.LSTM(3, 4, bidirectional=True, batch_first=True), 8,
                                    last=False), (7, 3)),
    "lstm2_h0_c0": (lambda: StateHead(nn.LSTM(3, 6, num_layers=2, batch_first=True)), (9, 3)),
    "rnn_relu_bidir_h0": (lambda: StateHead(nn.RNN(3, 5, nonlinearity="relu", bidirectional=True,
                                                   batch_first=True)), (8, 3)),
}


@pytest.fixture(scope="module")
def built():
    rng = np.random.default_rng(18)
    cases = {}
    for i, (cid, (make, shape)) in enumerate(CASES.items()):
        torch.manual_seed(i)
        cal = rng.standard_normal((64, 1) + shape).astype(np.float32)[:, 0]
        xs = (0.9 * cal[:6]).astype(np.float32)
        cases[cid] = (make().eval(), cal, xs)
    return run_int8_models("recurrent_int8", cases)


@pytest.mark.parametrize("cid", list(CASES))
def test_parity_recurrent_int8_export(built, cid):
    r = built[cid]
    g = r["graph"]
    assert any(n.op == "recurrent_s8" for n in g.nodes)
    np.testing.assert_array_equal(r["y"], predict_int8_graph(g, r["xs"]).reshape(len(r["xs"]), -1))
    edge = g.meta["int8_edges"]["output"]
    np.testing.assert_array_equal(r["yq"], np.stack([run_int8(g, x)[edge] for x in r["xs"]]))
    assert r["sizeof"] == r["report"].ram_bytes
    # was: "activation 'gru_work' is constant", a warning about scratch no int8 tensor holds
    assert not r["report"].warnings, r["report"].warnings
    with torch.no_grad():
        yf = r["model"](torch.from_numpy(r["xs"])).numpy().reshape(len(r["xs"]), -1)
    assert np.max(np.abs(r["y"] - yf)) <= 0.1 * max(1.0, float(np.max(np.abs(yf))))


def _windows(n, gen):
    """Three classes of 3-axis signals: slow sine, fast sine, noise bursts (an IMU-like task)."""
    t = torch.arange(20, dtype=torch.float32)
    label = torch.randint(0, 3, (n,), generator=gen)
    phase = torch.rand(n, 1, generator=gen) * 6.28
    freq = torch.where(label[:, None] == 0, 0.3, 1.2) * (0.8 + 0.4 * torch.rand(n, 1, generator=gen))
    x = 0.3 * torch.randn(n, 20, 3, generator=gen)
    wave = torch.sin(freq * t + phase) * (label[:, None] != 2)
    x[:, :, 0] += wave
    x[:, :, 1] += 0.5 * wave
    x[:, :, 2] += (label[:, None] == 2) * 1.5 * torch.randn(n, 20, generator=gen).abs()
    return x, label


@pytest.mark.parametrize("cell,epochs", [(nn.GRU, 4), (nn.LSTM, 8)])
def test_trained_classifier_int8_drop_at_most_one_point(cell, epochs):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    x, y = _windows(2000, gen)
    model = Head(cell(3, 16, batch_first=True), 16)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(epochs):
        for i in range(0, len(x), 100):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[i: i + 100]), y[i: i + 100]).backward()
            opt.step()
    model.eval()
    x_test, y_test = _windows(400, gen)
    with torch.no_grad():
        acc_float = (model(x_test).argmax(1) == y_test).float().mean().item()
    g = miniml.api.int8_graph(model, x_test[:1], calibration=x[:200].numpy())
    y_int8 = predict_int8_graph(g, x_test.numpy()).reshape(len(x_test), -1)
    acc_int8 = float(np.mean(y_int8.argmax(1) == y_test.numpy()))
    assert acc_float > 0.9, acc_float  # the task is learnt, so the comparison means something
    assert acc_float - acc_int8 <= 0.01, (acc_float, acc_int8)


class _LstmCellState(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 4, batch_first=True)

    def forward(self, x):
        return self.lstm(x)[1][1].reshape(1, -1)


def test_reject_recurrent_int8_sums_beyond_int32():
    # inputs of +-1e6: the gate sums, shifted left by the requantisation, would overflow int32 (UB)
    cal = 1e6 * np.random.default_rng(0).standard_normal((16, 5, 3)).astype(np.float32)
    model = Head(nn.LSTM(3, 4, batch_first=True), 4).eval()
    with pytest.raises(UnsupportedOpError, match=r"\(nn\.LSTM\): int8 cannot hold this layer: the "
                                                 r"int32 sums of weight ih of gate \w"):
        miniml.analyze(model, torch.from_numpy(cal[:1]), "m", quantize="int8", calibration=cal)


@pytest.mark.parametrize("make,what", [
    (_LstmCellState, r"\(nn\.LSTM\): int8 nn\.LSTM gives its output and h_n, not the cell state c_n"),
])
def test_reject_recurrent_int8(make, what):
    cal = np.random.default_rng(0).standard_normal((16, 5, 3)).astype(np.float32)
    with pytest.raises(UnsupportedOpError, match=what):
        miniml.analyze(make().eval(), torch.from_numpy(cal[:1]), "m", quantize="int8", calibration=cal)
