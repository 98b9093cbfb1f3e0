"""Shared lowering of add/sub/mul/div: same shape, per-channel broadcast ([1,C,1..] against
[1,C,...]), a Python scalar, or a constant tensor (parameter/buffer of any shape that broadcasts to
the activation, run as the per-channel affine kernel). Anything else declines (the exporter names the
node). Plus their float run, int8 rules (TFLM's ADD/SUB/MUL, scalar operands as lookup tables) and
integer references.
"""
from __future__ import annotations

from typing import Any, Callable, Dict

import numpy as np

from ..errors import UnsupportedOpError
from ..ir import Node
from ..quant.fixedpoint import multiply_by_quantized_multiplier, requantize
from ..quant.params import add_params, mul_params
from ._int8_common import clamp_bounds, lut
from ._params_block import params_block
from .registry import AtenCall, ConstArg, LowerCtx, TensorArg


def _numel(shape: Any) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def lower_binary(ctx: LowerCtx, call: AtenCall, op: str):
    a, b = call.arg(0, "self"), call.arg(1, "other")
    if call.arg(2, "alpha", 1) != 1:
        return None
    if isinstance(a, TensorArg) and isinstance(b, (int, float)) and not isinstance(b, bool):
        if op == "sub":
            return [ctx.add_node("add_scalar", (a.name,), attrs={"value": -float(b)})]
        if op == "div":  # a division, not a multiply by 1/b: same rounding as torch
            return [ctx.add_node("div_scalar", (a.name,), attrs={"value": float(b)})]
        return [ctx.add_node(f"{op}_scalar", (a.name,), attrs={"value": float(b)})]
    if isinstance(a, ConstArg) or isinstance(b, ConstArg):
        return _lower_const_operand(ctx, call, op, a, b)
    if op in ("sub", "div") and not isinstance(b, TensorArg):
        return None
    if isinstance(b, TensorArg) and isinstance(a, (int, float)) and not isinstance(a, bool):
        return [ctx.add_node(f"{op}_scalar", (b.name,), attrs={"value": float(a)})]
    if not (isinstance(a, TensorArg) and isinstance(b, TensorArg)):
        return None
    sa, sb = tuple(ctx.shape(a)), tuple(ctx.shape(b))
    if sa == sb:
        return [ctx.add_node(op, (a.name, b.name), attrs={"size": _numel(sa)})]
    if _numel(sa) < _numel(sb) and op in ("add", "mul"):
        a, b, sa, sb = b, a, sb, sa
    if (
        len(sa) == len(sb) >= 3
        and sb[1] == sa[1]
        and all(d == 1 for d in sb[2:])
        and sb[0] == sa[0] == 1
        and op in ("add", "mul")
    ):
        return [ctx.add_node(f"{op}_channel", (a.name, b.name),
                             attrs={"outer": int(sa[1]), "inner": _numel(sa[2:])})]
    raise UnsupportedOpError(
        f"{ctx.where()}: {op} of shapes {list(sa)} and {list(sb)}; supported: equal shapes, a "
        "per-channel [1, C, 1, ...] operand, or a Python number"
    )


def _lower_const_operand(ctx: LowerCtx, call: AtenCall, op: str, a: Any, b: Any):
    """x (op) c or c (op) x with c a constant: out = x * scale + shift per broadcast block, the
    "batchnorm" per-channel affine (folded into a preceding conv/linear like a BatchNorm). x / c runs
    as x * (1 / c) and c / x as c * reciprocal(x): within one rounding of torch's division."""
    import numpy as np

    x, c, const_first = (b, a, True) if isinstance(a, ConstArg) else (a, b, False)
    if not isinstance(x, TensorArg):
        return None
    shape = tuple(int(d) for d in ctx.shape(x))
    value = np.asarray(ctx.const(c), dtype=np.float64)
    if tuple(call.out_shape) != shape or value.ndim > len(shape):
        raise UnsupportedOpError(
            f"{ctx.where()}: {op} of an activation {list(shape)} and a constant "
            f"{list(value.shape)} that broadcasts it to {list(call.out_shape)}; the constant must "
            "broadcast to the activation's shape"
        )
    full = np.broadcast_to(value, shape)
    lead = (1,) * (len(shape) - value.ndim) + value.shape
    k = len(shape)
    while k > 0 and lead[k - 1] == 1:
        k -= 1
    channels, inner = _numel(shape[:k]), _numel(shape[k:])
    per = full[(Ellipsis,) + (0,) * (len(shape) - k)].reshape(channels)
    one, zero = np.ones(channels), np.zeros(channels)
    x_name = x.name
    if op == "div" and const_first:
        x_name = ctx.add_temp("reciprocal", shape)
        ctx.add_node("activation", (x.name,), outputs=(x_name,), attrs={"act": ("reciprocal",)})
    scale, shift = {
        "add": (one, per),
        "sub": ((-one, per) if const_first else (one, -per)),
        "mul": (per, zero),
        "div": ((per, zero) if const_first else (1.0 / per, zero)),
    }[op]
    params = {"scale": ctx.add_param(f"{c.name}.scale", scale.astype(np.float32)),
              "shift": ctx.add_param(f"{c.name}.shift", shift.astype(np.float32))}
    return [ctx.add_node("batchnorm", (x_name,), params=params,
                         attrs={"channels": channels, "inner": inner})]


