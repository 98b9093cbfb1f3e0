"""Header extras of an int8 model: the edge constants, predict_int8() (the kernel calls of the int8
core; the int8 edge tensors become the caller's buffers) and predict() as quantize -> predict_int8()
-> dequantize, so the kernel calls exist once."""

from __future__ import annotations

from typing import Any

from ..emit import EmitCtx, HeaderParts, float_literal
from ..errors import GraphError
from ..ir import Graph
from ..ops import KERNELS


class _Int8EdgeCtx(EmitCtx):
    def __init__(self, g: Graph, plan: Any, parts: HeaderParts, xq: str, yq: str) -> None:
        super().__init__(g, plan, parts)
        self.xq, self.yq = xq, yq

    def t(self, tensor: str) -> str:
        if tensor == self.xq:
            return "input"
        if tensor == self.yq:
            return "output"
        return super().t(tensor)


def extend_header(parts: HeaderParts, g: Graph, plan: Any) -> None:
    edges = g.meta.get("int8_edges")
    if not edges:
        return
    xq, yq = edges["input"], edges["output"]
    for i, t in enumerate(edges["inputs"]):
        tx, k = g.tensor(t), "" if xq is not None else str(i)
        parts.constants += [
            f"constexpr float kInputScale{k} = {float_literal(tx.scale, 'the input scale')};",
            f"constexpr int32_t kInputZeroPoint{k} = {int(tx.zero_point)};",
        ]
    if yq is None:
        # A float head (mixed precision), several int8 heads or inputs: no int8-only entry point.
        what = ("several or index inputs" if xq is None else "several outputs"
                if len(g.outputs) > 1 else "float head")
        parts.constants.append(f"// int8 backbone, {what}: predict() only (no predict_int8).")
        return
    ty = g.tensor(yq)
    parts.constants += [
        f"constexpr float kOutputScale = {float_literal(ty.scale, 'the output scale')};",
        f"constexpr int32_t kOutputZeroPoint = {int(ty.zero_point)};",
    ]
    readers = [n for n in g.nodes if yq in n.inputs and n.op != "dequantize_s8"]
    if readers:
        raise GraphError(f"int8 output tensor {yq!r} is also read by {readers[0].name!r}")
    e = _Int8EdgeCtx(g, plan, parts, xq, yq)
    body = []
    for n in g.nodes:
        if n.op in ("quantize_s8", "dequantize_s8"):
            continue
        body.append(f"  // {n.name}: {n.op}" + (f" <- {n.source}" if n.source else ""))
        body.append("    " + KERNELS[n.op].emit(n, e))
    # predict(): the float edges around predict_int8, whose int8 edge tensors are arena buffers here.
    std = EmitCtx(g, plan, parts)
    (quantize,) = [n for n in g.nodes if n.op == "quantize_s8"]
    (dequantize,) = [n for n in g.nodes if n.op == "dequantize_s8"]
    parts.predict = [
        "    // quantize -> predict_int8 -> dequantize",
        "    " + KERNELS[quantize.op].emit(quantize, std),
        f"    predict_int8({std.t(xq)}, {std.t(yq)});",
        "    " + KERNELS[dequantize.op].emit(dequantize, std),
    ]
    parts.methods += [
        "  // The int8 core without the float edges: input is kInputSize int8 values quantised "
        "with",
        "  // kInputScale / kInputZeroPoint, output kOutputSize int8 values at kOutputScale / "
        "kOutputZeroPoint.",
        "  void predict_int8(const int8_t* input, int8_t* output) {",
        *body,
        "  }",
    ]
