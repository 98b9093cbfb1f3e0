"""int8 recurrent layers (op_recurrent_s8.h): parameter quantisation and the numpy integer reference the
C++ kernel equals to the bit, for GRU, tanh and relu RNN and LSTM, any layers, one or two directions, a
zero or constant initial state. Pure functions of arrays; the export stage wires them in (RecurrentInt8).

The LSTM's arithmetic is TFLite Micro's (ops/_lstm_s8.py). GRU / RNN (TFLite has no int8 GRU): weights
int8 symmetric with one scale per gate block of each matrix, int32 biases at the scale of their products
(the input zero point folded in), the state int8 at 2^-7 (zero point 0), gate sums requantised to Q3.12
and sigmoid/tanh read from 257-entry Q0.15 tables with linear interpolation; the relu RNN's state at its
calibrated range instead ([0, max] with zero point -128), the sums requantised to it and relu a clamp.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import UnsupportedOpError
from ..ir import DType, Node, TensorSpec
from ..quant.fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier
from ..quant.params import QParams, f32
from . import _lstm_s8
from ._lstm_s8 import check_sum, symmetric_weights
from ._recurrent_common import layer_weights, recurrent_macs, work_floats
from .registry import kernel

GATES = {"gru": 3, "rnn_tanh": 1, "rnn_relu": 1, "lstm": 4}
QUANT = {"gru": 12, "rnn_tanh": 4, "rnn_relu": 5, "lstm": _lstm_s8.QUANT}  # int32 per layer (Cell::kQuant)
STATE_SCALE = 2.0 ** -7
GATE_SCALE = 2.0 ** -12  # Q3.12


def tables() -> np.ndarray:
    """sigmoid [257] then tanh [257] on x = (i * 256 - 32768) / 4096, in Q0.15 (int16)."""
    x = (np.arange(257, dtype=np.float64) * 256 - 32768) / 4096.0
    out = []
    for f in (lambda v: 1.0 / (1.0 + np.exp(-v)), np.tanh):
        out.append(np.clip(np.round(f(x) * 32768.0), -32768, 32767))
    return np.concatenate(out).astype(np.int16)


def quantize(cell: str, layers: Sequence[Sequence[np.ndarray]], x_scale: float, x_zero_point: int,
             state: QParams = QParams(STATE_SCALE, 0), directions: int = 1
             ) -> Dict[str, np.ndarray]:
    """layers: per layer and direction torch's [w_ih, w_hh(, b_ih, b_hh)] float -> the kernel's flat
    int8 weight, int32 bias (zeros without bias; the input and state zero points folded in, so the
    kernel sums plain int8 dot products) and int32 quant [layers][gates][4] (relu: and the state's
    zero point). The state is at 2^-7 (zero point 0), or for the relu RNN at its calibrated `state`,
    whose scale the sums are then requantised to (no table: relu is a clamp)."""
    gates = GATES[cell]
    target = state.scale if cell == "rnn_relu" else GATE_SCALE
    weights: List[np.ndarray] = []
    biases: List[np.ndarray] = []
    quant: List[int] = []
    for index, layer in enumerate(layers):
        w_ih, w_hh = layer[0], layer[1]
        hidden = w_hh.shape[1]
        first = index < directions
        in_scale, in_zero = (x_scale, x_zero_point) if first else (state.scale, state.zero_point)
        wq = [np.zeros_like(w_ih, np.int8), np.zeros_like(w_hh, np.int8)]
        bq = [np.zeros(gates * hidden, np.int64), np.zeros(gates * hidden, np.int64)]
        for g in range(gates):
            rows = slice(g * hidden, (g + 1) * hidden)
            for k, (w, s_in) in enumerate(((w_ih, in_scale), (w_hh, state.scale))):
                q, s_w = symmetric_weights(w[rows])
                wq[k][rows] = q
                if len(layer) == 4:
                    bq[k][rows] = np.round(layer[2 + k][rows] / (s_w * s_in))
                quant += list(quantize_multiplier(s_w * s_in / target))
        bq[0] -= in_zero * wq[0].astype(np.int64).sum(1)
        bq[1] -= state.zero_point * wq[1].astype(np.int64).sum(1)
        gate_q = quant[-4 * gates:]  # this layer's [gate][x multiplier, shift, h multiplier, shift]
        for g in range(gates):
            rows = slice(g * hidden, (g + 1) * hidden)
            for k in range(2):
                check_sum(wq[k][rows], bq[k][rows], gate_q[4 * g + 2 * k + 1],
                          f"weight {('ih', 'hh')[k]} of gate {g} (layer block {index})")
        if cell == "rnn_relu":
            quant.append(state.zero_point)
        weights += [wq[0].reshape(-1), wq[1].reshape(-1)]
        biases += [bq[0], bq[1]]
    bias = np.concatenate(biases).astype(np.int32)
    return {"weight": np.concatenate(weights), "bias": bias, "quant": np.asarray(quant, np.int32),
            "tables": tables()}


def _lut(table: np.ndarray, x: np.ndarray) -> np.ndarray:
    u = np.clip(x, -32768, 32767).astype(np.int64) + 32768
    i, f = u >> 8, u & 255
    a, b = table[i].astype(np.int64), table[np.minimum(i + 1, 256)].astype(np.int64)
    return a + (((b - a) * f + 128) >> 8)


def _state(v: np.ndarray) -> np.ndarray:
    return np.clip((v + 128) >> 8, -128, 127).astype(np.int64)


def _gru_rnn_step(cell: str, inp: np.ndarray, h: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
                  b_ih: np.ndarray, b_hh: np.ndarray, q: np.ndarray, tabs: Optional[np.ndarray]
                  ) -> np.ndarray:
    hidden = h.shape[0]
    zero = int(q[4]) if cell == "rnn_relu" else 0  # the relu state's zero point, after its gate's 4
    q = q[: 4 * GATES[cell]].astype(np.int64).reshape(-1, 4)
    mx, sx = np.repeat(q[:, 0], hidden), np.repeat(q[:, 1], hidden)
    mh, sh = np.repeat(q[:, 2], hidden), np.repeat(q[:, 3], hidden)
    px = np.clip(multiply_by_quantized_multiplier(w_ih @ inp + b_ih, mx, sx), -32768, 32767)
    ph = np.clip(multiply_by_quantized_multiplier(w_hh @ h + b_hh, mh, sh), -32768, 32767)
    if cell == "rnn_relu":  # both parts already at the state's scale: relu clamps at its zero point
        return np.clip(zero + px + ph, zero, 127)
    sig, tanh = tabs[:257], tabs[257:]
    if cell == "gru":
        r = _lut(sig, px[:hidden] + ph[:hidden])
        z = _lut(sig, px[hidden: 2 * hidden] + ph[hidden: 2 * hidden])
        n = _lut(tanh, px[2 * hidden:] + ((r * ph[2 * hidden:] + (1 << 14)) >> 15))
        h15 = h * 256
        return _state(n + ((z * (h15 - n) + (1 << 14)) >> 15))
    return _state(_lut(tanh, px + ph))


def recurrent_s8(cell: str, x: np.ndarray, params: Dict[str, np.ndarray], input_size: int, hidden: int,
                 num_layers: int, directions: int = 1) -> Tuple[np.ndarray, np.ndarray]:
    """x int8 [T][input_size] -> (output [T][directions*hidden], h_n [layers*directions][hidden])
    int8, as recurrent_s8; the initial state params["h0"] / ["c0"] (codes) or zeros. Layer by layer: a
    unidirectional stack gives the same numbers step by step."""
    per, rows = QUANT[cell], GATES[cell] * hidden
    seq = np.asarray(x, np.int64).reshape(-1, input_size)
    steps = len(seq)
    h_n = np.zeros((num_layers * directions, hidden), np.int64)
    w_off = 0
    for layer in range(num_layers):
        n_in = input_size if layer == 0 else directions * hidden
        outs = []
        for d in range(directions):
            k = layer * directions + d
            w_ih = params["weight"][w_off: w_off + rows * n_in].astype(np.int64).reshape(rows, n_in)
            w_off += rows * n_in
            w_hh = params["weight"][w_off: w_off + rows * hidden].astype(np.int64).reshape(rows, hidden)
            w_off += rows * hidden
            b_ih = params["bias"][2 * rows * k: 2 * rows * k + rows].astype(np.int64)
            b_hh = params["bias"][2 * rows * k + rows: 2 * rows * (k + 1)].astype(np.int64)
            q = params["quant"][k * per: (k + 1) * per]
            h, c = (np.asarray(params[r], np.int64).reshape(-1, hidden)[k] if r in params
                    else np.zeros(hidden, np.int64) for r in ("h0", "c0"))
            ys = [h] * steps
            for t in range(steps) if d == 0 else range(steps - 1, -1, -1):
                if cell == "lstm":
                    h, c = _lstm_s8.step(seq[t], h, c, w_ih, w_hh, b_ih, b_hh, q)
                else:
                    h = _gru_rnn_step(cell, seq[t], h, w_ih, w_hh, b_ih, b_hh, q,
                                      params.get("tables"))
                ys[t] = h
            h_n[k] = h
            outs.append(np.stack(ys))
        seq = np.concatenate(outs, 1)
    return seq.astype(np.int8), h_n.astype(np.int8)


def input_scale(x: np.ndarray) -> Tuple[float, int]:
    """Asymmetric int8 scale / zero point covering x (and 0), TFLite's rule."""
    lo, hi = min(float(np.min(x)), 0.0), max(float(np.max(x)), 0.0)
    scale = (hi - lo) / 255.0 if hi > lo else 1.0
    zp = int(round(-128 - lo / scale))
    return scale, max(-128, min(127, zp))