def emit_binary(fn: str, node: Node, e: Any) -> str:
    a = node.attrs
    x = e.t(node.inputs[0])
    y = node.outputs[0]
    if "value" in a:
        return f"miniml::{fn}({x}, {e.f(a['value'])}, {e.t(y)}, {e.i(e.g.tensor(y).numel)});"
    if "outer" in a:
        return (f"miniml::{fn}({x}, {e.t(node.inputs[1])}, {e.t(y)}, {e.i(a['outer'])}, "
                f"{e.i(a['inner'])});")
    return f"miniml::{fn}({x}, {e.t(node.inputs[1])}, {e.t(y)}, {e.i(a['size'])});"


# The float meaning of each binary IR op (numpy broadcasting does the per-channel case).
FLOAT_FN: Dict[str, Callable[[Any, Any], Any]] = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.divide,
}


def binary_run(node: Node, ins: Any, p: Any) -> np.ndarray:
    """Float run of <op>, <op>_scalar and <op>_channel (float32 arithmetic, as the C++)."""
    a = node.attrs
    fn = FLOAT_FN[node.op.split("_")[0]]
    n = len(ins[0])
    if "value" in a:
        return fn(ins[0], np.float32(a["value"])).astype(np.float32)
    if "outer" in a:
        x = ins[0].reshape(n, a["outer"], a["inner"])
        return fn(x, ins[1].reshape(n, a["outer"], 1)).astype(np.float32)
    return fn(ins[0].reshape(n, -1), ins[1].reshape(n, -1)).astype(np.float32)


def lower_scalar_s8(n: Node, ins: Any, y: str, q: Any) -> list:
    """x (op) constant as a 256-entry lookup table of the float function."""
    value = n.attrs["value"]
    fn = lambda v: binary_run(n, [v[None]], {})[0]  # noqa: E731
    return [lut(q, n, fn, f"{n.op}({value:g})", ins[0], y, n.outputs[0], n.name)]


def lower_binary_s8(n: Node, ins: Any, y: str, q: Any) -> list:
    """add/sub/mul (and per-channel add/mul): TFLM's int8 ADD (SUB is ADD with the second input's
    multiplier negated: the same kernel) and MUL."""
    a = n.attrs
    qa, qb, qy = q.q[ins[0]], q.q[ins[1]], q.qparams(n.outputs[0])
    q.s8(y, n.outputs[0], qy)
    lo, hi = clamp_bounds(a.get("act"), qy)
    attrs = {
        "a_zero_point": qa.zero_point,
        "b_zero_point": qb.zero_point,
        "output_zero_point": qy.zero_point,
        "act_min": lo,
        "act_max": hi,
    }
    if n.op.endswith("_channel"):
        attrs.update(channels=int(a["outer"]), inner=int(a["inner"]))
    if n.op.startswith(("add", "sub")):
        pa = add_params(qa.scale, qb.scale, qy.scale)
        attrs.update(
            a_multiplier=pa.a_multiplier,
            a_shift=pa.a_shift,
            b_multiplier=-pa.b_multiplier if n.op == "sub" else pa.b_multiplier,
            b_shift=pa.b_shift,
            output_multiplier=pa.output_multiplier,
            output_shift=pa.output_shift,
        )
    else:
        attrs["multiplier"], attrs["shift"] = mul_params(qa.scale, qb.scale, qy.scale)
    op = {"sub": "add_s8", "add": "add_s8"}.get(n.op, f"{n.op}_s8")
    return [n.with_(op=op, inputs=ins, outputs=(y,), params={}, attrs=attrs)]


