"""Linear (nn.Linear, aten.linear): y = x W^T + b, weight [out_features][in_features] as torch.

On [1, T, F] inputs the same Linear runs on each of the T rows. int8: TFLM's FULLY_CONNECTED."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Graph, Node, Placement
from ..quant.fixedpoint import requantize
from ._backward_common import (
    Int8LayerBackward,
    act_saves,
    fused_act_backward,
    fused_act_refusal,
    int8_output_grad,
    mem_policies,
)
from ._int8_common import lower_weighted, requant_args, unfold_bias
from ._params_block import params_block
from .registry import AtenCall, LowerCtx, TensorArg, backward_rule, int8_rule, kernel, lowering


@lowering("aten.linear.default")
def lower_linear(ctx: LowerCtx, call: AtenCall):
    x, w, b = call.arg(0, "input"), call.arg(1, "weight"), call.arg(2, "bias")
    if not isinstance(x, TensorArg):
        return None
    shape = ctx.shape(x)
    weight = ctx.const(w)
    rows = 1
    for d in shape[:-1]:
        rows *= d
    params = {"weight": ctx.add_param(w.name, weight)}
    if b is not None:
        params["bias"] = ctx.add_param(b.name, ctx.const(b))
    attrs = {"in_features": int(weight.shape[1]), "out_features": int(weight.shape[0]), "act": None,
             "rows": rows}
    return [ctx.add_node("linear", (x.name,), params=params, attrs=attrs)]


@kernel("linear", header="op_linear.h", fuses_activation=True)
class Linear:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        if a.get("rows", 1) != 1:  # e.g. [1, T, F]: the same Linear on each of T rows
            return (
                f"miniml::linear_rows_f32<{e.mem(node, 'weight')}>({e.t(node.inputs[0])}, "
                f"{e.p(node, 'weight')}, {e.p(node, 'bias')}, {e.t(node.outputs[0])}, "
                f"{e.i(a['rows'])}, {e.i(a['in_features'])}, {e.i(a['out_features'])}, "
                f"{e.act(node)});"
            )
        return (
            f"miniml::linear_f32<{mem_policies(node, e)}>({e.t(node.inputs[0])}, "
            f"{e.p(node, 'weight')}, {e.p(node, 'bias')}, {e.t(node.outputs[0])}, "
            f"{e.i(a['in_features'])}, {e.i(a['out_features'])}, {e.act(node)});"
        )

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        a = node.attrs
        x = ins[0].reshape(len(ins[0]), int(a.get("rows", 1)), a["in_features"]).astype(np.float64)
        y = x @ p["weight"].astype(np.float64).T
        return y + p["bias"] if "bias" in p else y

    @staticmethod
    def macs(node: Node, g: Graph) -> int:
        a = node.attrs
        return int(a.get("rows", 1)) * int(a["in_features"]) * int(a["out_features"])


@backward_rule("linear", header="train_linear.h", params=("weight", "bias"))
class LinearBackward:
    """The fused activation's derivative in place, the input gradient with the weights before the
    update; the weight gradient (grad_output x input) is never stored: train_linear.h forms and
    applies it element by element, and the bias gradient is grad_output itself."""

    @staticmethod
    def saves(node: Node, b: Any) -> tuple:
        x, y = node.inputs[0], node.outputs[0]
        return act_saves(node.attrs.get("act"), x, y) + ((x,) if b.trains("weight") else ())

    @staticmethod
    def refuse(node: Node) -> Any:
        if node.attrs.get("rows", 1) != 1:
            return f"it runs on {node.attrs['rows']} rows"
        return fused_act_refusal(node)

    @staticmethod
    def emit(node: Node, b: Any) -> list:
        a, e = node.attrs, b.e
        lines = fused_act_backward(node, b, a["out_features"])
        gx = b.gx(0)
        if gx is not None:
            lines.append(f"miniml::linear_backward_input_f32<{e.mem(node, 'weight')}>("
                         f"{e.p(node, 'weight')}, {b.gy}, {e.i(a['in_features'])}, "
                         f"{e.i(a['out_features'])}, {gx});")
        if b.trains("weight"):
            b.outer_grad("weight", e.t(node.inputs[0]), a["in_features"], a["out_features"])
        if b.trains("bias"):
            b.grad_is("bias", b.gy, a["out_features"])
        return lines


@int8_rule("linear")
class LinearInt8:
    @staticmethod
    def lower(n: Node, ins, y: str, q: Any) -> list:
        return lower_weighted(q, n, ins, y, "linear_s8")


def linear_s8(x, input_zero_point, weight, bias, multiplier, shift, output_zero_point,
              act_min=-128, act_max=127):
    """Integer reference: x [rows][in] (or [in]), weight [out][in] int8, bias [out] int32 (TFLM's,
    not folded; or None), per-channel multiplier/shift [out] -> int8 [rows][out]."""
    x = np.asarray(x, np.int64) - input_zero_point
    acc = x @ np.asarray(weight, np.int64).T
    if bias is not None:
        acc = acc + np.asarray(bias, np.int64)
    return requantize(acc, np.asarray(multiplier), np.asarray(shift), output_zero_point, act_min,
                      act_max)


@backward_rule("linear_s8", header="train_int8.h")
class LinearS8Backward(Int8LayerBackward):
    """A frozen int8 Linear after a learning layer (int8/mixed.py): the clamp mask and weight
    scales on the output gradient, then the input gradient through the int8 weights."""

    @staticmethod
    def refuse(node: Node) -> Any:
        if node.attrs.get("rows", 1) != 1:
            return f"it runs on {node.attrs['rows']} rows"
        return Int8LayerBackward.refuse(node)

    @staticmethod
    def emit(node: Node, b: Any) -> list:
        a, e = node.attrs, b.e
        lines = int8_output_grad(node, b, a["out_features"], 1)
        gx = b.gx(0)
        if gx is not None:
            lines.append(f"miniml::linear_backward_input_f32<{e.mem(node, 'weight')}>("
                         f"{e.p(node, 'weight')}, {b.gy}, {e.i(a['in_features'])}, "
                         f"{e.i(a['out_features'])}, {gx});")
        return lines


def in_acc24_domain(node: Node, g: Graph) -> bool:
    """Whether linear_acc24_s8's domain holds (op_linear_s8.h): constant (ROM) parameters, 1..255
    inputs, every row's accumulator within 24 bits for any int8 input (|bias| + 128 sum |w| <
    2^23), multiplier >= 0, shift in [-31, -2] and act_min <= act_max (requantize_s8_avr's fast
    case)."""
    p = {r: g.params[node.params[r]] for r in ("weight", "bias", "multiplier", "shift")}
    if any(v.placement is not Placement.ROM for v in p.values()):
        return False
    w = np.asarray(p["weight"].data, np.int64)
    bound = np.abs(np.asarray(p["bias"].data, np.int64)) + 128 * np.abs(w).sum(axis=1)
    shift = np.asarray(p["shift"].data, np.int64)
    return bool(
        1 <= w.shape[1] <= 255
        and node.attrs["act_min"] <= node.attrs["act_max"]
        and (bound < 2**23).all()
        and (np.asarray(p["multiplier"].data, np.int64) >= 0).all()
        and ((shift >= -31) & (shift <= -2)).all()
    )


def takes_acc24(g: Graph) -> bool:
    """linear_acc24_s8 for the model's int8 Linears when they are all in its domain: on the ATmega its
    routine then replaces linear_s8's code instead of adding to it (mlp16: 4340 -> 3624 B, digits_cnn
    9650 -> 9506 B; gru_gesture, lstm_sensor +2, +12 B)."""
    return all(in_acc24_domain(n, g) for n in g.nodes if n.op == "linear_s8")


@kernel("linear_s8", header="op_linear_s8.h")
class LinearS8:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        w = e.g.params[node.params["weight"]].data
        x, y = e.t(node.inputs[0]), e.t(node.outputs[0])
        rows = int(a.get("rows", 1))
        if rows != 1:  # the same Linear on each row: one call per row
            x = f"{x} + r * {e.i(w.shape[1])}"
            y = f"{y} + r * {e.i(w.shape[0])}"
        kernel = "linear_acc24_s8" if takes_acc24(e.g) else "linear_s8"
        call = (
            f"miniml::{kernel}<{e.mem(node, 'weight')}>({x}, {requant_args(node, e)}, {{name}}, "
            f"{a['output_zero_point']}, {a['act_min']}, {a['act_max']}, {y});"
        )
        if rows != 1:
            call = f"for (miniml::index_t r = 0; r < {e.i(rows)}; ++r) {call}"
        shape = [(w.shape[1], "in_features"), (w.shape[0], "out_features")]
        return params_block(node, e, "LinearParams", shape, call)

    @staticmethod
    def run(node: Node, ins, p) -> np.ndarray:
        a = node.attrs
        w, zp = p["weight"], a["input_zero_point"]
        x = ins[0].reshape(len(ins[0]), int(a.get("rows", 1)), w.shape[1])
        return linear_s8(x, zp, w, unfold_bias(p["bias"], w, zp), p["multiplier"], p["shift"],
                         a["output_zero_point"], a["act_min"], a["act_max"])

    @staticmethod
    def macs(node: Node, g: Graph) -> int:
        return int(node.attrs.get("rows", 1)) * int(g.params[node.params["weight"]].data.size)
