"""The int8 graph's edges: quantize_s8 (float input -> int8) and dequantize_s8 (int8 -> float
output), which passes/quantize_int8.py puts around the int8 core (TFLM's QUANTIZE / DEQUANTIZE)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node
from ..quant.params import dequantize_s8, quantize_s8
from .registry import backward_rule, kernel


def _emit(fn: str, node: Node, e: Any) -> str:
    n = e.g.tensor(node.inputs[0]).numel
    return (
        f"miniml::{fn}({e.t(node.inputs[0])}, {e.i(n)}, {e.f(node.attrs['scale'])}, "
        f"{int(node.attrs['zero_point'])}, {e.t(node.outputs[0])});"
    )


@kernel("quantize_s8", header="op_quantize.h")
class QuantizeS8:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return _emit("quantize_s8", node, e)

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        return quantize_s8(ins[0], node.attrs["scale"], node.attrs["zero_point"])


@kernel("dequantize_s8", header="op_quantize.h")
class DequantizeS8:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        return _emit("dequantize_s8", node, e)

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        return dequantize_s8(ins[0], node.attrs["scale"], node.attrs["zero_point"])


# learn(): the edges of a frozen int8 layer after a learning one (int8/mixed.py), straight-through
@backward_rule("quantize_s8", header="train_int8.h")
class QuantizeS8Backward:
    """The gradient passes where the code is not clipped at an int8 limit (train_int8.h)."""

    @staticmethod
    def saves(node: Node, b: Any) -> tuple:
        return (node.outputs[0],)

    @staticmethod
    def emit(node: Node, b: Any) -> list:
        gx = b.gx(0)
        if gx is None:
            return []
        n = b.e.g.tensor(node.inputs[0]).numel
        return [f"miniml::quantize_backward_f32({b.e.t(node.outputs[0])}, {b.gy}, {gx}, "
                f"{b.e.i(n)});"]


@backward_rule("dequantize_s8", header="train_backward.h")
class DequantizeS8Backward:
    """The real value's gradient is the code's (gradients are of the values codes stand for)."""

    @staticmethod
    def emit(node: Node, b: Any) -> list:
        gx = b.gx(0)
        n = b.e.g.tensor(node.inputs[0]).numel
        return [] if gx is None else [f"miniml::add_backward_f32({b.gy}, {gx}, {b.e.i(n)});"]
