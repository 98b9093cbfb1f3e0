"""LSTM (nn.LSTM any layers/directions, nn.LSTMCell in a loop): float32, state = hidden + cell state."""
from __future__ import annotations

from ._recurrent_common import lower_cell, lower_module, register_kernel
from .registry import lowering


@lowering("aten.lstm.input")
def lower_lstm(ctx, call):
    return lower_module(ctx, call, "lstm")


@lowering("aten.lstm_cell.default")
def lower_lstm_cell(ctx, call):
    return lower_cell(ctx, call, "lstm")


register_kernel("lstm")
