"""Elman RNN (nn.RNN tanh or relu, any layers/directions, nn.RNNCell in a loop): float32 and int8."""
from __future__ import annotations

from ._recurrent_common import lower_cell, lower_module, register_kernel
from ._recurrent_s8 import RecurrentInt8
from .registry import int8_rule, lowering


@lowering("aten.rnn_tanh.input")
def lower_rnn_tanh(ctx, call):
    return lower_module(ctx, call, "rnn_tanh")


@lowering("aten.rnn_relu.input")
def lower_rnn_relu(ctx, call):
    return lower_module(ctx, call, "rnn_relu")


@lowering("aten.rnn_tanh_cell.default")
def lower_rnn_tanh_cell(ctx, call):
    return lower_cell(ctx, call, "rnn_tanh")


@lowering("aten.rnn_relu_cell.default")
def lower_rnn_relu_cell(ctx, call):
    return lower_cell(ctx, call, "rnn_relu")


register_kernel("rnn")
int8_rule("rnn")(RecurrentInt8)
