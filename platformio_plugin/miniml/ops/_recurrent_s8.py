"""int8 GRU / tanh RNN (op_recurrent_s8.h): parameter quantisation and the numpy integer reference the C++
kernel equals to the bit. Pure functions of arrays; the export stage wires them in.

Scheme (TFLite has no int8 GRU): weights int8 symmetric with one scale per gate block of each matrix,
int32 biases at the scale of their products (the input zero point folded in), the state int8 at 2^-7 (zero point 0), gate sums requantised
to Q3.12 and sigmoid/tanh read from 257-entry Q0.15 tables with linear interpolation.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..ir import DType, Node
from ..quant.fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier
from ..quant.params import QParams
from ._recurrent_common import layer_weights, recurrent_macs
from .registry import kernel

GATES = {"gru": 3, "rnn_tanh": 1}
STATE_SCALE = 2.0 ** -7
GATE_SCALE = 2.0 ** -12  # Q3.12


def tables() -> np.ndarray:
    """sigmoid [257] then tanh [257] on x = (i * 256 - 32768) / 4096, in Q0.15 (int16)."""
    x = (np.arange(257, dtype=np.float64) * 256 - 32768) / 4096.0
    out = []
    for f in (lambda v: 1.0 / (1.0 + np.exp(-v)), np.tanh):
        out.append(np.clip(np.round(f(x) * 32768.0), -32768, 32767))
    return np.concatenate(out).astype(np.int16)


def _symmetric(w: np.ndarray) -> Tuple[np.ndarray, float]:
    m = float(np.max(np.abs(w)))
    scale = m / 127.0 if m > 0 else 1.0
    return np.clip(np.round(w / scale), -127, 127).astype(np.int8), scale


def quantize(cell: str, layers: Sequence[Sequence[np.ndarray]], x_scale: float,
             x_zero_point: int) -> Dict[str, np.ndarray]:
    """layers: per layer torch's [w_ih, w_hh(, b_ih, b_hh)] float -> the kernel's flat int8 weight,
    int32 bias (zeros without bias; the input zero point folded into layer 0's b_ih, so the kernel
    sums plain int8 dot products) and int32 quant [layers][gates][4]."""
    gates = GATES[cell]
    weights: List[np.ndarray] = []
    biases: List[np.ndarray] = []
    quant: List[int] = []
    for index, layer in enumerate(layers):
        w_ih, w_hh = layer[0], layer[1]
        hidden = w_hh.shape[1]
        in_scale = x_scale if index == 0 else STATE_SCALE
        wq = [np.zeros_like(w_ih, np.int8), np.zeros_like(w_hh, np.int8)]
        bq = [np.zeros(gates * hidden, np.int64), np.zeros(gates * hidden, np.int64)]
        for g in range(gates):
            rows = slice(g * hidden, (g + 1) * hidden)
            for k, (w, s_in) in enumerate(((w_ih, in_scale), (w_hh, STATE_SCALE))):
                q, s_w = _symmetric(w[rows])
                wq[k][rows] = q
                if len(layer) == 4:
                    bq[k][rows] = np.round(layer[2 + k][rows] / (s_w * s_in))
                quant += list(quantize_multiplier(s_w * s_in / GATE_SCALE))
        if index == 0:
            bq[0] = bq[0] - x_zero_point * wq[0].astype(np.int64).sum(1)
        weights += [wq[0].reshape(-1), wq[1].reshape(-1)]
        biases += [bq[0], bq[1]]
    bias = np.clip(np.concatenate(biases), -2**31, 2**31 - 1).astype(np.int32)
    return {"weight": np.concatenate(weights), "bias": bias, "quant": np.asarray(quant, np.int32),
            "tables": tables()}


def _lut(table: np.ndarray, x: np.ndarray) -> np.ndarray:
    u = np.clip(x, -32768, 32767).astype(np.int64) + 32768
    i, f = u >> 8, u & 255
    a, b = table[i].astype(np.int64), table[np.minimum(i + 1, 256)].astype(np.int64)
    return a + (((b - a) * f + 128) >> 8)


def _state(v: np.ndarray) -> np.ndarray:
    return np.clip((v + 128) >> 8, -128, 127).astype(np.int64)


def recurrent_s8(cell: str, x: np.ndarray, params: Dict[str, np.ndarray], input_size: int, hidden: int,
                 num_layers: int) -> Tuple[np.ndarray, np.ndarray]:
    """x int8 [T][input_size] -> (output [T][hidden], h_n [layers][hidden]) int8, as recurrent_s8."""
    gates = GATES[cell]
    sig, tanh = params["tables"][:257], params["tables"][257:]
    h = np.zeros((num_layers, hidden), np.int64)
    outs = []
    for x_t in np.asarray(x, np.int64).reshape(-1, input_size):
        w_off, b_off, inp = 0, 0, x_t
        for layer in range(num_layers):
            n_in = input_size if layer == 0 else hidden
            rows = gates * hidden
            w_ih = params["weight"][w_off: w_off + rows * n_in].astype(np.int64).reshape(rows, n_in)
            w_off += rows * n_in
            w_hh = params["weight"][w_off: w_off + rows * hidden].astype(np.int64).reshape(rows, hidden)
            w_off += rows * hidden
            ax = w_ih @ inp + params["bias"][b_off: b_off + rows]
            ah = w_hh @ h[layer] + params["bias"][b_off + rows: b_off + 2 * rows]
            b_off += 2 * rows
            q = params["quant"][layer * gates * 4: (layer + 1) * gates * 4].astype(np.int64)
            q = q.reshape(gates, 4)
            mx, sx = np.repeat(q[:, 0], hidden), np.repeat(q[:, 1], hidden)
            mh, sh = np.repeat(q[:, 2], hidden), np.repeat(q[:, 3], hidden)
            px = np.clip(multiply_by_quantized_multiplier(ax, mx, sx), -32768, 32767)
            ph = np.clip(multiply_by_quantized_multiplier(ah, mh, sh), -32768, 32767)
            if cell == "gru":
                r = _lut(sig, px[:hidden] + ph[:hidden])
                z = _lut(sig, px[hidden: 2 * hidden] + ph[hidden: 2 * hidden])
                n = _lut(tanh, px[2 * hidden:] + ((r * ph[2 * hidden:] + (1 << 14)) >> 15))
                h15 = h[layer] * 256
                h[layer] = _state(n + ((z * (h15 - n) + (1 << 14)) >> 15))
            else:
                h[layer] = _state(_lut(tanh, px + ph))
            inp = h[layer]
        outs.append(h[-1].copy())
    return np.asarray(outs, np.int8), h.astype(np.int8)


def dequantize_state(q: np.ndarray) -> np.ndarray:
    return q.astype(np.float32) * np.float32(STATE_SCALE)


def input_scale(x: np.ndarray) -> Tuple[float, int]:
    """Asymmetric int8 scale / zero point covering x (and 0), TFLite's rule."""
    lo, hi = min(float(np.min(x)), 0.0), max(float(np.max(x)), 0.0)
    scale = (hi - lo) / 255.0 if hi > lo else 1.0
    zp = int(round(-128 - lo / scale))
    return scale, max(-128, min(127, zp))




