"""quantize_int8: the float graph becomes an int8 graph (TFLite int8 scheme) with float edges.

Rewrites: every node into its *_s8 twin. Weights symmetric per output channel (zero point 0),
activations asymmetric per tensor from the calibrated ranges in g.meta["quant_ranges"] (set by
miniml.quant before this pass), int32 biases folded with the input zero point, per-channel
(multiplier, shift) as TFLM computes them, fused activations as int8 clamps. Pools, ReLU-like clamps
and copies keep their input's scale (TFLM requires it for pools). Other pointwise activations become
a 256-entry lookup table computed from the float function. A quantize_s8 node follows the float
graph input and a dequantize_s8 node precedes the float graph output, so predict(const float*,
float*) keeps its meaning.
Leaves alone: the graph's names (int8 twins of the edge tensors get a "_q" suffix), and the nodes
named in g.meta["float_tail"] (mixed precision: the Linear layers that learn on the device stay
float after a dequantize_s8 of their input, so an int8 backbone feeds a float head).
Why a separate pass, not in PIPELINE: it needs calibration data, so miniml.quant.export_stage runs
it after the float passes (which it requires: BatchNorm folded, activations fused, aliases gone).
"""

from __future__ import annotations

from typing import Dict, List, Tuple

import numpy as np

from ..errors import UnsupportedOpError
from ..ir import DType, Graph, Node, Param, TensorSpec
from ..quant.calibrate import ACTIVATIONS, CLAMP_ACTS, SCALAR_OPS, apply_act, preact_name
from ..quant.fixedpoint import quantize_multiplier, quantize_scalar
from ..quant.params import (
    QParams,
    add_params,
    channel_multipliers,
    check_layer_ranges,
    fold_bias,
    mul_params,
    qparams_from_range,
    quantize_bias,
    quantize_weight,
)
from ..quant.reference import avg_divisor, dequantize_s8, pool_windows, quantize_s8

# IR ops with an int8 kernel (float op -> what it becomes); anything else is refused with its name.
INT8_OPS = (
    "linear",
    "conv1d",
    "conv2d",
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "global_avg_pool",
    "add",
    "sub",
    "mul",
    "add_channel",
    "mul_channel",
    "activation",
    "copy",
    "batchnorm",
    "concat",
    *SCALAR_OPS,
)
POOLS = ("max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d")
# Activations that are an exact clamp at an unchanged scale (bounds in float; None = open).
CLAMPS = {
    "relu": lambda: (0.0, None),
    "relu6": lambda: (0.0, 6.0),
    "hardtanh": lambda lo=-1.0, hi=1.0: (float(lo), float(hi)),
}
assert set(CLAMPS) == set(CLAMP_ACTS)


def _where(n: Node) -> str:
    return f"node {n.name!r} ({n.op}{', ' + n.attrs['act'][0] if n.attrs.get('act') else ''})" + (
        f" from {n.source}" if n.source else ""
    )


def check_int8_support(g: Graph) -> None:
    """Raises UnsupportedOpError naming the first node that has no int8 kernel."""
    for n in g.nodes:
        act = n.attrs.get("act")
        if n.op not in INT8_OPS or (act is not None and act[0] not in ACTIVATIONS):
            what = act[0] if (n.op in INT8_OPS and act is not None) else n.op
            raise UnsupportedOpError(
                f"{_where(n)}: {what} has no int8 kernel, so quantize='int8' cannot export this "
                "model. "
                f"int8 supports {', '.join(INT8_OPS)} and the activations "
                f"{', '.join(sorted(ACTIVATIONS))}; "
                "export it in float (quantize=None) or replace the layer"
            )
        _check_config(n)


def _check_config(n: Node) -> None:
    """Configurations of supported ops that the int8 kernels do not cover."""
    a = n.attrs
    if n.op in POOLS:
        # Every torch configuration runs in int8 (dilation, ceil_mode, count_include_pad,
        # divisor_override: op_pool_s8.h); only a window without an in-bounds tap has no int8
        # value (max of nothing, or a count_include_pad=False mean of nothing).
        is_max = n.op.startswith("max")
        dil = tuple(a["dilation"]) if is_max else (1, 1)
        problem = None
        for _, _, ys, xs, pool in pool_windows(
            a["in_size"], a["out_size"], a["kernel"], a["stride"], a["padding"], dil
        ):
            n_valid = len(ys) * len(xs)
            d = avg_divisor(n_valid, pool, a["count_include_pad"], a.get("divisor_override", 0))
            if n_valid == 0 and (is_max or d <= 0):
                problem = "a window with no tap inside the input"
                break
        if problem:
            raise UnsupportedOpError(
                f"{_where(n)}: int8 {n.op} does not support {problem}; "
                "change the layer or export in float (quantize=None)"
            )


