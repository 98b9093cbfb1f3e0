"""Shared pieces of the int8 rules (TFLite's int8 scheme) that several op modules use: activations
in int8 (clamp bounds, lookup tables), the weighted-layer rewrite (linear, conv, BatchNorm), and
same-scale rewrites (pools, copies, clamps).

`q` is the int8 graph under construction (passes/quantize_int8.py): q.qparams(float tensor) gives
the calibrated parameters of a float tensor, q.q[int8 tensor] those of an int8 tensor already made,
q.s8(name, like, qparams) declares an int8 tensor shaped like a float one, q.param(node, role, data,
dtype) adds a parameter, q.g is the float graph.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

from ..ir import DType, Node
from ..quant.fixedpoint import quantize_scalar
from ..quant.params import (
    QParams,
    channel_multipliers,
    check_layer_ranges,
    dequantize_s8,
    fold_bias,
    quantize_bias,
    quantize_s8,
    quantize_weight,
)
from .registry import ACTIVATIONS


def preact_name(tensor: str) -> str:
    """Name of the tensor before a fused non-clamp activation (int8 graphs split the two; the
    calibration run records its range under this name)."""
    return f"{tensor}_preact"


def apply_act(act: Optional[Tuple[Any, ...]], x: np.ndarray) -> np.ndarray:
    """The float meaning of an IR `act` tuple (name, *args), batched, float32."""
    if act is None:
        return x
    return np.asarray(ACTIVATIONS[act[0]].numpy(x, *act[1:]), np.float32)


def is_clamp(act: Optional[Tuple[Any, ...]]) -> bool:
    """True when the activation is an exact clamp at an unchanged scale (int8 act_min/act_max)."""
    return act is None or ACTIVATIONS[act[0]].clamp is not None


def int8_activation_refusal(act: Optional[Tuple[Any, ...]]) -> Optional[str]:
    if act is None or ACTIVATIONS[act[0]].numpy is not None:
        return None
    usable = sorted(k for k, s in ACTIVATIONS.items() if s.numpy is not None)
    return f"the activation {act[0]} (int8 has {', '.join(usable)})"


def clamp_bounds(act: Optional[Tuple[Any, ...]], q: QParams) -> Tuple[int, int]:
    """int8 [act_min, act_max] of a clamp activation (or none) at the tensor's parameters."""
    if act is None:
        return -128, 127
    lo_f, hi_f = ACTIVATIONS[act[0]].clamp(*act[1:])
    lo = -128 if lo_f is None else max(-128, quantize_scalar(lo_f, q.scale, q.zero_point))
    hi = 127 if hi_f is None else min(127, quantize_scalar(hi_f, q.scale, q.zero_point))
    return lo, hi


