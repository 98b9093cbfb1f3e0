"""Shared lowering and emitter of gru.py / lstm.py / rnn.py: one IR node per recurrent module.

IR node (op "gru", "lstm" or "rnn"): inputs (x[, h0[, c0]]) where h0/c0 are tensors only for cells fed a
computed state; outputs named by attrs["roles"] ("out", "h_n", "c_n", "work"): "out" is the sequence
(dropped by passes/drop_unused_outputs when nothing reads it), "h_n"/"c_n" the state, "work" scratch that
lives only during the call. params: "weight" = torch's _flat_weights concatenated (op_recurrent.h),
"h0"/"c0" constant initial states (absent when zero).
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence

import numpy as np

from ..errors import UnsupportedOpError
from ..ir import Graph, Node, TensorSpec
from .registry import AtenCall, LowerCtx, TensorArg, kernel

GATES = {"gru": 3, "lstm": 4, "rnn_tanh": 1, "rnn_relu": 1}
CELL_TYPES = {"gru": "miniml::GruCell", "lstm": "miniml::LstmCell",
              "rnn_tanh": "miniml::RnnCell<false>", "rnn_relu": "miniml::RnnCell<true>"}
MODULES = {"gru": "nn.GRU", "lstm": "nn.LSTM", "rnn_tanh": "nn.RNN", "rnn_relu": "nn.RNN"}


def op_of(cell: str) -> str:
    return "rnn" if cell.startswith("rnn") else cell


def work_floats(attrs: Dict[str, Any]) -> int:
    """Scratch of recurrent_f32: the new h, plus the sequences between layers of a bidirectional stack."""
    h, layers = attrs["hidden_size"], attrs["num_layers"]
    between = min(layers - 1, 2) * attrs["seq_len"] * 2 * h if attrs["directions"] == 2 else 0
    return h + between


def _param(ctx: LowerCtx, hint: str, data: np.ndarray) -> str:
    """A param shared by every node built from the same constants (a cell called T times)."""
    for name, p in ctx.params.items():
        if p.data.shape == data.shape and np.array_equal(p.data, data):
            return name
    return ctx.add_param(hint, np.ascontiguousarray(data, np.float32))


def _state(ctx: LowerCtx, arg: Any, numel: int, what: str):
    """An initial state: None (zeros), ("param", name) or ("tensor", name)."""
    if arg is None:
        return None
    if isinstance(arg, TensorArg):
        return ("tensor", arg.name)
    data = np.asarray(ctx.const(arg), np.float32)
    if data.size != numel:
        raise UnsupportedOpError(f"{ctx.where()}: {what} has {data.size} values, expected {numel}")
    if not np.any(data):
        return None
    return ("param", _param(ctx, f"{ctx.call.node_name}_{what}", data.reshape(-1)))


def build_node(ctx: LowerCtx, cell: str, x: TensorArg, weights: Sequence[np.ndarray], *,
               seq_len: int, hidden: int, layers: int, directions: int, bias: bool,
               states: Sequence[Any], outputs: Dict[str, str]):
    """Appends the recurrent node. outputs: role -> tensor name (those the aten call produced)."""
    input_size = int(weights[0].shape[1])
    flat = np.concatenate([np.asarray(w, np.float32).reshape(-1) for w in weights])
    attrs: Dict[str, Any] = {
        "cell": cell, "seq_len": int(seq_len), "input_size": input_size, "hidden_size": int(hidden),
        "num_layers": int(layers), "directions": int(directions), "bias": bool(bias),
        "last_only": False,
    }
    work = f"{ctx.call.node_name}_work"
    ctx.tensors[work] = TensorSpec(work, (1, work_floats(attrs)))
    kinds = {st[0] for st in states if st is not None}
    if len(kinds) > 1:
        _reject(ctx, cell, "one initial state constant and the other computed")
    params = {"weight": _param(ctx, f"{ctx.call.node_name}_weight", flat)}
    inputs = [x.name]
    for role, st in zip(("h0", "c0"), states):
        if st is None:
            continue
        if st[0] == "param":
            params[role] = st[1]
        else:
            inputs.append(st[1])
            attrs[f"{role}_input"] = len(inputs) - 1
    roles = [r for r in ("out", "h_n", "c_n") if r in outputs] + ["work"]
    attrs["roles"] = tuple(roles)
    attrs["optional_roles"] = ("out",)  # passes/drop_unused_outputs drops it when nothing reads it
    outs = tuple(outputs[r] if r != "work" else work for r in roles)
    return [ctx.add_node(op_of(cell), tuple(inputs), outputs=outs, params=params, attrs=attrs)]


def _reject(ctx: LowerCtx, cell: str, what: str) -> None:
    raise UnsupportedOpError(f"{ctx.where()}: {MODULES[cell]} with {what} is not supported")


def lower_module(ctx: LowerCtx, call: AtenCall, cell: str):
    """aten.gru.input / lstm.input / rnn_tanh.input / rnn_relu.input (input, hx, params, has_biases,
    num_layers, dropout, train, bidirectional, batch_first)."""
    x = call.arg(0, "input")
    if not isinstance(x, TensorArg):
        return None
    hx = call.arg(1, "hx")
    flat = list(call.arg(2, "params"))
    bias, layers = bool(call.arg(3, "has_biases")), int(call.arg(4, "num_layers"))
    if call.arg(6, "train"):
        _reject(ctx, cell, "train=True (call model.eval() before exporting)")
    directions = 2 if call.arg(7, "bidirectional") else 1
    batch_first = bool(call.arg(8, "batch_first"))
    per = 4 if bias else 2
    if len(flat) != layers * directions * per:
        _reject(ctx, cell, "proj_size (a projection of the hidden state)")
    weights = [ctx.const(w) for w in flat]
    shape = ctx.shape(x)
    if len(shape) == 3:
        batch, seq_len = (shape[0], shape[1]) if batch_first else (shape[1], shape[0])
    elif len(shape) == 2:
        batch, seq_len = 1, shape[0]
    else:
        return None
    if batch != 1:
        _reject(ctx, cell, f"batch {batch} (MiniML runs batch 1)")
    hidden = int(weights[1].shape[1])
    numel = layers * directions * hidden
    states = [hx] if cell != "lstm" else list(hx)
    states = [_state(ctx, s, numel, r) for s, r in zip(states, ("h0", "c0"))]
    if any(s is not None and s[0] == "tensor" for s in states):
        _reject(ctx, cell, "an initial state computed from the input (give a constant)")
    roles = ["out", "h_n", "c_n"] if cell == "lstm" else ["out", "h_n"]
    outputs = {r: o for r, o in zip(roles, call.outputs) if o}
    return build_node(ctx, cell, x, weights, seq_len=seq_len, hidden=hidden, layers=layers,
                      directions=directions, bias=bias, states=states, outputs=outputs)


def lower_cell(ctx: LowerCtx, call: AtenCall, cell: str):
    """aten.gru_cell / lstm_cell / rnn_tanh_cell / rnn_relu_cell (input, hx, w_ih, w_hh, b_ih, b_hh):
    one time step; passes/fuse_recurrent_cells merges a loop of them into one node."""
    x = call.arg(0, "input")
    if not isinstance(x, TensorArg):
        return None
    hx = call.arg(1, "hx")
    w_ih, w_hh = ctx.const(call.arg(2, "w_ih")), ctx.const(call.arg(3, "w_hh"))
    b_ih, b_hh = call.arg(4, "b_ih"), call.arg(5, "b_hh")
    bias = b_ih is not None
    weights: List[np.ndarray] = [w_ih, w_hh] + ([ctx.const(b_ih), ctx.const(b_hh)] if bias else [])
    hidden = int(w_hh.shape[1])
    shape = ctx.shape(x)
    if int(np.prod(shape)) != int(w_ih.shape[1]):
        _reject(ctx, cell, f"input of shape {list(shape)} (batch 1 only)")
    states = [hx] if cell != "lstm" else list(hx or (None, None))
    states = [_state(ctx, s, hidden, r) for s, r in zip(states, ("h0", "c0"))]
    roles = ["h_n", "c_n"] if cell == "lstm" else ["h_n"]
    outputs = {r: o for r, o in zip(roles, call.outputs) if o}
    return build_node(ctx, cell, x, weights, seq_len=1, hidden=hidden, layers=1, directions=1,
                      bias=bias, states=states, outputs=outputs)


def recurrent_params(node: Node, e: Any) -> str:
    a = node.attrs
    vals = ", ".join(e.i(a[k]) for k in ("seq_len", "input_size", "hidden_size", "num_layers",
                                         "directions"))
    flags = ", ".join("true" if a[k] else "false" for k in ("bias", "last_only"))
    return f"miniml::RecurrentParams{{{vals}, {flags}}}"


def role_tensor(node: Node, e: Any, role: str) -> str:
    roles = node.attrs["roles"]
    return e.t(node.outputs[roles.index(role)]) if role in roles else "nullptr"


def emit_recurrent(node: Node, e: Any) -> str:
    """The recurrent_f32 call (whole sequence)."""
    a = node.attrs
    init = []
    mems = []
    for role in ("h0", "c0"):
        if f"{role}_input" in a:
            init.append(e.t(node.inputs[a[f"{role}_input"]]))
            mems.append("miniml::Ram")
        else:
            init.append(e.p(node, role))
            mems.append(e.mem(node, role) if role in node.params else "")
    state_mem = next((m for m in mems if m), "miniml::Rom")
    outs = ", ".join(role_tensor(node, e, r) for r in ("out", "h_n", "c_n", "work"))
    return (
        f"miniml::recurrent_f32<{CELL_TYPES[a['cell']]}, {e.mem(node)}, {state_mem}>("
        f"{e.t(node.inputs[0])}, {e.p(node, 'weight')}, {init[0]}, {init[1]}, {outs}, "
        f"{recurrent_params(node, e)});"
    )


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


def _cell(cell: str, x: np.ndarray, h: np.ndarray, c: np.ndarray, w: List[np.ndarray]):
    """One step of torch's cell equations on a batch [N, in] -> (h, c), float64."""
    gi = x @ w[0].T + (w[2] if len(w) == 4 else 0.0)
    gh = h @ w[1].T + (w[3] if len(w) == 4 else 0.0)
    if cell == "rnn_tanh":
        return np.tanh(gi + gh), c
    if cell == "rnn_relu":
        return np.maximum(gi + gh, 0.0), c
    if cell == "gru":
        i_r, i_z, i_n = np.split(gi, 3, axis=1)
        h_r, h_z, h_n = np.split(gh, 3, axis=1)
        r, z = _sigmoid(i_r + h_r), _sigmoid(i_z + h_z)
        n = np.tanh(i_n + r * h_n)
        return (1.0 - z) * n + z * h, c
    i, f, g, o = np.split(gi + gh, 4, axis=1)
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    return _sigmoid(o) * np.tanh(c), c


