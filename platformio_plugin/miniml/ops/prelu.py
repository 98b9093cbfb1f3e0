"""PReLU: one slope (a LeakyReLU, fusable) or one slope per channel (dim 1), slopes in flash.

int8 (per channel): TFLM's PRELU, slopes int8 symmetric per tensor, two requantisations (x >= 0:
in/out scale; x < 0: (x - zp) * alpha at in * alpha / out scale)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import DType, Node
from ..quant.fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier
from ..quant.params import f32
from ._params_block import int_fields, params_block
from .activation import lower_pointwise
from .registry import LowerCtx, TensorArg, int8_rule, kernel, lowering


@lowering("aten.prelu.default", "aten._prelu_kernel.default")
def lower_prelu(ctx: LowerCtx, call):
    x, w = call.arg(0, "self"), call.arg(1, "weight")
    if not isinstance(x, TensorArg):
        return None
    slopes = ctx.const(w).reshape(-1)
    shape = [int(d) for d in ctx.shape(x)]
    if slopes.size == 1:
        return lower_pointwise(ctx, call, ("leaky_relu", float(slopes[0])))
    if len(shape) < 2 or shape[1] != slopes.size:
        return None
    inner = 1
    for d in shape[2:]:
        inner *= d
    params = {"weight": ctx.add_param(w.name, slopes)}
    return [ctx.add_node("prelu", (x.name,), params=params,
                         attrs={"channels": shape[1], "inner": inner})]


@kernel("prelu", header="op_elementwise.h", inplace=True)
class Prelu:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        return (f"miniml::prelu_f32<{e.mem(node)}>({e.t(node.inputs[0])}, {e.p(node, 'weight')}, "
                f"{e.t(node.outputs[0])}, {e.i(a['channels'])}, {e.i(a['inner'])});")

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        a = node.attrs
        x = ins[0].reshape(len(ins[0]), a["channels"], a["inner"])
        return np.where(x > 0, x, x * p["weight"].reshape(1, -1, 1))



def quantize_alpha(slopes: np.ndarray):
    """Slopes -> (int8 codes, float32 scale): symmetric per tensor, as TFLM's PRELU reads alpha."""
    amax = float(np.max(np.abs(slopes)))
    scale = f32(amax / 127.0) if amax > 0 else 1.0
    codes = np.clip(np.round(np.asarray(slopes, np.float64) / scale), -127, 127)
    return codes.astype(np.int8), scale


@int8_rule("prelu")
class PreluInt8:
    @staticmethod
    def lower(n: Node, ins, y: str, q: Any) -> list:
        qx, qy = q.q[ins[0]], q.qparams(n.outputs[0])
        q.s8(y, n.outputs[0], qy)
        alpha, alpha_scale = quantize_alpha(q.g.param(n, "weight").data)
        # CalculatePreluParams: the ratios in double of the float32 scales
        m1, s1 = quantize_multiplier(f32(qx.scale) / f32(qy.scale))
        m2, s2 = quantize_multiplier(f32(qx.scale) * f32(alpha_scale) / f32(qy.scale))
        attrs = {**n.attrs, "input_zero_point": qx.zero_point, "output_zero_point": qy.zero_point,
                 "multiplier_pos": m1, "shift_pos": s1, "multiplier_neg": m2, "shift_neg": s2}
        params = {"alpha": q.param(n, "alpha", alpha, DType.S8, scale=alpha_scale, zero_point=0)}
        return [n.with_(op="prelu_s8", inputs=ins, outputs=(y,), params=params, attrs=attrs)]


def prelu_s8(x, alpha, input_zero_point, multiplier_pos, shift_pos, multiplier_neg, shift_neg,
             output_zero_point):
    """Integer reference of TFLM int8 PRELU: x [..., channels, inner], alpha [channels] (zero
    point 0)."""
    d = np.asarray(x, np.int64) - input_zero_point
    a = np.asarray(alpha, np.int64).reshape(-1, 1)
    pos = multiply_by_quantized_multiplier(d, multiplier_pos, shift_pos)
    neg = multiply_by_quantized_multiplier(d * a, multiplier_neg, shift_neg)
    return np.clip(np.where(d >= 0, pos, neg) + output_zero_point, -128, 127).astype(np.int8)


@kernel("prelu_s8", header="op_elementwise_s8.h", inplace=True)
class PreluS8:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        quant = ("input_zero_point", "multiplier_pos", "shift_pos", "multiplier_neg", "shift_neg",
                 "output_zero_point")
        fields = [(a["channels"], "channels"), (a["inner"], "inner")] + int_fields(a, quant)
        call = (f"miniml::prelu_s8<{e.mem(node, 'alpha')}>({e.t(node.inputs[0])}, "
                f"{e.p(node, 'alpha')}, {e.t(node.outputs[0])}, {{name}});")
        return params_block(node, e, "PreluParams", fields, call)

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        a = node.attrs
        x = ins[0].reshape(len(ins[0]), a["channels"], a["inner"])
        return prelu_s8(x, p["alpha"], a["input_zero_point"], a["multiplier_pos"],
                        a["shift_pos"], a["multiplier_neg"], a["shift_neg"],
                        a["output_zero_point"]).reshape(ins[0].shape)
