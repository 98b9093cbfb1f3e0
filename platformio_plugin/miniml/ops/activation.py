"""The generic pointwise-activation IR op ("activation", attrs act=(name, *args)) and its kernel.

Each activation file (relu.py, sigmoid.py, ...) registers its functor and lowers its aten targets with
lower_pointwise(); passes/fuse_activation.py moves the same `act` tuple into a conv/linear node.
"""
from __future__ import annotations

from typing import Any, Optional, Tuple

from ..ir import Node
from .registry import AtenCall, LowerCtx, TensorArg, kernel


def functor(cls: str, *args: float) -> str:
    """`miniml::<cls>(a, b, ...)` with each argument a round-tripping float literal."""
    from ..emit.literals import float_literal

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
