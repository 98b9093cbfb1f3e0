"""GRU / LSTM / RNN parity: export -> host build (ASan/UBSan, -Werror) -> compare with torch (1e-5 rel).

The grid (cell x layers x batch_first x bias x bidirectional x hidden 1-32 x T 1-64 x which output) is
sampled with a fixed seed so CI stays fast; `make bench`-style full sweeps are not needed for coverage
because every configuration axis appears in the sample (asserted below).
"""
import itertools
import random

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from harness import build_batch, check_batch

import miniml
from miniml.errors import UnsupportedOpError

MODULES = {"gru": nn.GRU, "lstm": nn.LSTM, "rnn_tanh": nn.RNN, "rnn_relu": nn.RNN}


class Seq(nn.Module):
    """A recurrent module returning one of its outputs; batch_first=False models transpose the batch-1
    input [1, T, F] to [T, 1, F] themselves (MiniML inputs are batch first)."""

    def __init__(self, cell, feat, hidden, layers=1, batch_first=True, bias=True, bidir=False,
                 output="out", dropout=0.0, h0=False):
        super().__init__()
        kw = {"nonlinearity": cell[4:]} if cell.startswith("rnn") else {}
        self.rnn = MODULES[cell](feat, hidden, num_layers=layers, batch_first=batch_first, bias=bias,
                                 bidirectional=bidir, dropout=dropout, **kw)
        self.batch_first, self.output, self.cell = batch_first, output, cell
        state = (layers * (2 if bidir else 1), 1, hidden)
        if h0:
            self.register_buffer("h0", torch.rand(state) - 0.5)
            self.register_buffer("c0", torch.rand(state) - 0.5)
        else:
            self.h0 = None

    def forward(self, x):
        if not self.batch_first:
            x = x.transpose(0, 1)
        hx = None
        if self.h0 is not None:
            hx = (self.h0, self.c0) if self.cell == "lstm" else self.h0
        out, state = self.rnn(x, hx)
        if not self.batch_first:
            out = out.transpose(0, 1)
        h_n, c_n = state if self.cell == "lstm" else (state, None)
        outs = {"out": out, "last": out[:, -1], "h_top": h_n[-1],
                "h_n": h_n.reshape(1, -1), "c_n": None if c_n is None else c_n.reshape(1, -1)}
        return outs[self.output]  # batch first, like every MiniML output


def _grid(n, seed=18):
    rng = random.Random(seed)
    axes = list(itertools.product(MODULES, (1, 2), (True, False), (True, False), (True, False)))
    rng.shuffle(axes)
    cases = {}
    for cell, layers, bf, bias, bidir in axes[:n]:
        hidden, steps, feat = rng.choice((1, 2, 5, 8, 16, 32)), rng.choice((1, 3, 17, 64)), rng.randint(1, 6)
        output = rng.choice(["out", "last", "h_n", "h_top"] + (["c_n"] if cell == "lstm" else []))
        cid = (f"{cell}_L{layers}_{'bf' if bf else 'tf'}_{'b' if bias else 'nb'}_"
               f"{'bi' if bidir else 'uni'}_h{hidden}_T{steps}_F{feat}_{output}")
        cases[cid] = (lambda c=cell, f=feat, h=hidden, L=layers, b=bf, bs=bias, bd=bidir, o=output:
                      Seq(c, f, h, L, b, bs, bd, o), (1, steps, feat))
    return cases


class CellLoop(nn.Module):
    """nn.*Cell in a Python loop over time (torch.export unrolls it)."""

    def __init__(self, kind, feat, hidden, bias=True, head=False):
        super().__init__()
        cls = {"gru": nn.GRUCell, "lstm": nn.LSTMCell, "rnn_tanh": nn.RNNCell, "rnn_relu": nn.RNNCell}
        kw = {"nonlinearity": kind[4:]} if kind.startswith("rnn") else {}
        self.cell, self.kind, self.hidden = cls[kind](feat, hidden, bias=bias, **kw), kind, hidden
        self.head = nn.Linear(hidden, 2) if head else nn.Identity()

    def forward(self, x):
        h = torch.zeros(1, self.hidden)
        c = torch.zeros(1, self.hidden)
        for t in range(x.shape[1]):
            if self.kind == "lstm":
                h, c = self.cell(x[:, t], (h, c))
            else:
                h = self.cell(x[:, t], h)
        return self.head(h)


