"""The step graph: a float or int8 graph cut to one time step, or a MinimlError naming the first layer whose
output at t would need inputs after t (or that has no streaming rule).

Every tensor is either a sequence (time on one axis, cut to length 1 in the step graph), a padded
sequence (F.pad on the left of time, folded into the Conv1d that reads it), a sequence with a tail to trim
(Conv1d padding=(k-1)*d, sliced back to T), or a step value (no time axis: out[:, -1], h_n, and what
follows them, which the step graph runs unchanged). States ("recurrent_step" / "recurrent_step_s8"
state, "conv1d_step" ring buffers) become Model members listed in meta["states"].
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Dict, List

from ..errors import UnsupportedOpError
from ..ir import DType, Graph, Node, TensorSpec

RECURRENT = ("gru", "lstm", "rnn", "recurrent_s8")
POINTWISE = ("activation", "add_scalar", "mul_scalar", "div_scalar", "copy", "quantize_s8",
             "dequantize_s8", "clamp_s8", "lut_s8")
BINARY = ("add", "sub", "mul", "div")


@dataclass(frozen=True)
class Time:
    """How a tensor depends on time: kind "seq" (axis, length), "padded" (axis, length, left pad,
    the unpadded source tensor), "tail" (axis, length, steps to keep) or "step" (no time axis)."""

    kind: str
    axis: int = -1
    length: int = 1
    pad: int = 0
    keep: int = 0
    source: str = ""


@dataclass(frozen=True)
class State:
    """A Model member the step graph keeps between calls: `floats` floats (+ `ints` int32_t), set by
    reset_state() to the initial state (recurrent) or zeros (ring buffers)."""

    member: str
    floats: int  # elements of `dtype`
    ints: int = 0
    init_param: str = ""  # a ROM param holding the initial value (h0, c0), else zeros
    dtype: DType = DType.F32


def _refuse(n: Node, why: str) -> None:
    where = n.source or n.name
    raise UnsupportedOpError(
        f"streaming=True: layer {where} ({n.op}) {why}; a streamed output at t may only depend on "
        "inputs up to t. Export without streaming to run it on whole sequences."
    )


def _cut(spec: TensorSpec, t: Time) -> TensorSpec:
    if t.kind == "step":
        return spec
    shape = list(spec.shape)
    shape[t.axis] = 1
    return replace(spec, shape=tuple(shape))


class _Builder:
    def __init__(self, g: Graph) -> None:
        self.g = g
        self.time: Dict[str, Time] = {}
        self.tensors: Dict[str, TensorSpec] = {}
        self.nodes: List[Node] = []
        self.states: List[State] = []

    def out(self, name: str, t: Time) -> None:
        self.time[name] = t
        self.tensors[name] = _cut(self.g.tensor(name), t)

    def emit(self, n: Node, times: List[Time], **changes) -> None:
        for o, t in zip(n.outputs, times):
            self.out(o, t)
        self.nodes.append(n.with_(**changes) if changes else n)

    def state(self, floats: int, ints: int = 0, init: str = "", dtype: DType = DType.F32) -> str:
        member = f"state{len(self.states)}_"
        self.states.append(State(member, floats, ints, init, dtype))
        return member


def _seq(b: _Builder, n: Node, k: int = 0) -> Time:
    t = b.time[n.inputs[k]]
    if t.kind != "seq":
        _refuse(n, f"reads a {t.kind} sequence here")
    return t


def _recurrent(b: _Builder, n: Node) -> None:
    a = n.attrs
    t = _seq(b, n)
    int8 = n.op == "recurrent_s8"
    if a["directions"] == 2:
        _refuse(n, "is bidirectional: its backward direction reads the future")
    if len(n.inputs) > 1:
        _refuse(n, "is a cell loop that could not be fused into one layer")
    if t.axis != len(b.g.tensor(n.inputs[0]).shape) - 2:
        _refuse(n, "reads a sequence whose time axis is not the one before the features")
    state = a["num_layers"] * a["hidden_size"]
    h = b.state(state, init=n.params.get("h0", ""), dtype=DType.S8 if int8 else DType.F32)
    c_type = DType.S16 if int8 else DType.F32
    c = b.state(state, init=n.params.get("c0", ""), dtype=c_type) if a["cell"] == "lstm" else ""
    times = []
    for role in a["roles"]:
        if role == "out" and not a["last_only"]:
            times.append(Time("seq", len(b.g.tensor(n.outputs[0]).shape) - 2, t.length))
        else:
            times.append(Time("step"))
    op = "recurrent_step_s8" if int8 else "recurrent_step"
    b.emit(n, times, op=op, attrs={**a, "op": n.op, "state_h": h, "state_c": c})
    work = n.outputs[a["roles"].index("work")]
    b.tensors[work] = replace(b.tensors[work], shape=(1, a["hidden_size"]))
    if "cell" in a["roles"]:  # the int8 LSTM's whole-sequence cell state: step() keeps state_c instead
        cell = n.outputs[a["roles"].index("cell")]
        b.tensors[cell] = replace(b.tensors[cell], shape=(1, 1))


def _conv1d(b: _Builder, n: Node) -> None:
    a = n.attrs
    t = b.time[n.inputs[0]]
    span = (a["kernel"][0] - 1) * a["dilation"][0]
    if a["stride"][0] != 1:
        _refuse(n, f"has stride {a['stride'][0]} (streaming needs stride 1)")
    if t.kind == "padded" and t.pad == span and a["padding"][0] == 0:
        source, skip, out_t = t.source, False, Time("seq", 2, t.length - t.pad)
    elif t.kind == "seq" and t.axis == 2 and span == 0 and a["padding"][0] == 0:
        source, skip, out_t = n.inputs[0], True, Time("seq", 2, t.length)
    elif t.kind == "seq" and t.axis == 2 and a["padding"][0] == span:
        source, skip, out_t = n.inputs[0], True, Time("tail", 2, t.length + span, keep=t.length)
    else:
        _refuse(n, f"is not causal (padding {a['padding'][0]}, receptive field {span + 1}): pad "
                   f"{span} steps on the left only, with F.pad(x, ({span}, 0)) or padding={span} "
                   "and the last {span} outputs sliced off")
    ring = b.state(a["in_channels"] * span, ints=2) if span else ""
    b.emit(n, [out_t], op="conv1d_step", inputs=(source,),
           attrs={**a, "ring": ring, "skip_history": skip})


def _pad(b: _Builder, n: Node) -> None:
    t = _seq(b, n)
    a = n.attrs
    lead = 4 - len(b.g.tensor(n.inputs[0]).shape)
    ax = t.axis + lead
    right = [o - i - bf for o, i, bf in zip(a["out_shape"], a["in_shape"], a["before"])]
    others = [p for k, p in enumerate(zip(a["before"], right)) if k != ax and any(p)]
    if right[ax] or others or a["value"] != 0.0 or t.axis != 2:
        _refuse(n, "pads the sequence on the right of time or along another axis")
    b.time[n.outputs[0]] = Time("padded", t.axis, t.length + a["before"][ax], a["before"][ax],
                                source=n.inputs[0])


def _permute(b: _Builder, n: Node) -> None:
    """A view, transpose, select or slice: in one step every layout of a time slice is the same flat
    vector, so a supported one becomes a copy."""
    t = b.time[n.inputs[0]]
    if t.kind not in ("seq", "tail"):
        _refuse(n, f"reads a {t.kind} sequence")
    shape = list(b.g.tensor(n.inputs[0]).shape)
    strides = [1] * len(shape)
    for i in range(len(shape) - 2, -1, -1):
        strides[i] = strides[i + 1] * shape[i + 1]
    a = n.attrs
    lead = 4 - len(b.g.tensor(n.outputs[0]).shape)
    ts = strides[t.axis]
    t_off = a["offset"] // ts % shape[t.axis]
    rest_off = a["offset"] - t_off * ts
    kept = [(j, d, s) for j, (d, s) in enumerate(zip(a["out_shape"], a["strides"])) if d > 1]
    time_dims = [(j, d) for j, d, s in kept if s == ts]
    other = [(d, s) for j, d, s in kept if s != ts]
    wanted = [(d, s) for d, s in zip(shape, strides) if d > 1 and s != ts]
    if other != wanted or rest_off:
        _refuse(n, "rearranges axes other than time")
    keep = t.keep if t.kind == "tail" else t.length
    if not time_dims and t_off == keep - 1:
        new = Time("step")
    elif len(time_dims) == 1 and time_dims[0][1] == keep and t_off == 0:
        new = Time("seq", time_dims[0][0] - lead, keep)
    elif not time_dims and t.length == 1:
        new = Time("step")
    else:
        _refuse(n, f"reads time steps {t_off}.. of {keep} (only whole sequences, the last step, or "
                   "a causal Conv1d's tail trim stream)")
    b.emit(n, [new], op="copy", attrs={})


def _linear(b: _Builder, n: Node) -> None:
    t = _seq(b, n)
    shape = b.g.tensor(n.inputs[0]).shape
    if t.axis != len(shape) - 2 or shape[-1] != n.attrs["in_features"]:
        _refuse(n, "mixes time steps (its input features span the time axis)")
    b.emit(n, [t], attrs={**n.attrs, "rows": n.attrs["rows"] // t.length})


def _pointwise(b: _Builder, n: Node) -> None:
    t = b.time[n.inputs[0]]
    if t.kind == "padded":
        _refuse(n, "reads a padded sequence")
    b.emit(n, [t])


def _binary(b: _Builder, n: Node) -> None:
    ta, tb = b.time[n.inputs[0]], b.time[n.inputs[1]]
    if ta != tb or ta.kind not in ("seq", "step") or "size" not in n.attrs:
        _refuse(n, "combines tensors with different time layouts")
    size = n.attrs["size"] // (ta.length if ta.kind == "seq" else 1)
    b.emit(n, [ta], attrs={**n.attrs, "size": size})


RULES = {"conv1d": _conv1d, "pad": _pad, "permute": _permute, "linear": _linear,
         "linear_s8": _linear}


def _input_time(g: Graph) -> Time:
    x = g.inputs[0]
    shape = g.tensor(x).shape
    if len(shape) != 3:
        raise UnsupportedOpError(
            f"streaming=True needs an input of shape [1, T, F] (or [1, C, T] into a Conv1d), got "
            f"{list(shape)}"
        )
    readers = list(g.consumers(x))
    readers += [m for r in readers if r.op == "quantize_s8" for m in g.consumers(r.outputs[0])]
    axis = 2 if any(n.op in ("conv1d", "pad") for n in readers) else 1
    return Time("seq", axis, shape[axis])


def step_graph(g: Graph) -> Graph:
    b = _Builder(g)
    x = g.inputs[0]
    b.out(x, _input_time(g))
    for n in g.nodes:
        times = [b.time[i] for i in n.inputs]
        if all(t.kind == "step" for t in times):
            b.emit(n, [Time("step")] * len(n.outputs))
        elif n.op in RECURRENT:
            _recurrent(b, n)
        elif n.op in RULES:
            RULES[n.op](b, n)
        elif n.op in POINTWISE:
            _pointwise(b, n)
        elif n.op in BINARY:
            _binary(b, n)
        else:
            _refuse(n, "has no streaming rule (it may mix time steps, e.g. pooling over time)")
    y = g.outputs[0]
    ty = b.time[y]
    if ty.kind not in ("seq", "step"):
        raise UnsupportedOpError(f"streaming=True: the output is a {ty.kind} sequence")
    meta = {**g.meta, "states": tuple(b.states), "step_input": b.tensors[x].numel,
            "step_output": b.tensors[y].numel, "input_time": b.time[x]}
    used = {t for n in b.nodes for t in (*n.inputs, *n.outputs)} | {x, y}
    tensors = {k: v for k, v in b.tensors.items() if k in used}
    return Graph(tensors=tensors, params=dict(g.params), nodes=tuple(b.nodes), inputs=(x,),
                 outputs=(y,), meta=meta)
