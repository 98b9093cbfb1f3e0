"""quantize_int8: the float graph becomes an int8 graph (TFLite int8 scheme) with float edges.

Rewrites: every node into the int8 nodes its op's Int8Rule gives (ops/<op>.py, registry.int8_rule):
weights symmetric per output channel, activations asymmetric per tensor from the calibrated ranges
in g.meta["quant_ranges"] (set by the int8 stage before this pass). A quantize_s8 node follows the
float graph input and a dequantize_s8 node precedes the float graph output, so predict(const float*,
float*) keeps its meaning.
Leaves alone: the graph's names (int8 twins of the edge tensors get a "_q" suffix), and the nodes
named in g.meta["float_tail"] and every node after the first of them (mixed precision: a trailing
softmax, or the layers from the deepest one that learns on the device to the output, stay float
after a dequantize_s8 of each int8 tensor they read, so an int8 backbone feeds a float head), except
that in a learning tail the frozen layers named in g.meta["int8_islands"] become int8 islands
(quantize -> int8 layer -> dequantize) and the layers in g.meta["learning_nodes"] start from their
dequantised int8 weights (int8/mixed.py decides both).
Why a separate pass, not in PIPELINE: it needs calibration data, so the int8 stage (miniml.int8)
runs it after the float passes (which it requires: BatchNorm folded, activations fused, aliases
gone).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Dict, List, Optional

import numpy as np

from ..errors import UnsupportedOpError
from ..ir import DType, Graph, Node, Param, TensorSpec
from ..ops import ACTIVATIONS, INT8_RULES, is_clamp, preact_name
from ..quant.params import QParams, qparams_from_range, quantize_bias, quantize_weight


def _where(n: Node) -> str:
    return f"node {n.name!r} ({n.op}{', ' + n.attrs['act'][0] if n.attrs.get('act') else ''})" + (
        f" from {n.source}" if n.source else ""
    )


def check_int8_support(g: Graph) -> None:
    """Raises UnsupportedOpError naming the first node whose op has no int8 rule, or whose rule
    refuses its configuration (or its fused activation)."""
    for n in g.nodes:
        rule = INT8_RULES.get(n.op)
        act = n.attrs.get("act")
        if rule is None:
            raise UnsupportedOpError(
                f"{_where(n)}: {n.op} has no int8 kernel, so quantize='int8' cannot export this "
                f"model. int8 supports {', '.join(sorted(INT8_RULES))} and the activations "
                f"{', '.join(sorted(k for k, s in ACTIVATIONS.items() if s.numpy))}; "
                "export it in float (quantize=None) or replace the layer"
            )
        problem = rule.refuse(n)
        if problem is None and act is not None and ACTIVATIONS[act[0]].numpy is None:
            problem = f"the activation {act[0]}"
        if problem:
            raise UnsupportedOpError(
                f"{_where(n)}: int8 {n.op} does not support {problem}; "
                "change the layer or export in float (quantize=None)"
            )


class Int8Graph:
    """The int8 graph under construction, as the op rules see it (see ops/_int8_common.py)."""

    def __init__(self, g: Graph):
        self.g = g
        self.ranges = g.meta["quant_ranges"]
        self.tensors: Dict[str, TensorSpec] = {}
        self.params: Dict[str, Param] = {}
        self.q: Dict[str, QParams] = {}

    def where(self, n: Node) -> str:
        """The node, its op and its module, for error messages."""
        return _where(n)

    def qparams(self, t: str) -> QParams:
        """Parameters of an int8 tensor already declared, else from a float tensor's range."""
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


def _edge(name: str, op: str, x: str, y: str, q: QParams) -> Node:
    return Node(name, op, (x,), (y,), attrs={"scale": q.scale, "zero_point": q.zero_point})


def _island(n: Node, b: Int8Graph) -> List[Node]:
    """A frozen Conv/Linear after a learning layer, kept int8 (int8/mixed.py): its float input
    quantised at its calibrated scale, the int8 layer, its output dequantised back to its float
    name. A fused activation that is not a clamp runs after it in float (its range is recorded
    under the pre-activation name). The int8 layer gets its weight scales as a float parameter
    `grad_scale`: its backward (learn()) runs on the dequantised weights."""
    x, y, act = n.inputs[0], n.outputs[0], n.attrs.get("act")
    out: List[Node] = []
    xq = f"{x}_q"
    if xq not in b.q:  # several islands read x: quantised once
        b.s8(xq, x, b.qparams(x))
        out.append(_edge(f"{x}_quantize", "quantize_s8", x, xq, b.q[xq]))
    mid = y if is_clamp(act) else preact_name(y)
    if mid not in b.g.tensors:  # the int8 rule reads the shape of the tensor it makes
        b.g = b.g.with_(tensors={**b.g.tensors, mid: TensorSpec(mid, b.g.tensor(y).shape)})
    layer = n.with_(outputs=(mid,), attrs=n.attrs if mid == y else {**n.attrs, "act": None})
    lowered = INT8_RULES[n.op].lower(layer, (xq,), f"{mid}_q", b)
    ws = b.params[lowered[0].params["weight"]].scale
    lowered[0] = lowered[0].with_(params={**lowered[0].params, "grad_scale": b.param(
        lowered[0], "grad_scale", np.asarray(ws, np.float32), DType.F32)})
    out += lowered
    b.tensors[mid] = TensorSpec(mid, b.g.tensor(y).shape)
    out.append(_edge(f"{mid}_dequantize", "dequantize_s8", f"{mid}_q", mid, b.q[f"{mid}_q"]))
    if mid != y:
        b.tensors[y] = b.g.tensor(y)
        out.append(Node(f"{n.name}_{act[0]}", "activation", (mid,), (y,), attrs={"act": act},
                        source=n.source))
    return out