CELL_TYPES_S8 = {"gru": "miniml::GruCellS8", "rnn_tanh": "miniml::RnnTanhCellS8",
                 "rnn_relu": "miniml::RnnReluCellS8", "lstm": "miniml::LstmCellS8"}


def _absmax(arrays: Dict[str, np.ndarray], key: str) -> float:
    return float(np.max(np.abs(arrays[key]))) if key in arrays else 0.0


def quantize_node(n: Node, qx: QParams, q: Any) -> Tuple[Dict[str, np.ndarray], QParams]:
    """The int8 params of recurrent node n reading an input quantised by qx, and its state's QParams
    (q: the int8 graph under construction, passes/quantize_int8.Int8Graph). The LSTM's cell state
    scale and the relu RNN's hidden state scale come from the calibrated range of the node's "work"
    tensor (run_recurrent records the largest |c| or |h| there, as TFLite calibrates the cell state)."""
    a = n.attrs
    layers = layer_weights(a, q.g.param(n, "weight").data)
    lo, hi = q.ranges[n.outputs[a["roles"].index("work")]]
    init = {r: q.g.param(n, r).data.astype(np.float64) for r in ("h0", "c0") if r in n.params}
    largest = max(abs(lo), abs(hi))
    if a["cell"] == "rnn_relu":
        largest = max(largest, _absmax(init, "h0"))
        if "h0" in init and np.min(init["h0"]) < 0:  # a negative h0 (relu's later states are not)
            state = QParams(f32(largest / 127.0), 0)
        else:  # [0, largest] on all 256 codes; the zero state is then code -128
            state = QParams(f32(largest / 255.0) if largest > 0 else STATE_SCALE, -128)
            init.setdefault("h0", np.zeros(state_numel(a)))
    else:
        state = QParams(STATE_SCALE, 0)
    power = _lstm_s8.cell_power(max(largest, _absmax(init, "c0")))
    try:
        if a["cell"] == "lstm":
            params = {**_lstm_s8.quantize(layers, qx, state, power, a["directions"]), "power": power}
        else:
            params = quantize(a["cell"], layers, qx.scale, qx.zero_point, state, a["directions"])
    except ValueError as exc:
        raise UnsupportedOpError(f"{q.where(n)}: int8 cannot hold this layer: {exc}; keep the "
                                 "model float, or rescale its input") from None
    if a["cell"] == "rnn_relu":
        del params["tables"]  # relu needs no table: 1 KB of flash
    # a constant initial state in the state's codes
    if "h0" in init:
        h0 = np.round(init["h0"] / state.scale) + state.zero_point
        params["h0"] = np.clip(h0, -128, 127).astype(np.int8)
    if "c0" in init:
        params["c0"] = np.clip(np.round(init["c0"] * 2.0 ** power), -32768, 32767).astype(np.int16)
    return params, state


