"""nn.Embedding and F.one_hot on an integer input (indices; predict takes them as const int32_t*).
Embedding rows are copied from the weight table in flash; an index outside [0, num_embeddings) gives a
zero row (torch raises; a microcontroller cannot), as one_hot gives an all-zero row.

int8: the table quantised per tensor over its own range (0 included, so a zero row is the zero point)
and rows copied as codes (TFLM GATHER); one_hot writes the codes of 1 and 0 (scale 1/255)."""
from __future__ import annotations

from math import prod
from typing import Any

import numpy as np

from ..ir import DType, Node
from ..quant.params import QParams, qparams_from_range, quantize_s8
from .registry import AtenCall, LowerCtx, TensorArg, int8_rule, kernel, lowering



def _indices(ctx: LowerCtx, arg: Any):
    if not isinstance(arg, TensorArg) or ctx.tensors[arg.name].dtype is not DType.S32:
        return None
    return arg


@lowering("aten.embedding.default")
def lower_embedding(ctx: LowerCtx, call: AtenCall):
    w, idx = call.arg(0, "weight"), _indices(ctx, call.arg(1, "indices"))
    if idx is None:
        return None
    table = np.ascontiguousarray(ctx.const(w), dtype=np.float32)
    params = {"weight": ctx.add_param(w.name, table)}
    attrs = {"count": prod(ctx.shape(idx)), "num_embeddings": int(table.shape[0]),
             "embedding_dim": int(table.shape[1])}
    return [ctx.add_node("embedding", (idx.name,), params=params, attrs=attrs)]


@lowering("aten.one_hot.default")
def lower_one_hot(ctx: LowerCtx, call: AtenCall):
    idx = _indices(ctx, call.arg(0, "self"))
    classes = int(call.arg(1, "num_classes", -1))
    if idx is None or classes <= 0:
        return None  # num_classes=-1 depends on the data: give it
    attrs = {"count": prod(ctx.shape(idx)), "num_classes": classes}
    return [ctx.add_node("one_hot", (idx.name,), attrs=attrs)]


def _emit_embedding(node: Node, e: Any) -> str:
    a = node.attrs
    int8 = node.op == "embedding_s8"
    return (f"miniml::embedding_{'s8' if int8 else 'f32'}<{e.mem(node)}>({e.t(node.inputs[0])}, "
            f"{e.p(node, 'weight')}, {e.t(node.outputs[0])}, {e.i(a['count'])}, "
            f"{e.i(a['num_embeddings'])}, {e.i(a['embedding_dim'])}"
            f"{', ' + str(a['zero_point']) if int8 else ''});")


def _emit_one_hot(node: Node, e: Any) -> str:
    a = node.attrs
    codes = ", 127, -128" if node.op == "one_hot_s8" else ""  # ONE_HOT_S8's codes of 1 and 0
    dtype = "s8" if node.op == "one_hot_s8" else "f32"
    return (f"miniml::one_hot_{dtype}({e.t(node.inputs[0])}, {e.t(node.outputs[0])}, "
            f"{e.i(a['count'])}, {e.i(a['num_classes'])}{codes});")


@kernel("embedding", header="op_embedding.h")
class Embedding:
    emit = staticmethod(_emit_embedding)

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        return _gather(node, ins, p["weight"], np.float32(0))


def _gather(node: Node, ins, table: np.ndarray, zero: Any) -> np.ndarray:
    """Rows of the table by index, `zero` rows for an index outside it (float and int8)."""
    idx = ins[0].astype(np.int64).reshape(len(ins[0]), -1)
    ok = (idx >= 0) & (idx < node.attrs["num_embeddings"])
    return np.where(ok[..., None], table[np.where(ok, idx, 0)], zero)


@kernel("one_hot", header="op_embedding.h")
class OneHot:
    emit = staticmethod(_emit_one_hot)

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        return _one_hot(node, ins, np.float32(1), np.float32(0))


def _one_hot(node: Node, ins, on: Any, off: Any) -> np.ndarray:
    idx = ins[0].astype(np.int64).reshape(len(ins[0]), -1)
    hit = idx[..., None] == np.arange(node.attrs["num_classes"])
    return np.where(hit, on, off)


ONE_HOT_S8 = QParams(1.0 / 255.0, -128)  # 0 -> -128, 1 -> 127: both exact


@int8_rule("embedding")
class EmbeddingInt8:
    @staticmethod
    def lower(n: Node, ins, y: str, q: Any) -> list:
        w = q.g.param(n, "weight").data
        qw = qparams_from_range(float(w.min()), float(w.max()))
        q.s8(y, n.outputs[0], qw)
        table = quantize_s8(w, qw.scale, qw.zero_point)
        params = {"weight": q.param(n, "weight", table, DType.S8, scale=qw.scale,
                                    zero_point=qw.zero_point)}
        return [n.with_(op="embedding_s8", inputs=ins, outputs=(y,), params=params,
                        attrs={**n.attrs, "zero_point": qw.zero_point})]


@int8_rule("one_hot")
class OneHotInt8:
    @staticmethod
    def lower(n: Node, ins, y: str, q: Any) -> list:
        q.s8(y, n.outputs[0], ONE_HOT_S8)
        return [n.with_(op="one_hot_s8", inputs=ins, outputs=(y,), params={})]


@kernel("embedding_s8", header="op_embedding.h")
class EmbeddingS8:
    emit = staticmethod(_emit_embedding)

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        return _gather(node, ins, p["weight"], np.int8(node.attrs["zero_point"]))


@kernel("one_hot_s8", header="op_embedding.h")
class OneHotS8:
    emit = staticmethod(_emit_one_hot)

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        return _one_hot(node, ins, np.int8(127), np.int8(-128))