def add_s8(a, b, a_zero_point, b_zero_point, a_multiplier, a_shift, b_multiplier, b_shift,
           output_multiplier, output_shift, output_zero_point, left_shift=20, act_min=-128,
           act_max=127):
    """Integer reference of TFLM int8 ADD: both inputs scaled up by 2^left_shift, rescaled to a
    common scale, summed, requantised."""
    sa = multiply_by_quantized_multiplier(
        (np.asarray(a, np.int64) - a_zero_point) * (1 << left_shift), a_multiplier, a_shift)
    sb = multiply_by_quantized_multiplier(
        (np.asarray(b, np.int64) - b_zero_point) * (1 << left_shift), b_multiplier, b_shift)
    return requantize(sa + sb, output_multiplier, output_shift, output_zero_point, act_min, act_max)


def mul_s8(a, b, a_zero_point, b_zero_point, multiplier, shift, output_zero_point, act_min=-128,
           act_max=127):
    """Integer reference of TFLM int8 MUL: (a - za) * (b - zb) requantised with one multiplier."""
    p = (np.asarray(a, np.int64) - a_zero_point) * (np.asarray(b, np.int64) - b_zero_point)
    return requantize(p, multiplier, shift, output_zero_point, act_min, act_max)


def _operands(node: Node, ins: Any):
    a = node.attrs
    n = len(ins[0])
    if "channels" in a:  # the per-channel operand repeated over each channel's inner values
        return ins[0].reshape(n, -1), np.repeat(ins[1].reshape(n, -1), a["inner"], axis=1)
    return ins[0].reshape(n, -1), ins[1].reshape(n, -1)


def add_s8_run(node: Node, ins: Any, p: Any) -> np.ndarray:
    a = node.attrs
    x, b = _operands(node, ins)
    return add_s8(x, b, a["a_zero_point"], a["b_zero_point"], a["a_multiplier"], a["a_shift"],
                  a["b_multiplier"], a["b_shift"], a["output_multiplier"], a["output_shift"],
                  a["output_zero_point"], 20, a["act_min"], a["act_max"])


def mul_s8_run(node: Node, ins: Any, p: Any) -> np.ndarray:
    a = node.attrs
    x, b = _operands(node, ins)
    return mul_s8(x, b, a["a_zero_point"], a["b_zero_point"], a["multiplier"], a["shift"],
                  a["output_zero_point"], a["act_min"], a["act_max"])


_ADD_FIELDS = ("a_zero_point", "a_multiplier", "a_shift", "b_zero_point", "b_multiplier", "b_shift",
               "output_multiplier", "output_shift", "output_zero_point", "act_min", "act_max")
_MUL_FIELDS = ("a_zero_point", "b_zero_point", "multiplier", "shift", "output_zero_point",
               "act_min", "act_max")


def _emit_binary_s8(node: Node, e: Any, kind: str, fields: Any) -> str:
    """miniml::<kind>[_channel]_s8(a, b, k<Layer>Shape, out) after a constexpr <Kind>Params
    (params_block): the shape (channels = 1 unless b is per channel), then the quantisation."""
    a = node.attrs
    x, b, y = e.t(node.inputs[0]), e.t(node.inputs[1]), e.t(node.outputs[0])
    if "channels" in a:
        fn, shape = f"{kind}_channel_s8", [a["channels"], a["inner"]]
    else:
        fn, shape = f"{kind}_s8", [1, e.g.tensor(node.inputs[0]).numel]
    values = shape + [str(int(a[f])) for f in fields]
    return params_block(node, e, f"{kind.capitalize()}Params",
                        list(zip(values, ("channels", "inner") + fields)),
                        f"miniml::{fn}({x}, {b}, {{name}}, {y});")


def emit_add_s8(node: Node, e: Any) -> str:
    return _emit_binary_s8(node, e, "add", _ADD_FIELDS)


def emit_mul_s8(node: Node, e: Any) -> str:
    return _emit_binary_s8(node, e, "mul", _MUL_FIELDS)


def output_macs(node: Node, g: Any) -> int:
    return int(g.tensor(node.outputs[0]).numel)