def _start_dequantised(n: Node, b: Int8Graph, x_int8: Optional[str]) -> None:
    """A learning layer's float weight and bias become the dequantisation of the int8 ones the
    plain int8 export would use (per-channel weights; the int32 bias at input scale x weight
    scale): the export predicts as the int8 model does until its first step."""
    if "weight" not in n.params:
        return
    w = b.g.params[n.params["weight"]]
    wq, ws = quantize_weight(w.data, axis=0)
    shape = (-1,) + (1,) * (w.data.ndim - 1)
    b.params[w.name] = replace(w, data=(wq.astype(np.float32) * ws.reshape(shape)).astype(np.float32))
    if "bias" in n.params:
        bias = b.g.params[n.params["bias"]]
        qx = b.q[x_int8] if x_int8 in b.q else b.qparams(n.inputs[0])
        bs = np.float32(qx.scale) * ws
        bq = quantize_bias(bias.data, qx.scale, ws, len(ws))
        b.params[bias.name] = replace(bias, data=(bq.astype(np.float64) * bs).astype(np.float32))


def quantize_int8(g: Graph) -> Graph:
    # Mixed precision: from the first float-tail node on, everything stays float (a suffix of the
    # graph); each int8 tensor it reads is a boundary, dequantised for it. With several outputs
    # (no tail) each output is a boundary.
    tail = set(g.meta.get("float_tail", ()))
    first = next((i for i, n in enumerate(g.nodes) if n.name in tail), len(g.nodes))
    int8_nodes, float_nodes = g.nodes[:first], g.nodes[first:]
    check_int8_support(g.with_(nodes=int8_nodes))
    b = Int8Graph(g)
    # A learning tail reads the float input itself; any other tail reads it through the int8 edge.
    learns = bool(g.meta.get("float_tail_learns"))
    quantised_inputs = list(g.inputs) if int8_nodes or not learns else []
    produced = {t for n in int8_nodes for t in n.outputs} | {
        x for x in quantised_inputs if g.tensor(x).dtype is DType.F32}
    if float_nodes:
        reads = dict.fromkeys(t for n in float_nodes for t in n.inputs)
        boundaries = [t for t in reads if t in produced]
    else:
        boundaries = list(g.outputs)
    nodes: List[Node] = []
    names: Dict[str, str] = {}  # float tensor -> its int8 tensor
    for x in g.inputs:
        b.tensors[x] = g.tensor(x)
    for x in quantised_inputs:  # each float input quantised at its own calibrated range
        if g.tensor(x).dtype is not DType.F32:  # int32 indices: read as they are
            names[x] = x
            continue
        names[x] = b.s8(f"{x}_q", x, b.qparams(x))
        nodes.append(_edge(f"{x}_quantize", "quantize_s8", x, names[x], b.q[names[x]]))
    for n in int8_nodes:
        ins = tuple(names[t] for t in n.inputs)
        y = f"{n.outputs[0]}_q" if n.outputs[0] in boundaries else n.outputs[0]
        nodes.extend(INT8_RULES[n.op].lower(n, ins, y, b))
        names[n.outputs[0]] = y
        names.update({t: t for t in n.outputs[1:]})  # further outputs keep their names
    # The dequantised boundary keeps its float name, unless that is the graph input (a model that
    # is all float tail, e.g. flatten + log_softmax): then it is a new tensor the tail reads.
    yq = None
    deq: Dict[str, str] = {}
    for boundary in boundaries:
        deq[boundary] = f"{boundary}_float" if boundary in g.inputs else boundary
        b.tensors[deq[boundary]] = replace(g.tensor(boundary), name=deq[boundary])
        yq = names[boundary]
        nodes.append(_edge(f"{boundary}_dequantize", "dequantize_s8", yq, deq[boundary], b.q[yq]))
    islands = set(g.meta.get("int8_islands", ()))
    learning = set(g.meta.get("learning_nodes", ()))
    for n in float_nodes:
        reads = n.with_(inputs=tuple(deq.get(t, t) for t in n.inputs))
        if n.name in islands:
            nodes.extend(_island(reads, b))
            continue
        nodes.append(reads)
        for t in n.outputs:
            b.tensors[t] = g.tensor(t)
        for pname in n.params.values():
            b.params[pname] = g.params[pname]
        if n.name in learning:
            _start_dequantised(n, b, names.get(n.inputs[0]))
    params = dict(b.params)
    meta = {k: v for k, v in g.meta.items()
            if k not in ("quant_ranges", "float_tail", "float_tail_learns", "int8_islands")}
    # predict_int8() exists for one float input and one int8 output (not after a float tail, not
    # with several heads or inputs, not for indices); "inputs" lists every float input's int8 twin;
    # none when all stays float (learning from the first layer)
    one_input = len(g.inputs) == 1 and g.tensor(g.inputs[0]).dtype is DType.F32
    meta["int8_edges"] = None if not quantised_inputs else {
        "input": names[g.inputs[0]] if one_input else None,
        "output": yq if one_input and not float_nodes and len(boundaries) == 1 else None,
        "inputs": [names[x] for x in g.inputs if names[x] != x]}
    return Graph(
        tensors=b.tensors,
        params=params,
        nodes=tuple(nodes),
        inputs=g.inputs,
        outputs=g.outputs,
        meta=meta,
    )