class RecurrentInt8:
    """The int8 rule of the "gru", "lstm" and "rnn" IR ops (registered by gru.py / lstm.py / rnn.py)."""

    @staticmethod
    def refuse(n: Node) -> Optional[str]:
        if any(f"{k}_input" in n.attrs for k in ("h0", "c0")):
            return "an initial state computed in the model (a cell loop that was not fused)"
        return None

    @staticmethod
    def lower(n: Node, ins, y: str, q: Any) -> list:
        a = n.attrs
        qp, state = quantize_node(n, q.q[ins[0]], q)
        roles, outs = [], []
        for role, t in zip(a["roles"], n.outputs):
            if role == "c_n":  # the LSTM's int16 cell state: the kernel's, never an int8 output
                if q.g.consumers(t) or t in q.g.outputs:
                    raise UnsupportedOpError(
                        f"{q.where(n)}: int8 nn.LSTM gives its output and h_n, not the cell state "
                        "c_n (an int16 tensor); read h_n or the output, or export in float")
                continue
            roles.append(role)
            outs.append(q.s8(y if t == n.outputs[0] else t, t, state))
        if a["cell"] == "lstm":  # the int16 cell state lives in the arena during the call
            cell = f"{n.name}_cell"
            q.tensors[cell] = TensorSpec(cell, (1, state_numel(a)), DType.S16, 2.0 ** -15, 0)
            roles.append("cell")
            outs.append(cell)
        params = {role: q.param(n, role, qp[role], dtype)
                  for role, dtype in (("bias", DType.S32), ("quant", DType.S32), ("tables", DType.S16),
                                      ("h0", DType.S8), ("c0", DType.S16))
                  if role in qp}
        # the LSTM's float32 weight scales [layer block][ih, hh][gate]: what a TFLM model of it takes
        params["weight"] = q.param(n, "weight", qp["weight"], DType.S8, scale=qp.get("scales"))
        attrs = {**a, "roles": tuple(roles), "state_scale": state.scale}
        if a["cell"] == "lstm":
            attrs["cell_power"] = qp["power"]
        return [n.with_(op="recurrent_s8", inputs=(ins[0],), outputs=tuple(outs), params=params,
                        attrs=attrs)]


