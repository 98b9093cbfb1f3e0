"""LogSoftmax over the last dimension: x - max - log(sum(exp(x - max)))."""
from __future__ import annotations

from typing import Any

from ..ir import Node
from .registry import kernel, lowering
from .softmax import last_dim_run, lower_last_dim


@lowering("aten.log_softmax.int", "aten._log_softmax.default")
def lower_log_softmax(ctx, call):
    return lower_last_dim(ctx, call, "log_softmax")


@kernel("log_softmax", header="op_softmax.h", inplace=True)
class LogSoftmax:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        return (f"miniml::log_softmax_f32({e.t(node.inputs[0])}, {e.t(node.outputs[0])}, "
                f"{e.i(a['rows'])}, {e.i(a['cols'])});")

    run = staticmethod(last_dim_run)
