"""The int8 graph's edges: quantize_s8 (float input -> int8) and dequantize_s8 (int8 -> float
output), which passes/quantize_int8.py puts around the int8 core (TFLM's QUANTIZE / DEQUANTIZE)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node
from ..quant.params import dequantize_s8, quantize_s8
from .registry import kernel


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