def layer_weights(attrs: Dict[str, Any], flat: np.ndarray) -> List[List[np.ndarray]]:
    """The flat weight array back into torch's per layer and direction [w_ih, w_hh(, b_ih, b_hh)]."""
    rows, hidden = GATES[attrs["cell"]] * attrs["hidden_size"], attrs["hidden_size"]
    out, pos = [], 0
    for layer in range(attrs["num_layers"] * attrs["directions"]):
        inp = attrs["input_size"] if layer < attrs["directions"] else attrs["directions"] * hidden
        shapes = [(rows, inp), (rows, hidden)] + ([(rows,), (rows,)] if attrs["bias"] else [])
        block = []
        for shape in shapes:
            size = int(np.prod(shape))
            block.append(flat[pos: pos + size].astype(np.float64).reshape(shape))
            pos += size
        out.append(block)
    return out


def run_recurrent(node: Node, ins, p) -> tuple:
    """The float meaning (calibration): outputs in the node's order, [N, ...] batches."""
    a = node.attrs
    if "h0_input" in a:
        raise UnsupportedOpError(f"node {node.name!r}: a cell loop that was not fused has no numpy run")
    n, hidden, dirs, layers = len(ins[0]), a["hidden_size"], a["directions"], a["num_layers"]
    seq = ins[0].reshape(n, a["seq_len"], a["input_size"]).astype(np.float64)
    blocks = layer_weights(a, p["weight"])
    h0 = p.get("h0", np.zeros(layers * dirs * hidden)).reshape(layers * dirs, hidden)
    c0 = p.get("c0", np.zeros(layers * dirs * hidden)).reshape(layers * dirs, hidden)
    h_n, c_n = np.zeros((n, layers * dirs, hidden)), np.zeros((n, layers * dirs, hidden))
    state_max = np.zeros(n)
    for layer in range(layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            h, c = np.repeat(h0[k][None], n, 0), np.repeat(c0[k][None], n, 0)
            steps = range(a["seq_len"]) if d == 0 else range(a["seq_len"] - 1, -1, -1)
            ys = [None] * a["seq_len"]
            for t in steps:
                h, c = _cell(a["cell"], seq[:, t], h, c, blocks[k])
                ys[t] = h
                state = c if a["cell"] == "lstm" else h if a["cell"] == "rnn_relu" else 0.0 * h
                state_max = np.maximum(state_max, np.max(np.abs(state), axis=1))
            h_n[:, k], c_n[:, k] = h, c
            outs.append(np.stack(ys, 1))
        seq = np.concatenate(outs, 2)
    # work is scratch in C++; its float value here is the largest |cell state| of each sample, so
    # int8 calibration records the range the LSTM's int16 cell state needs (ops/_lstm_s8.py)
    values = {"out": seq[:, -1] if a["last_only"] else seq, "h_n": h_n, "c_n": c_n,
              "work": np.repeat(state_max[:, None], work_floats(a), 1)}
    return tuple(values[r].astype(np.float32) for r in a["roles"])


def register_kernel(op: str) -> None:
    """The IR op `op` ("gru", "lstm", "rnn") emits recurrent_f32 of op_recurrent.h."""

    @kernel(op, header="op_recurrent.h")
    class Recurrent:
        emit = staticmethod(emit_recurrent)
        macs = staticmethod(recurrent_macs)
        run = staticmethod(run_recurrent)


def recurrent_macs(node: Node, g: Graph) -> int:
    a = node.attrs
    rows = GATES[a["cell"]] * a["hidden_size"]
    total = 0
    for layer in range(a["num_layers"]):
        inp = a["input_size"] if layer == 0 else a["directions"] * a["hidden_size"]
        total += rows * (inp + a["hidden_size"]) * a["directions"]
    return int(total * a["seq_len"])


def state_floats(attrs: Dict[str, Any]) -> int:
    return int(attrs["num_layers"] * attrs["directions"] * attrs["hidden_size"])