def per_sample(fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """Runs a one-sample integer reference over a batch [N, ...]."""
    return np.stack([fn(v) for v in x])


def requant_args(node: Node, e: Any) -> str:
    """The weight, folded bias, multiplier and shift arguments of a weighted int8 kernel."""
    return (
        f"{e.p(node, 'weight')}, {e.p(node, 'bias')}, {e.p(node, 'multiplier')}, "
        f"{e.p(node, 'shift')}"
    )


def unfold_bias(bias_folded, w, zp) -> np.ndarray:
    """The TFLM bias back from the folded one (the references subtract the zero point)."""
    return np.asarray(bias_folded, np.int64) + int(zp) * np.asarray(w, np.int64).reshape(
        len(bias_folded), -1
    ).sum(1)


def weighted(q: Any, n: Node, op: str, x: str, y: str, extra: Dict, wb=None) -> Node:
    """linear / conv (and BatchNorm as a depthwise 1x1 conv): symmetric per-channel weights, folded
    int32 bias, per-channel requantisation, a clamp activation as act_min/max. `wb` gives (weight,
    bias) arrays for nodes whose params are not weight/bias."""
    qx, qy = q.q[x], q.qparams(y)  # y was declared (q.s8) before: its parameters are known
    if wb is None:
        w = q.g.param(n, "weight").data
        b = q.g.param(n, "bias")
        b = None if b is None else b.data
    else:
        w, b = wb
    wq, ws = quantize_weight(w, axis=0)
    check_layer_ranges(q.where(n), w, b, wq, ws, qx, qy)
    bq = quantize_bias(b, qx.scale, ws, w.shape[0])
    m, s = channel_multipliers(
        qx.scale, ws, qy.scale, per_tensor_fc=(op == "linear_s8" and w.shape[0] == 1)
    )
    lo, hi = clamp_bounds(n.attrs.get("act"), qy)
    params = {
        "weight": q.param(n, "weight", wq, DType.S8, scale=ws, zero_point=0),
        "bias": q.param(n, "bias", fold_bias(bq, wq, qx.zero_point), DType.S32),
        "multiplier": q.param(n, "multiplier", m, DType.S32),
        "shift": q.param(n, "shift", s, DType.S8),
    }
    attrs = {
        **extra,
        "input_zero_point": qx.zero_point,
        "output_zero_point": qy.zero_point,
        "act_min": lo,
        "act_max": hi,
    }
    return n.with_(op=op, inputs=(x,), outputs=(y,), params=params, attrs=attrs)


def float_table(fn: Callable, qx: QParams, qy: QParams) -> np.ndarray:
    """quantise(fn(dequantise(code))) for the 256 codes: a float function exactly rounded."""
    xs = dequantize_s8(np.arange(-128, 128), qx.scale, qx.zero_point)
    return quantize_s8(fn(xs), qy.scale, qy.zero_point)


def _table_node(q: Any, n: Node, table: np.ndarray, label: str, x: str, y: str, like: str,
                name: str, qy: QParams) -> Node:
    q.s8(y, like, qy)
    node = Node(name, "lut_s8", (x,), (y,), source=n.source)
    return node.with_(
        params={"table": q.param(node, "table", table, DType.S8)},
        attrs={"act": None, "function": label},
    )


def lut(q: Any, n: Node, fn: Callable, label: str, x: str, y: str, like: str, name: str) -> Node:
    """A unary float function as a 256-entry table: quantise(fn(dequantise(code))) for every code
    (activations, and scalar add/mul/div)."""
    qy = q.qparams(like)
    return _table_node(q, n, float_table(fn, q.q[x], qy), label, x, y, like, name, qy)


def act_table(q: Any, n: Node, act: Tuple[Any, ...], x: str, y: str, like: str, name: str) -> Node:
    """A non-clamp activation as a table: TFLM's own numbers where it has the op (the spec's
    table_s8: LOGISTIC/TANH at their fixed output parameters, LEAKY_RELU, HARD_SWISH), else the
    float function at the calibrated output parameters."""
    spec = ACTIVATIONS[act[0]]
    if spec.table_s8 is None:
        return lut(q, n, lambda v: apply_act(act, v), act[0], x, y, like, name)
    table, qy = spec.table_s8(q.q[x], q.qparams(like), *act[1:])
    return _table_node(q, n, table, act[0], x, y, like, name, qy)


def lower_weighted(q: Any, n: Node, ins: Tuple[str, ...], y: str, op: str) -> list:
    """A linear/conv node: one weighted int8 node (the float attrs plus in_shape/out_shape), or,
    with a fused activation that is not a clamp, the weighted node into an int8 tensor at the
    pre-activation range then the activation's table."""
    act = n.attrs.get("act")
    extra = {k: v for k, v in n.attrs.items() if k != "act"}
    extra["in_shape"] = tuple(q.g.tensor(n.inputs[0]).shape[1:])
    extra["out_shape"] = tuple(q.g.tensor(n.outputs[0]).shape[1:])
    if is_clamp(act):
        q.s8(y, n.outputs[0], q.qparams(n.outputs[0]))
        return [weighted(q, n, op, ins[0], y, extra)]
    mid = preact_name(n.outputs[0])
    q.s8(mid, n.outputs[0], q.qparams(mid))
    first = weighted(q, n.with_(attrs={**n.attrs, "act": None}), op, ins[0], mid, extra)
    return [first, act_table(q, n, act, mid, y, n.outputs[0], f"{n.name}_{act[0]}")]


def same_scale(q: Any, n: Node, ins: Tuple[str, ...], y: str, op: str, attrs: Dict,
               act: Optional[Tuple[Any, ...]] = None) -> list:
    """An int8 node whose output keeps its input's parameters (pools, copies, clamps: TFLM requires
    it for pools), with act_min/act_max from a clamp activation."""
    qx = q.q[ins[0]]
    q.s8(y, n.outputs[0], qx)
    lo, hi = clamp_bounds(act, qx)
    return [n.with_(op=op, inputs=ins, outputs=(y,), params={},
                    attrs={**attrs, "act_min": lo, "act_max": hi})]