class CausalConvGru(nn.Module):
    def __init__(self, slice_tail=False):
        super().__init__()
        self.slice_tail = slice_tail
        self.conv = nn.Conv1d(3, 6, 3, dilation=2, padding=4 if slice_tail else 0)
        self.gru = nn.GRU(6, 8, batch_first=True)
        self.head = nn.Linear(8, 4)

    def forward(self, x):  # x [1, T, 3]
        y = x.transpose(1, 2)
        y = self.conv(y)[:, :, :-4] if self.slice_tail else self.conv(F.pad(y, (4, 0)))
        out, _ = self.gru(torch.relu(y).transpose(1, 2))
        return self.head(out)


class GruMlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(4, 12, num_layers=2, batch_first=True, dropout=0.25)
        self.mlp = nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 3))

    def forward(self, x):
        return self.mlp(self.gru(x)[0][:, -1])


SPECIAL = {
    "gru_dropout_h0": (lambda: Seq("gru", 3, 7, 2, dropout=0.5, h0=True, output="out"), (1, 9, 3)),
    "lstm_h0_bidir": (lambda: Seq("lstm", 2, 5, 2, bidir=True, h0=True, output="c_n"), (1, 6, 2)),
    "rnn_h0_tf": (lambda: Seq("rnn_tanh", 4, 3, 1, batch_first=False, h0=True, output="last"),
                  (1, 5, 4)),
    "lstm_bidir_3layers": (lambda: Seq("lstm", 3, 4, 3, bidir=True, output="out"), (1, 7, 3)),
    "cells_gru_head": (lambda: CellLoop("gru", 3, 6, head=True), (1, 12, 3)),
    "cells_lstm": (lambda: CellLoop("lstm", 2, 5), (1, 8, 2)),
    "cells_rnn_relu_nobias": (lambda: CellLoop("rnn_relu", 3, 4, bias=False), (1, 6, 3)),
    "causal_conv_gru_pad": (lambda: CausalConvGru(), (1, 20, 3)),
    "causal_conv_gru_slice": (lambda: CausalConvGru(slice_tail=True), (1, 20, 3)),
    "gru_mlp_head": (GruMlp, (1, 16, 4)),
}
GRID = _grid(24)
CASES = {**GRID, **SPECIAL}


def _seeded(m, seed):
    torch.manual_seed(seed)
    m = m()
    return m.eval()


@pytest.fixture(scope="module")
def batch():
    built = {k: (_seeded(f, i), s) for i, (k, (f, s)) in enumerate(CASES.items())}
    return build_batch("ops_recurrent", built)


@pytest.mark.parametrize("case", list(CASES))
def test_parity_recurrent(batch, case):
    check_batch(batch, case)


def test_grid_covers_every_axis():
    ids = list(GRID)
    for token in ("gru_", "lstm_", "rnn_tanh", "rnn_relu", "_L1_", "_L2_", "_bf_", "_tf_", "_b_",
                  "_nb_", "_bi_", "_uni_", "_T1_", "_T64_", "_h1_", "_h32_"):
        assert any(token in i for i in ids), token


def test_lower_cells_fused_into_one_layer(batch):
    layers = batch.models["cells_gru_head"].report.layers
    assert [r.op for r in layers] == ["gru", "linear"]
    assert layers[0].macs == 12 * 3 * 6 * (3 + 6)
    assert [r.op for r in batch.models["cells_lstm"].report.layers] == ["lstm"]


def test_memory_is_the_state_not_the_sequence(batch):
    # out[:, -1] of a 16-step 2-layer GRU(4 -> 12): state 2x12, work 12, the last step 12, the MLP's 16
    rep = batch.models["gru_mlp_head"].report
    assert rep.arena_bytes <= 4 * (2 * 12 + 12 + 12 + 16), rep.memory_plan


def _export(model, shape):
    return miniml.analyze(model.eval(), torch.randn(shape), "m")


def test_reject_lstm_proj_size():
    with pytest.raises(UnsupportedOpError, match=r"nn\.LSTM with proj_size"):
        _export(_ProjLstm(), (1, 4, 3))


class _ProjLstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 8, proj_size=2, batch_first=True)

    def forward(self, x):
        return self.lstm(x)[0]


class _StateFromInput(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(3, 3, batch_first=True)

    def forward(self, x):
        return self.gru(x, x[:, :1].transpose(0, 1).contiguous())[0]


def test_reject_state_from_input():
    with pytest.raises(UnsupportedOpError, match=r"nn\.GRU with an initial state computed"):
        _export(_StateFromInput(), (1, 4, 3))