CELL_TYPES_S8 = {"gru": "miniml::GruCellS8", "rnn_tanh": "miniml::RnnTanhCellS8"}
MODULES_S8 = {"gru": "nn.GRU", "rnn_tanh": "nn.RNN", "rnn_relu": "nn.RNN(nonlinearity='relu')",
              "lstm": "nn.LSTM"}


class RecurrentInt8:
    """The int8 rule of the "gru" and "rnn" IR ops (registered by gru.py / rnn.py)."""

    @staticmethod
    def refuse(n: Node) -> Optional[str]:
        a = n.attrs
        if a["cell"] not in GATES:
            return f"{MODULES_S8[a['cell']]} (int8 has GRU and tanh RNN)"
        if a["directions"] == 2:
            return "bidirectional (int8 runs one direction)"
        if "h0" in n.params or "h0_input" in a:
            return "an initial state other than zeros"
        return None

    @staticmethod
    def lower(n: Node, ins, y: str, q: Any) -> list:
        a = n.attrs
        qx = q.q[ins[0]]
        layers = layer_weights(a, q.g.param(n, "weight").data)
        qp = quantize(a["cell"], layers, qx.scale, qx.zero_point)
        state = QParams(STATE_SCALE, 0)
        outs = []
        for t in n.outputs:
            name = y if t == n.outputs[0] else t
            q.s8(name, t, state)
            outs.append(name)
        params = {role: q.param(n, role, qp[role], dtype)
                  for role, dtype in (("weight", DType.S8), ("bias", DType.S32),
                                      ("quant", DType.S32), ("tables", DType.S16))}
        return [n.with_(op="recurrent_s8", inputs=(ins[0],), outputs=tuple(outs), params=params)]


def _role(node: Node, e: Any, role: str) -> str:
    roles = node.attrs["roles"]
    return e.t(node.outputs[roles.index(role)]) if role in roles else "nullptr"


def _params_s8(node: Node, e: Any, seq_len: int, last_only: bool) -> str:
    a = node.attrs
    vals = ", ".join(e.i(v) for v in (seq_len, a["input_size"], a["hidden_size"], a["num_layers"]))
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
            f"{e.t(node.inputs[0])}, {_consts_s8(node, e)}, {_role(node, e, 'out')}, "
            f"{_role(node, e, 'h_n')}, {_role(node, e, 'work')}, "
            f"{_params_s8(node, e, a['seq_len'], a['last_only'])});"
        )

    @staticmethod
    def run(node: Node, ins, p) -> tuple:
        a = node.attrs
        outs, states = [], []
        for x in ins[0]:
            out, h_n = recurrent_s8(a["cell"], x, p, a["input_size"], a["hidden_size"],
                                    a["num_layers"])
            outs.append(out[-1] if a["last_only"] else out)
            states.append(h_n)
        values = {"out": np.stack(outs), "h_n": np.stack(states),
                  "work": np.zeros((len(outs), a["hidden_size"]), np.int8)}
        return tuple(values[r] for r in a["roles"])

    @staticmethod
    def macs(node: Node, g: Any) -> int:
        return recurrent_macs(node, g)


@kernel("recurrent_step_s8", header="op_recurrent_s8.h")
class RecurrentStepS8:
    """step() of an int8 recurrent layer (stream/step_graph.py): the state is the Model member
    attrs["state_h"]."""

    @staticmethod
    def emit(node: Node, e: Any) -> str:
        a = node.attrs
        return (
            f"miniml::recurrent_stream_s8<{CELL_TYPES_S8[a['cell']]}, {e.mem(node)}>("
            f"{e.t(node.inputs[0])}, {_consts_s8(node, e)}, {a['state_h']}, "
            f"{_role(node, e, 'out')}, {_role(node, e, 'h_n')}, {_role(node, e, 'work')}, "
            f"{_params_s8(node, e, 1, False)});"
        )
