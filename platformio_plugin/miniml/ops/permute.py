"""permute / transpose / t / channel_shuffle of an activation (e.g. [1, T, C] -> [1, C, T] before a Conv1d): a copy
with strides, up to 4 dims, shared with slice.py and select.py ("permute" IR op: out_shape, strides,
offset). Of a weight it is folded at export time instead (capture folds constants-only nodes).

int8: the same copy of the codes, the output keeping the input's parameters (TFLM TRANSPOSE)."""
from __future__ import annotations

from typing import Any, List, Tuple

import numpy as np

from ..errors import UnsupportedOpError
from ..ir import Node
from ._int8_common import same_scale
from .registry import AtenCall, LowerCtx, TensorArg, int8_rule, kernel, lowering


def collapse_permute(shape: List[int], perm: List[int]) -> Tuple[List[int], List[int]]:
    """The same data movement on fewer dims: size-1 dims dropped, and input dims that stay next to
    each other (in order) in the output merged. A channel shuffle [1, g, C/g, H, W] -> (0, 2, 1, 3, 4)
    becomes [g, C/g, H*W] -> (1, 0, 2)."""
    order = [p for p in perm if shape[p] != 1]
    groups: List[List[int]] = []
    for p in order:
        last = groups[-1][-1] if groups else len(shape)
        if p > last and all(shape[q] == 1 for q in range(last + 1, p)):
            groups[-1].append(p)
        else:
            groups.append([p])
    firsts = sorted(g[0] for g in groups)
    sizes = {g[0]: 1 for g in groups}
    for g in groups:
        for d in g:
            sizes[g[0]] *= shape[d]
    new_shape = [sizes[f] for f in firsts] or [1]
    new_perm = [firsts.index(g[0]) for g in groups] or [0]
    return new_shape, new_perm


def _permute(ctx: LowerCtx, call: AtenCall, x: TensorArg, perm: List[int]):
    n = len(ctx.shape(x))
    perm = [int(p) % n for p in perm]
    shape, perm = collapse_permute([int(d) for d in ctx.shape(x)], perm)
    n = len(shape)
    if n > 4:
        raise UnsupportedOpError(f"{ctx.where()}: permute of a {n}-D tensor (at most 4-D supported)")
    if perm == list(range(n)):
        return [ctx.add_node("alias", (x.name,))]
    strides = contiguous_strides(shape)
    out_shape = [shape[p] for p in perm]
    out_strides = [strides[p] for p in perm]
    return strided_copy(ctx, x, out_shape, out_strides, 0)


def contiguous_strides(shape: List[int]) -> List[int]:
    strides = [1] * len(shape)
    for i in range(len(shape) - 2, -1, -1):
        strides[i] = strides[i + 1] * shape[i + 1]
    return strides


def strided_copy(ctx: LowerCtx, x: TensorArg, out_shape: List[int], strides: List[int],
                 offset: int):
    """output[i0..i3] = input[offset + sum(i_k * strides[k])]: permute, slice and select."""
    n = len(out_shape)
    if n > 4:
        raise UnsupportedOpError(f"{ctx.where()}: a {n}-D strided copy (at most 4-D supported)")
    pad = 4 - n
    attrs = {"out_shape": tuple([1] * pad + [int(d) for d in out_shape]),
             "strides": tuple([0] * pad + [int(s) for s in strides]), "offset": int(offset)}
    return [ctx.add_node("permute", (x.name,), attrs=attrs)]


@lowering("aten.permute.default")
def lower_permute(ctx: LowerCtx, call: AtenCall):
    x = call.arg(0, "self")
    if not isinstance(x, TensorArg):
        return None
    return _permute(ctx, call, x, list(call.arg(1, "dims")))


@lowering("aten.transpose.int", "aten.swapaxes.default", "aten.swapdims.default",
          "aten.transpose_.default", "aten.swapaxes_.default", "aten.swapdims_.default")
def lower_transpose(ctx: LowerCtx, call: AtenCall):
    x = call.arg(0, "self")
    if not isinstance(x, TensorArg):
        return None
    n = len(ctx.shape(x))
    d0, d1 = int(call.arg(1, "dim0")) % n, int(call.arg(2, "dim1")) % n
    perm = list(range(n))
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return _permute(ctx, call, x, perm)


@lowering("aten.t.default", "aten.t_.default", "aten.numpy_T.default")
def lower_t(ctx: LowerCtx, call: AtenCall):
    x = call.arg(0, "self")
    if not isinstance(x, TensorArg):
        return None
    return _permute(ctx, call, x, list(range(len(ctx.shape(x))))[::-1])


def _emit_permute(node: Node, e: Any) -> str:
    a = node.attrs
    shape = ", ".join(e.i(v) for v in a["out_shape"])
    strides = ", ".join(e.i(v) for v in a["strides"])
    src = e.t(node.inputs[0])
    if a.get("offset"):
        src = f"{src} + {e.i(a['offset'])}"
    fn = "permute_s8" if node.op == "permute_s8" else "permute_f32"
    return (f"miniml::{fn}({src}, {e.t(node.outputs[0])}, "
            f"miniml::PermuteParams{{{{{shape}}}, {{{strides}}}}});")


def _run_permute(node: Node, ins, p) -> np.ndarray:
    """Float and int8 alike: output[i] = input[offset + sum(i_k * strides[k])]."""
    a = node.attrs
    index = np.full(a["out_shape"], a["offset"], np.int64)
    for k, (d, s) in enumerate(zip(a["out_shape"], a["strides"])):
        shape = [1] * 4
        shape[k] = d
        index = index + np.arange(d).reshape(shape) * s
    return ins[0].reshape(len(ins[0]), -1)[:, index.reshape(-1)]


@kernel("permute", header="op_layout.h")
class Permute:
    emit = staticmethod(_emit_permute)
    run = staticmethod(_run_permute)


@int8_rule("permute")
class PermuteInt8:
    @staticmethod
    def lower(n: Node, ins, y: str, q: Any) -> list:
        return same_scale(q, n, ins, y, "permute_s8", dict(n.attrs))


@kernel("permute_s8", header="op_layout.h")
class PermuteS8:
    emit = staticmethod(_emit_permute)
    run = staticmethod(_run_permute)


@lowering("aten.channel_shuffle.default", "aten.native_channel_shuffle.default")
def lower_channel_shuffle(ctx: LowerCtx, call: AtenCall):
    """nn.ChannelShuffle(g): [1, g, C/g, *] transposed to [1, C/g, g, *], a permute."""
    x = call.arg(0, "self")
    if not isinstance(x, TensorArg):
        return None
    shape = [int(d) for d in ctx.shape(x)]
    g = int(call.arg(1, "groups"))
    inner = 1
    for d in shape[2:]:
        inner *= d
    if len(shape) < 2 or shape[1] % g:
        return None
    strides = contiguous_strides([g, shape[1] // g, inner])
    return strided_copy(ctx, x, [shape[1] // g, g, inner], [strides[1], strides[0], strides[2]], 0)
