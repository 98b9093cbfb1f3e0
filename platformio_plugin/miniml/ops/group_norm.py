"""GroupNorm and InstanceNorm (affine or not): statistics of each group of channels computed at run
time ("group_norm"); InstanceNorm is GroupNorm with one channel per group. InstanceNorm with running
statistics (track_running_stats=True, eval) is a per-channel affine like BatchNorm.

int8: LayerNorm's int8 arithmetic (ops/layer_norm.py, op_norm_s8.h) with each group of channels as
one row and the affine weights per channel (TFLM has no GroupNorm)."""
from __future__ import annotations

from math import prod
from typing import Any

import numpy as np

from ..ir import Graph, Node
from .batch_norm import batchnorm_scale_shift
from .layer_norm import emit_norm_s8, layer_norm_s8, norm_s8
from .registry import AtenCall, LowerCtx, TensorArg, int8_rule, kernel, lowering


def lower_group_norm(ctx: LowerCtx, call: AtenCall, x: Any, groups: int, w: Any, b: Any,
                     eps: float):
    if not isinstance(x, TensorArg):
        return None
    shape = [int(d) for d in ctx.shape(x)]
    if len(shape) < 2 or groups <= 0 or shape[1] % groups:
        return None
    params = {}
    for role, arg in (("weight", w), ("bias", b)):
        if arg is not None:
            params[role] = ctx.add_param(arg.name, ctx.const(arg).astype(np.float32))
    attrs = {"groups": groups, "channels": shape[1], "inner": prod(shape[2:]), "eps": float(eps)}
    return [ctx.add_node("group_norm", (x.name,), params=params, attrs=attrs)]


@lowering("aten.group_norm.default")
def lower_group_norm_call(ctx, call):
    return lower_group_norm(ctx, call, call.arg(0, "input"), int(call.arg(1, "num_groups")),
                            call.arg(2, "weight"), call.arg(3, "bias"), call.arg(4, "eps", 1e-5))


@lowering("aten.instance_norm.default")
def lower_instance_norm(ctx, call):
    x, w, b = call.arg(0, "input"), call.arg(1, "weight"), call.arg(2, "bias")
    eps = float(call.arg(7, "eps", 1e-5))
    if call.arg(5, "use_input_stats", True):
        return lower_group_norm(ctx, call, x, int(ctx.shape(x)[1]), w, b, eps)
    mean, var = ctx.const(call.arg(3, "running_mean")), ctx.const(call.arg(4, "running_var"))
    scale, shift = batchnorm_scale_shift(ctx.const(w), ctx.const(b), mean, var, eps)
    hint = call.arg(3, "running_mean").name.rsplit(".", 1)[0]
    shape = ctx.shape(x)
    params = {"scale": ctx.add_param(f"{hint}.scale", scale),
              "shift": ctx.add_param(f"{hint}.shift", shift)}
    return [ctx.add_node("batchnorm", (x.name,), params=params,
                         attrs={"channels": int(shape[1]), "inner": prod(shape[2:])})]


@kernel("group_norm", header="op_group_norm.h", inplace=True)
class GroupNorm:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        return (f"miniml::group_norm_f32<{e.mem(node)}>({e.t(node.inputs[0])}, "
                f"{e.p(node, 'weight')}, {e.p(node, 'bias')}, {e.t(node.outputs[0])}, "
                f"{e.i(a['groups'])}, {e.i(a['channels'] // a['groups'])}, {e.i(a['inner'])}, "
                f"{e.f(a['eps'])});")

    @staticmethod
    def macs(node: Node, g: Graph) -> int:
        return 3 * int(node.attrs["channels"]) * int(node.attrs["inner"])

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        a = node.attrs
        n, g, c = len(ins[0]), a["groups"], a["channels"]
        x = ins[0].reshape(n, g, -1).astype(np.float64)
        mean = x.mean(axis=2, keepdims=True)
        rstd = 1.0 / np.sqrt(((x - mean) ** 2).mean(axis=2, keepdims=True) + a["eps"])
        y = ((x - mean) * rstd).reshape(n, c, -1)
        if "weight" in p:
            y = y * p["weight"].reshape(1, c, 1)
        if "bias" in p:
            y = y + p["bias"].reshape(1, c, 1)
        return y.astype(np.float32)


@int8_rule("group_norm")
class GroupNormInt8:
    @staticmethod
    def lower(n: Node, ins, y: str, q: Any) -> list:
        a = n.attrs
        cols = a["channels"] // a["groups"] * a["inner"]
        params, attrs = norm_s8(n, ins, y, q, cols, a["channels"])
        attrs = {"groups": a["groups"], "channels": a["channels"], "inner": a["inner"], **attrs}
        return [n.with_(op="group_norm_s8", inputs=ins, outputs=(y,), params=params, attrs=attrs)]


@kernel("group_norm_s8", header="op_norm_s8.h", inplace=True)
class GroupNormS8:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        shape = [(a["groups"], "groups"), (a["channels"] // a["groups"], "channels_per_group"),
                 (a["inner"], "inner")]
        return emit_norm_s8(node, e, "group_norm_s8", "GroupNormParams", shape)

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        """layer_norm_s8's reference over each group, the weights repeated over each channel."""
        a = node.attrs
        x = ins[0].reshape(len(ins[0]), a["groups"], -1)
        expand = lambda v: np.repeat(np.asarray(v), a["inner"]).reshape(a["groups"], -1)  # noqa: E731
        return layer_norm_s8(x, expand(p["gamma"]), expand(p["beta"]), a["input_zero_point"],
                             a["var_scale"], a["center_scale"], a["eps"], a["output_zero_point"])
