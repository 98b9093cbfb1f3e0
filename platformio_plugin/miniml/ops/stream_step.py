"""Streaming step kernels (no aten target; built by miniml/stream/step_graph.py): one time step of a
recurrent layer with its state in Model, and of a causal Conv1d from its ring buffer."""
from __future__ import annotations

from typing import Any

from ..ir import Node
from ._recurrent_common import CELL_TYPES, recurrent_params, role_tensor
from .registry import kernel


@kernel("recurrent_step", header="op_recurrent.h")
class RecurrentStep:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        outs = ", ".join(role_tensor(node, e, r) for r in ("out", "h_n", "c_n", "work"))
        c = a["state_c"] or "nullptr"
        params = recurrent_params(node.with_(attrs={**a, "seq_len": 1, "last_only": False}), e)
        return (f"miniml::recurrent_stream_f32<{CELL_TYPES[a['cell']]}, {e.mem(node)}>("
                f"{e.t(node.inputs[0])}, {e.p(node, 'weight')}, {a['state_h']}, {c}, {outs}, {params});")


@kernel("conv1d_step", header="op_stream.h")
class Conv1dStep:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        ring = f"miniml::ConvRing{{{a['ring']}, {a['ring']}pos_}}" if a["ring"] else \
            "miniml::ConvRing{nullptr, nullptr}"
        fields = ", ".join(e.i(a[k]) if not isinstance(a[k], tuple) else e.i(a[k][0])
                           for k in ("in_channels", "out_channels", "kernel", "dilation", "groups"))
        skip = "true" if a["skip_history"] else "false"
        return (f"miniml::conv1d_step_f32<{e.mem(node)}>({e.t(node.inputs[0])}, {ring}, "
                f"{e.p(node, 'weight')}, {e.p(node, 'bias')}, {e.t(node.outputs[0])}, "
                f"miniml::ConvStepParams{{{fields}, {skip}}}, {e.act(node)});")
