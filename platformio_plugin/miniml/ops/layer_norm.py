"""LayerNorm over the last dimension (nn.LayerNorm(C), elementwise_affine and bias on or off).

int8: the row statistics in integers, the normalisation in float32 once per element (op_norm_s8.h;
TFLM has no int8 LayerNorm), the output at its calibrated scale."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import UnsupportedOpError
from ..ir import DType, Node
from ._params_block import params_block
from .registry import AtenCall, LowerCtx, TensorArg, int8_rule, kernel, lowering


@lowering("aten.layer_norm.default", "aten.native_layer_norm.default")
def lower_layer_norm(ctx: LowerCtx, call: AtenCall):
    x, shape = call.arg(0, "input"), call.arg(1, "normalized_shape")
    if not isinstance(x, TensorArg):
        return None
    dims = [int(d) for d in ctx.shape(x)]
    if list(shape) != dims[-1:]:
        raise UnsupportedOpError(
            f"{ctx.where()}: LayerNorm over {list(shape)} of a {dims} tensor; only the last "
            "dimension is supported (normalized_shape = [C])"
        )
    params = {}
    for role, index in (("weight", 2), ("bias", 3)):
        value = call.arg(index, role)
        if value is not None:
            params[role] = ctx.add_param(value.name, ctx.const(value))
    attrs = {"rows": int(np.prod(dims[:-1])), "cols": dims[-1], "eps": float(call.arg(4, "eps"))}
    return [ctx.add_node("layer_norm", (x.name,), params=params, attrs=attrs)]


@kernel("layer_norm", header="op_norm.h", inplace=True)
class LayerNorm:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        return (
            f"miniml::layer_norm_f32<{e.mem(node)}>({e.t(node.inputs[0])}, {e.p(node, 'weight')}, "
            f"{e.p(node, 'bias')}, {e.t(node.outputs[0])}, {e.i(a['rows'])}, {e.i(a['cols'])}, "
            f"{e.f(a['eps'])});"
        )

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        a = node.attrs
        x = ins[0].reshape(len(ins[0]), a["rows"], a["cols"]).astype(np.float64)
        d = x - x.mean(axis=2, keepdims=True)
        y = d / np.sqrt((d * d).mean(axis=2, keepdims=True) + a["eps"])
        return y * p.get("weight", 1.0) + p.get("bias", 0.0)

    @staticmethod
    def macs(node: Node, g: Any) -> int:
        return 3 * int(node.attrs["rows"]) * int(node.attrs["cols"])


@int8_rule("layer_norm")
class LayerNormInt8:
    @staticmethod
    def lower(n: Node, ins, y: str, q: Any) -> list:
        a = n.attrs
        cols = int(a["cols"])
        params, attrs = norm_s8(n, ins, y, q, cols, cols)
        attrs = {"rows": int(a["rows"]), "cols": cols, **attrs}
        return [n.with_(op="layer_norm_s8", inputs=ins, outputs=(y,), params=params, attrs=attrs)]


def norm_s8(n: Node, ins, y: str, q: Any, cols: int, n_weights: int):
    """The int8 output (its calibrated range), the float32 affine weights over the output scale
    (gamma, beta [n_weights]: ones / zeros without affine) and the statistics' constants of a
    normalisation over rows of `cols` values (LayerNorm, GroupNorm): (params, attrs)."""
    qx, qy = q.q[ins[0]], q.qparams(n.outputs[0])
    q.s8(y, n.outputs[0], qy)
    w, b = q.g.param(n, "weight"), q.g.param(n, "bias")
    gamma = np.ones(n_weights) if w is None else w.data.astype(np.float64)
    beta = np.zeros(n_weights) if b is None else b.data.astype(np.float64)
    params = {
        "gamma": q.param(n, "gamma", (gamma / qy.scale).astype(np.float32), DType.F32),
        "beta": q.param(n, "beta", (beta / qy.scale).astype(np.float32), DType.F32),
    }
    attrs = {
        "eps": float(np.float32(n.attrs["eps"])),
        "input_zero_point": qx.zero_point,
        "var_scale": float(np.float32(float(qx.scale) ** 2 / cols**3)),
        "center_scale": float(np.float32(float(qx.scale) / cols)),
        "output_zero_point": qy.zero_point,
    }
    return params, attrs


def layer_norm_s8(x, gamma, beta, input_zero_point, var_scale, center_scale, eps,
                  output_zero_point):
    """Integer reference of layer_norm_s8 (op_norm_s8.h): x [..., cols] int8 -> int8, float32 steps
    in the C++ order."""
    f32 = np.float32
    n = x.shape[-1]
    d = np.asarray(x, np.int64) - input_zero_point
    c = n * d - d.sum(axis=-1, keepdims=True)
    ss = (c * c).sum(axis=-1, keepdims=True)
    var = ss.astype(f32) * f32(var_scale)
    a = f32(center_scale) * (f32(1.0) / np.sqrt(var + f32(eps)))
    y = (c.astype(f32) * a * np.asarray(gamma, f32) + np.asarray(beta, f32)).astype(np.float64)
    q = np.clip(np.sign(y) * np.floor(np.abs(y) + 0.5), -256, 256).astype(np.int64)
    return np.clip(q + output_zero_point, -128, 127).astype(np.int8)


def emit_norm_s8(node: Node, e: Any, fn: str, struct: str, shape: list) -> str:
    """miniml::<fn><Mem>(x, gamma, beta, y, k<Layer>Shape) after a constexpr <struct>
    (params_block): `shape` [(value, field)], then the quantisation (layer_norm_s8 / group_norm_s8)."""
    a = node.attrs
    quant = [(str(int(a["input_zero_point"])), "input_zero_point")]
    quant += [(e.f(a[f]), f) for f in ("var_scale", "center_scale", "eps")]
    quant += [(str(int(a["output_zero_point"])), "output_zero_point")]
    call = (f"miniml::{fn}<{e.mem(node, 'gamma')}>({e.t(node.inputs[0])}, {e.p(node, 'gamma')}, "
            f"{e.p(node, 'beta')}, {e.t(node.outputs[0])}, {{name}});")
    return params_block(node, e, struct, shape + quant, call)


@kernel("layer_norm_s8", header="op_norm_s8.h", inplace=True)
class LayerNormS8:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        return emit_norm_s8(node, e, "layer_norm_s8", "LayerNormParams",
                            [(a["rows"], "rows"), (a["cols"], "cols")])

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        a = node.attrs
        x = ins[0].reshape(len(ins[0]), a["rows"], a["cols"])
        return layer_norm_s8(x, p["gamma"], p["beta"], a["input_zero_point"], a["var_scale"],
                             a["center_scale"], a["eps"], a["output_zero_point"])
