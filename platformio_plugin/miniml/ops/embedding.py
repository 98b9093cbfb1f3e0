"""nn.Embedding and F.one_hot on an integer input (indices; predict takes them as const int32_t*).
Embedding rows are copied from the weight table in flash; an index outside [0, num_embeddings) gives a
zero row (torch raises; a microcontroller cannot), as one_hot gives an all-zero row."""
from __future__ import annotations

from math import prod
from typing import Any

import numpy as np

from ..ir import DType, Node
from .registry import AtenCall, LowerCtx, TensorArg, kernel, lowering



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


@kernel("embedding", header="op_embedding.h")
class Embedding:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        return (f"miniml::embedding_f32<{e.mem(node)}>({e.t(node.inputs[0])}, {e.p(node, 'weight')}, "
                f"{e.t(node.outputs[0])}, {e.i(a['count'])}, {e.i(a['num_embeddings'])}, "
                f"{e.i(a['embedding_dim'])});")

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        idx = ins[0].astype(np.int64).reshape(len(ins[0]), -1)
        ok = (idx >= 0) & (idx < node.attrs["num_embeddings"])
        return np.where(ok[..., None], p["weight"][np.where(ok, idx, 0)], np.float32(0))


@kernel("one_hot", header="op_embedding.h")
class OneHot:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        return (f"miniml::one_hot_f32({e.t(node.inputs[0])}, {e.t(node.outputs[0])}, "
                f"{e.i(a['count'])}, {e.i(a['num_classes'])});")

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        idx = ins[0].astype(np.int64).reshape(len(ins[0]), -1)
        classes = np.arange(node.attrs["num_classes"])
        return (idx[..., None] == classes).astype(np.float32)
