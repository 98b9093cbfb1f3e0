"""LSTM (nn.LSTM any layers/directions, nn.LSTMCell in a loop): float32, and int8 as TFLite Micro's LSTM.

State = hidden + cell state; int8 arithmetic in ops/_lstm_s8.py."""
from __future__ import annotations

from ._recurrent_common import lower_cell, lower_module, register_kernel
from ._recurrent_s8 import RecurrentInt8
from .registry import int8_rule, lowering


@lowering("aten.lstm.input")
def lower_lstm(ctx, call):
    return lower_module(ctx, call, "lstm")


@lowering("aten.lstm_cell.default")
def lower_lstm_cell(ctx, call):
    return lower_cell(ctx, call, "lstm")


register_kernel("lstm")
int8_rule("lstm")(RecurrentInt8)