def _clamp_bounds(act, q: QParams) -> Tuple[int, int]:
    if act is None:
        return -128, 127
    lo_f, hi_f = CLAMPS[act[0]](*act[1:])
    lo = -128 if lo_f is None else max(-128, quantize_scalar(lo_f, q.scale, q.zero_point))
    hi = 127 if hi_f is None else min(127, quantize_scalar(hi_f, q.scale, q.zero_point))
    return lo, hi


class _Builder:
    def __init__(self, g: Graph):
        self.g = g
        self.ranges = g.meta["quant_ranges"]
        self.tensors: Dict[str, TensorSpec] = {}
        self.params: Dict[str, Param] = {}
        self.nodes: List[Node] = []
        self.q: Dict[str, QParams] = {}

    def qparams(self, t: str) -> QParams:
        if t not in self.q:
            self.q[t] = qparams_from_range(*self.ranges[t])
        return self.q[t]

    def s8(self, name: str, like: str, q: QParams) -> str:
        self.q[name] = q
        self.tensors[name] = TensorSpec(
            name, self.g.tensor(like).shape, DType.S8, q.scale, q.zero_point
        )
        return name

    def param(self, node: Node, role: str, data: np.ndarray, dtype: DType, **kw) -> str:
        name = f"{node.name}_{role}"
        self.params[name] = Param(name, np.ascontiguousarray(data), dtype, **kw)
        return name

    def weighted(self, n: Node, op: str, x: str, y: str, extra: Dict, wb=None) -> Node:
        """linear / conv: per-channel weights, folded bias, requantisation constants. `wb`
        gives (weight, bias) arrays for nodes that are not a linear/conv (BatchNorm)."""
        qx, qy = self.q[x], self.qparams(y)
        if wb is None:
            w = self.g.param(n, "weight").data
            b = self.g.param(n, "bias")
            b = None if b is None else b.data
        else:
            w, b = wb
        wq, ws = quantize_weight(w, axis=0)
        check_layer_ranges(_where(n), w, b, wq, ws, qx, qy)
        bq = quantize_bias(b, qx.scale, ws, w.shape[0])
        m, s = channel_multipliers(
            qx.scale, ws, qy.scale, per_tensor_fc=(op == "linear_s8" and w.shape[0] == 1)
        )
        lo, hi = _clamp_bounds(n.attrs.get("act"), qy)
        params = {
            "weight": self.param(n, "weight", wq, DType.S8, scale=ws, zero_point=0),
            "bias": self.param(n, "bias", fold_bias(bq, wq, qx.zero_point), DType.S32),
            "multiplier": self.param(n, "multiplier", m, DType.S32),
            "shift": self.param(n, "shift", s, DType.S8),
        }
        attrs = {
            **extra,
            "input_zero_point": qx.zero_point,
            "output_zero_point": qy.zero_point,
            "act_min": lo,
            "act_max": hi,
        }
        return n.with_(op=op, inputs=(x,), outputs=(y,), params=params, attrs=attrs)

    def lut(self, n: Node, fn, label: str, x: str, y: str, like: str, name: str) -> Node:
        """A unary float function as a 256-entry table: quantise(fn(dequantise(q))) for every
        code q (activations, and scalar add/mul/div)."""
        qx, qy = self.q[x], self.qparams(like)
        self.s8(y, like, qy)
        xs = dequantize_s8(np.arange(-128, 128), qx.scale, qx.zero_point)
        table = quantize_s8(fn(xs), qy.scale, qy.zero_point)
        node = Node(name, "lut_s8", (x,), (y,), source=n.source)
        return node.with_(
            params={"table": self.param(node, "table", table, DType.S8)},
            attrs={"act": None, "function": label},
        )

    def lower(self, n: Node, ins: Tuple[str, ...], y: str) -> List[Node]:
        a = dict(n.attrs)
        act = a.get("act")
        if n.op in ("linear", "conv1d", "conv2d"):
            extra = {k: v for k, v in a.items() if k != "act"}
            extra["in_shape"] = tuple(self.g.tensor(n.inputs[0]).shape[1:])
            extra["out_shape"] = tuple(self.g.tensor(n.outputs[0]).shape[1:])
            if act is not None and act[0] not in CLAMPS:
                # conv/linear, then the activation as a table, through an int8 tensor at the
                # pre-activation range (calibrate.py recorded it).
                mid = preact_name(n.outputs[0])
                self.tensors[mid] = TensorSpec(mid, self.g.tensor(n.outputs[0]).shape, DType.S8)
                self.s8(mid, n.outputs[0], self.qparams(mid))
                first = self.weighted(
                    n.with_(attrs={**a, "act": None}), f"{n.op}_s8", ins[0], mid, extra
                )
                fn = lambda v: apply_act(act, v)  # noqa: E731
                return [first, self.lut(n, fn, act[0], mid, y, n.outputs[0], f"{n.name}_{act[0]}")]
            self.s8(y, n.outputs[0], self.qparams(n.outputs[0]))
            return [self.weighted(n, f"{n.op}_s8", ins[0], y, extra)]
        if n.op == "concat":
            # Each input requantised to the output's parameters (TFLM int8 -> int8 QUANTIZE), or
            # copied when it already has them.
            qy = self.qparams(n.outputs[0])
            self.s8(y, n.outputs[0], qy)
            zps, ms, ss = [], [], []
            for t in ins:
                qx = self.q[t]
                same = (qx.scale, qx.zero_point) == (qy.scale, qy.zero_point)
                m, sh = (0, 0) if same else quantize_multiplier(qx.scale / qy.scale)
                zps.append(qx.zero_point)
                ms.append(m)
                ss.append(sh)
            attrs = {
                "outer": a["outer"],
                "parts": tuple(a["parts"]),
                "total": a["total"],
                "input_zero_points": tuple(zps),
                "multipliers": tuple(ms),
                "shifts": tuple(ss),
                "output_zero_point": qy.zero_point,
            }
            return [n.with_(op="concat_s8", inputs=ins, outputs=(y,), params={}, attrs=attrs)]
        if n.op == "batchnorm":
            # A BatchNorm that could not fold is a per-channel affine: a depthwise 1x1 conv.
            c, inner = int(a["channels"]), int(a["inner"])
            scale = self.g.param(n, "scale").data.reshape(c, 1, 1, 1)
            shift = self.g.param(n, "shift").data
            self.s8(y, n.outputs[0], self.qparams(n.outputs[0]))
            extra = {
                "stride": (1, 1),
                "padding": (0, 0),
                "dilation": (1, 1),
                "groups": c,
                "in_shape": (c, 1, inner),
                "out_shape": (c, 1, inner),
            }
            return [self.weighted(n, "conv2d_s8", ins[0], y, extra, wb=(scale, shift))]
        if (
            n.op in POOLS
            or n.op in ("global_avg_pool", "copy")
            or (n.op == "activation" and act[0] in CLAMPS)
        ):
            qx = self.q[ins[0]]
            self.s8(y, n.outputs[0], qx)
            lo, hi = _clamp_bounds(act if n.op == "activation" else None, qx)
            attrs = {"act_min": lo, "act_max": hi}
            if n.op in POOLS:
                attrs.update(
                    channels=a["channels"],
                    in_size=tuple(a["in_size"]),
                    kernel=tuple(a["kernel"]),
                    stride=tuple(a["stride"]),
                    padding=tuple(a["padding"]),
                )
                floor = tuple(
                    (i + 2 * pp - dd * (kk - 1) - 1) // ss + 1
                    for i, pp, kk, ss, dd in zip(
                        a["in_size"], a["padding"], a["kernel"], a["stride"], a["dilation"]
                    )
                )
                # TFLM's MAX_POOL_2D/AVERAGE_POOL_2D cover floor mode, no dilation and the mean of
                # the in-bounds taps; anything else adds torch's window rule (op_pool_s8.h).
                if (
                    tuple(a["out_size"]) != floor
                    or any(v != 1 for v in a["dilation"])
                    or (n.op.startswith("avg") and a.get("divisor_override"))
                    or (n.op.startswith("avg") and any(a["padding"]) and a["count_include_pad"])
                ):
                    attrs.update(
                        out_size=tuple(a["out_size"]),
                        dilation=tuple(a["dilation"]) if n.op.startswith("max") else (1, 1),
                        count_include_pad=bool(a["count_include_pad"]),
                        divisor_override=int(a.get("divisor_override") or 0),
                        zero_point=int(qx.zero_point),
                    )
                op = f"{n.op[:3]}_pool2d_s8"
            elif n.op == "global_avg_pool":
                attrs.update(
                    channels=a["channels"],
                    in_size=(1, a["size"]),
                    kernel=(1, a["size"]),
                    stride=(1, a["size"]),
                    padding=(0, 0),
                )
                op = "avg_pool2d_s8"
            else:
                op = "clamp_s8"
            return [n.with_(op=op, inputs=ins, outputs=(y,), params={}, attrs=attrs)]
        if n.op == "activation":
            fn = lambda v: apply_act(act, v)  # noqa: E731
            return [self.lut(n, fn, act[0], ins[0], y, n.outputs[0], n.name)]
        if n.op in SCALAR_OPS:
            value = a["value"]
            fn = lambda v: SCALAR_OPS[n.op](v, value)  # noqa: E731
            return [self.lut(n, fn, f"{n.op}({value:g})", ins[0], y, n.outputs[0], n.name)]
        if n.op in ("add", "sub", "mul", "add_channel", "mul_channel"):
            qa, qb, qy = self.q[ins[0]], self.q[ins[1]], self.qparams(n.outputs[0])
            self.s8(y, n.outputs[0], qy)
            lo, hi = _clamp_bounds(act, qy)
            attrs = {
                "a_zero_point": qa.zero_point,
                "b_zero_point": qb.zero_point,
                "output_zero_point": qy.zero_point,
                "act_min": lo,
                "act_max": hi,
            }
            if n.op.endswith("_channel"):
                attrs.update(channels=int(a["outer"]), inner=int(a["inner"]))
            if n.op in ("add", "sub", "add_channel"):
                p = add_params(qa.scale, qb.scale, qy.scale)
                attrs.update(
                    a_multiplier=p.a_multiplier,
                    a_shift=p.a_shift,
                    b_multiplier=-p.b_multiplier if n.op == "sub" else p.b_multiplier,
                    b_shift=p.b_shift,
                    output_multiplier=p.output_multiplier,
                    output_shift=p.output_shift,
                )
            else:
                attrs["multiplier"], attrs["shift"] = mul_params(qa.scale, qb.scale, qy.scale)
            # TFLM's SUB is its ADD with the second input's multiplier negated: the same kernel.
            op = {
                "mul": "mul_s8",
                "add_channel": "add_channel_s8",
                "mul_channel": "mul_channel_s8",
            }.get(n.op, "add_s8")
            return [n.with_(op=op, inputs=ins, outputs=(y,), params={}, attrs=attrs)]
        raise UnsupportedOpError(f"{_where(n)}: no int8 kernel")