def state_numel(a: Dict[str, Any]) -> int:
    return int(a["num_layers"] * a["directions"] * a["hidden_size"])


def _role(node: Node, e: Any, role: str) -> str:
    roles = node.attrs["roles"]
    return e.t(node.outputs[roles.index(role)]) if role in roles else "nullptr"


def _params_s8(node: Node, e: Any, seq_len: int, last_only: bool) -> str:
    a = node.attrs
    vals = ", ".join(e.i(v) for v in (seq_len, a["input_size"], a["hidden_size"], a["num_layers"],
                                      a["directions"]))
    return f"miniml::RecurrentS8Params{{{vals}, {'true' if last_only else 'false'}}}"


def _consts_s8(node: Node, e: Any) -> str:
    return ", ".join(e.p(node, r) for r in ("weight", "bias", "quant", "tables"))


@kernel("recurrent_s8", header="op_recurrent_s8.h")
class RecurrentS8:
    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        return (
            f"miniml::recurrent_s8<{CELL_TYPES_S8[a['cell']]}, {e.mem(node)}>("
            f"{e.t(node.inputs[0])}, {_consts_s8(node, e)}, {e.p(node, 'h0')}, {e.p(node, 'c0')}, "
            f"{_role(node, e, 'out')}, "
            f"{_role(node, e, 'h_n')}, {_role(node, e, 'cell')}, {_role(node, e, 'work')}, "
            f"{_params_s8(node, e, a['seq_len'], a['last_only'])});"
        )

    @staticmethod
    def run(node: Node, ins, p) -> tuple:
        a = node.attrs
        outs, states = [], []
        for x in ins[0]:
            out, h_n = recurrent_s8(a["cell"], x, p, a["input_size"], a["hidden_size"],
                                    a["num_layers"], a["directions"])
            outs.append(out[-1] if a["last_only"] else out)
            states.append(h_n)
        n = len(outs)
        values = {"out": np.stack(outs), "h_n": np.stack(states),
                  "work": np.zeros((n, work_floats(a)), np.int8),
                  "cell": np.zeros((n, state_numel(a)), np.int16)}
        return tuple(values[r] for r in a["roles"])

    @staticmethod
    def macs(node: Node, g: Any) -> int:
        return recurrent_macs(node, g)


@kernel("recurrent_step_s8", header="op_recurrent_s8.h")
class RecurrentStepS8:
    """step() of an int8 recurrent layer (stream/step_graph.py): the state is the Model members
    attrs["state_h"] (and the LSTM's int16 attrs["state_c"])."""

    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        return (
            f"miniml::recurrent_stream_s8<{CELL_TYPES_S8[a['cell']]}, {e.mem(node)}>("
            f"{e.t(node.inputs[0])}, {_consts_s8(node, e)}, {a['state_h']}, {a['state_c'] or 'nullptr'}, "
            f"{_role(node, e, 'out')}, {_role(node, e, 'h_n')}, {_role(node, e, 'work')}, "
            f"{_params_s8(node, e, 1, False)});"
        )
