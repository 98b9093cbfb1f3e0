"""GRU (nn.GRU any layers/directions, nn.GRUCell in a loop): float32 and int8, state = the hidden state."""
from __future__ import annotations

from ._recurrent_common import lower_cell, lower_module, register_kernel
from ._recurrent_s8 import RecurrentInt8
from .registry import int8_rule, lowering


@lowering("aten.gru.input")
def lower_gru(ctx, call):
    return lower_module(ctx, call, "gru")


@lowering("aten.gru_cell.default")
def lower_gru_cell(ctx, call):
    return lower_cell(ctx, call, "gru")


register_kernel("gru")
int8_rule("gru")(RecurrentInt8)