def quantize_int8(g: Graph) -> Graph:
    tail = tuple(g.meta.get("float_tail", ()))
    float_nodes = [n for n in g.nodes if n.name in tail]
    check_int8_support(g.with_(nodes=tuple(n for n in g.nodes if n.name not in tail)))
    b = _Builder(g)
    x, out = g.inputs[0], g.outputs[0]
    b.tensors[x] = g.tensor(x)
    # Mixed precision: the float tail starts at `boundary`, the tensor dequantised for it.
    boundary = float_nodes[0].inputs[0] if float_nodes else out
    names: Dict[str, str] = {}  # float tensor -> its int8 tensor
    xq = b.s8(f"{x}_q", x, b.qparams(x))
    names[x] = xq
    b.nodes.append(
        Node(
            f"{x}_quantize",
            "quantize_s8",
            (x,),
            (xq,),
            attrs={"scale": b.q[xq].scale, "zero_point": b.q[xq].zero_point},
        )
    )
    for n in g.nodes:
        if n.name in tail:
            break
        ins = tuple(names[t] for t in n.inputs)
        y = f"{n.outputs[0]}_q" if n.outputs[0] == boundary else n.outputs[0]
        b.nodes.extend(b.lower(n, ins, y))
        names[n.outputs[0]] = y
    yq = names[boundary]
    qy = b.q[yq]
    b.tensors[boundary] = g.tensor(boundary)
    b.nodes.append(
        Node(
            f"{boundary}_dequantize",
            "dequantize_s8",
            (yq,),
            (boundary,),
            attrs={"scale": qy.scale, "zero_point": qy.zero_point},
        )
    )
    params = dict(b.params)
    for n in float_nodes:
        b.nodes.append(n)
        for t in n.outputs:
            b.tensors[t] = g.tensor(t)
        for pname in n.params.values():
            params[pname] = g.params[pname]
    meta = {k: v for k, v in g.meta.items() if k not in ("quant_ranges", "float_tail")}
    meta["int8_edges"] = {"input": xq, "output": None if float_nodes else yq}
    return Graph(
        tensors=b.tensors,
        params=params,
        nodes=tuple(b.nodes),
        inputs=g.inputs,
        outputs=g.outputs,
        meta=meta,
    )
