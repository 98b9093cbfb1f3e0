"""BatchNorm1d/2d in inference: a per-channel affine ("batchnorm", params scale/shift), which
passes/fold_batchnorm.py folds into the preceding conv/linear; training mode is refused."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import TrainingModeError
from ..ir import Graph, Node
from ._int8_common import weighted
from .registry import AtenCall, LowerCtx, TensorArg, int8_rule, kernel, lowering


def batchnorm_scale_shift(weight, bias, mean, var, eps: float):
    """Pure math: scale = weight / sqrt(var + eps), shift = bias - mean * scale (float64 -> float32)."""
    c = mean.shape[0]
    w = np.ones(c) if weight is None else weight.astype(np.float64)
    b = np.zeros(c) if bias is None else bias.astype(np.float64)
    scale = w / np.sqrt(var.astype(np.float64) + eps)
    shift = b - mean.astype(np.float64) * scale
    return scale.astype(np.float32), shift.astype(np.float32)


def _lower(ctx: LowerCtx, call: AtenCall, training: bool, eps: float):
    x = call.arg(0, "input")
    if training:
        raise TrainingModeError(
            f"{ctx.where()}: BatchNorm in training mode (batch statistics); call model.eval() "
            "before exporting"
        )
    if not isinstance(x, TensorArg):
        return None
    w, b = ctx.const(call.arg(1, "weight")), ctx.const(call.arg(2, "bias"))
    mean, var = ctx.const(call.arg(3, "running_mean")), ctx.const(call.arg(4, "running_var"))
    if mean is None or var is None:
        raise TrainingModeError(
            f"{ctx.where()}: BatchNorm without running statistics (track_running_stats=False) "
            "normalises with batch statistics; not supported"
        )
    scale, shift = batchnorm_scale_shift(w, b, mean, var, float(eps))
    hint = call.arg(3, "running_mean").name.rsplit(".", 1)[0]
    shape = ctx.shape(x)
    inner = 1
    for d in shape[2:]:
        inner *= int(d)
    params = {"scale": ctx.add_param(f"{hint}.scale", scale),
              "shift": ctx.add_param(f"{hint}.shift", shift)}
    # module and eps: what a learning reference needs to fold the same BatchNorm (split_training)
    attrs = {"channels": int(shape[1]), "inner": inner, "module": hint, "eps": float(eps)}
    return [ctx.add_node("batchnorm", (x.name,), params=params, attrs=attrs)]


@lowering("aten.batch_norm.default")
def lower_batch_norm(ctx, call):
    return _lower(ctx, call, bool(call.arg(5, "training", False)), call.arg(7, "eps", 1e-5))


@lowering("aten._native_batch_norm_legit_no_training.default")
def lower_native_batch_norm_no_training(ctx, call):
    return _lower(ctx, call, False, call.arg(6, "eps", 1e-5))


@lowering("aten._native_batch_norm_legit.default", "aten._native_batch_norm_legit_functional.default",
          "aten.native_batch_norm.default")
def lower_native_batch_norm(ctx, call):
    return _lower(ctx, call, bool(call.arg(5, "training", True)), call.arg(7, "eps", 1e-5))


@kernel("batchnorm", header="op_elementwise.h", inplace=True)
class BatchNorm:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        return (f"miniml::channel_affine_f32<{e.mem(node, 'scale')}>({e.t(node.inputs[0])}, "
                f"{e.p(node, 'scale')}, {e.p(node, 'shift')}, {e.t(node.outputs[0])}, "
                f"{e.i(a['channels'])}, {e.i(a['inner'])});")

    @staticmethod
    def macs(node: Node, g: Graph) -> int:
        return int(node.attrs["channels"]) * int(node.attrs["inner"])

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        a = node.attrs
        x = ins[0].reshape(len(ins[0]), a["channels"], a["inner"])
        return x * p["scale"].reshape(1, -1, 1) + p["shift"].reshape(1, -1, 1)


@int8_rule("batchnorm")
class BatchNormInt8:
    @staticmethod
    def lower(n: Node, ins, y: str, q) -> list:
        """A BatchNorm that could not fold is a per-channel affine: a depthwise 1x1 conv2d_s8."""
        c, inner = int(n.attrs["channels"]), int(n.attrs["inner"])
        scale = q.g.param(n, "scale").data.reshape(c, 1, 1, 1)
        shift = q.g.param(n, "shift").data
        q.s8(y, n.outputs[0], q.qparams(n.outputs[0]))
        geometry = {
            "in_channels": c, "out_channels": c, "in_size": (1, inner), "out_size": (1, inner),
            "kernel": (1, 1), "stride": (1, 1), "padding": (0, 0), "dilation": (1, 1), "groups": c,
        }
        return [weighted(q, n, "conv2d_s8", ins[0], y, geometry, wb=(scale, shift))]
