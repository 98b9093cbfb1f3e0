"""The generic pointwise-activation IR op ("activation", attrs act=(name, *args)) and its kernel.

Each activation file (relu.py, sigmoid.py, ...) registers its ActivationSpec (C++ functor, numpy
function, clamp bounds, backward) and lowers its aten targets with lower_pointwise();
passes/fuse_activation.py moves the same `act` tuple into a conv/linear node. int8: a clamp at the
input's scale (clamp_s8) when the activation is an exact clamp, else a 256-entry lookup table
(lut_s8, shared with the scalar add/mul/div rules).
"""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from ..ir import Node
from ._backward_common import act_grad, act_saves
from ._int8_common import act_table, apply_act, int8_activation_refusal, is_clamp, same_scale
from .registry import ACTIVATIONS, AtenCall, LowerCtx, TensorArg, backward_rule, int8_rule, kernel


def functor(cls: str, *args: float) -> str:
    """`miniml::<cls>(a, b, ...)` with each argument a round-tripping float literal."""
    from ..literals import float_literal

    return f"miniml::{cls}({', '.join(float_literal(a, cls) for a in args)})"


def lower_pointwise(ctx: LowerCtx, call: AtenCall, act: Tuple[Any, ...]) -> Optional[list]:
    x = call.arg(0, "self")
    if not isinstance(x, TensorArg):
        return None
    return [ctx.add_node("activation", (x.name,), attrs={"act": act})]


@kernel("activation", header="op_activation.h", inplace=True)
class Activation:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        n = e.g.tensor(node.inputs[0]).numel
        return (
            f"miniml::activation_f32({e.t(node.inputs[0])}, {e.t(node.outputs[0])}, "
            f"{e.i(n)}, {e.act(node)});"
        )

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        return apply_act(node.attrs["act"], ins[0])


@backward_rule("activation", header="train_backward.h")
class ActivationBackward:
    """grad_input += derivative(saved, grad_output), saved the output or the input as the
    activation's spec says (ActivationSpec.backward)."""

    @staticmethod
    def saves(node: Node, b: Any) -> tuple:
        return act_saves(node.attrs["act"], node.inputs[0], node.outputs[0])

    @staticmethod
    def refuse(node: Node) -> Optional[str]:
        if not ACTIVATIONS[node.attrs["act"][0]].backward:
            return f"{node.attrs['act'][0]} has no backward"
        return None

    @staticmethod
    def emit(node: Node, b: Any) -> list:
        saved = b.e.t(act_saves(node.attrs["act"], node.inputs[0], node.outputs[0])[0])
        n = b.e.i(b.e.g.tensor(node.inputs[0]).numel)
        return [f"miniml::activation_backward_f32({saved}, {b.gy}, {b.gx(0)}, {n}, "
                f"{act_grad(node.attrs['act'])});"]


@int8_rule("activation")
class ActivationInt8:
    @staticmethod
    def lower(n: Node, ins, y: str, q: Any) -> list:
        act = n.attrs["act"]
        if is_clamp(act):
            return same_scale(q, n, ins, y, "clamp_s8", {}, act)
        return [act_table(q, n, act, ins[0], y, n.outputs[0], n.name)]

    @staticmethod
    def refuse(n: Node) -> Optional[str]:
        return int8_activation_refusal(n.attrs["act"])


@kernel("clamp_s8", header="op_elementwise_s8.h")
class ClampS8:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        n = e.g.tensor(node.inputs[0]).numel
        return (
            f"miniml::clamp_s8({e.t(node.inputs[0])}, {e.i(n)}, {a['act_min']}, {a['act_max']}, "
            f"{e.t(node.outputs[0])});"
        )

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        return np.clip(ins[0], node.attrs["act_min"], node.attrs["act_max"])


@kernel("lut_s8", header="op_elementwise_s8.h")
class LutS8:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        n = e.g.tensor(node.inputs[0]).numel
        return (
            f"miniml::lut_s8<{e.mem(node, 'table')}>({e.t(node.inputs[0])}, {e.i(n)}, "
            f"{e.p(node, 'table')}, {e.t(node.outputs[0])});"
        )

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        return p["table"][ins[0].astype(np.int64) + 128]
