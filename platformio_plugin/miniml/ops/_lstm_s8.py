"""int8 LSTM with TFLite Micro's UNIDIRECTIONAL_SEQUENCE_LSTM arithmetic (8-bit activations and
weights, 16-bit gates and cell state): parameter quantisation and the numpy integer reference of
LstmCellS8 (op_recurrent_s8.h), equal to TFLM's interpreter at 0 LSB (test_lstm_int8.py).

Per layer, as TFLM's integer kernel (lstm_eval.h) computes one time step for each unit j:
  gate  = sat16(sat16(rq(W_ih x + b, s_x s_wih / 2^-12)) + sat16(rq(W_hh (h - zp_h), s_h s_whh / 2^-12)))
  i,f,o = sigmoid(gate) and g = tanh(gate), int16 in Q0.15 from TFLM's 256-entry sigmoid table
  c     = sat16(sat16(rq(f c, 2^-15)) + sat16(rq(i g, 2^-30 / s_c)))     (c int16 at s_c = 2^-p)
  h     = sat8(zp_h + rq(tanh(c) o, 2^-30 / s_h))
where rq is MultiplyByQuantizedMultiplier. Weights are int8 symmetric with one scale per gate block
of each matrix (TFLM's LSTM takes per-tensor weights: one tensor per gate and matrix); torch's two
biases are one int32 bias per gate at s_x s_wih (TFLM has no recurrent bias). Zero points are
folded into int32 biases (-zp_x sum W_ih into b_x, -zp_h sum W_hh into b_h), which leaves every sum
the same integer as TFLM's (x - zp) products.
"""
from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import numpy as np

from ..quant.fixedpoint import multiply_by_quantized_multiplier, quantize_multiplier
from ..quant.params import QParams, f32

GATES = 4
# int32 per layer: [gate][4], then f*c, i*g, o*tanh(c) (multiplier, shift each), the hidden zero point,
# and tanh(c)'s input multiplier and right shift
QUANT = 25
GATE_SCALE = 2.0 ** -12  # Q3.12: the input of sigmoid/tanh
ACT_SCALE = 2.0 ** -15  # Q0.15: their output
# TFLM's sigmoid_table_uint16 (kernels/internal/common.h): sigmoid(i / 24) in 0.16 is round() of it
# except at these entries, one higher upstream; test_lstm_int8.py reads the whole table back from the
# interpreter's int16 TANH and compares.
_TABLE_PLUS_ONE = (4, 8, 12, 14, 15, 16, 17, 19, 20, 21, 22, 25, 27, 28, 29, 30, 31, 33, 34, 35, 37,
                   39, 40, 41, 43, 44, 45, 46, 49, 50, 54, 62, 63, 64, 66, 82, 86, 93, 100, 103,
                   112, 116, 135, 255)


def sigmoid_table_u16() -> np.ndarray:
    i = np.arange(256, dtype=np.float64)
    t = np.round(65536.0 / (1.0 + np.exp(-i / 24.0))).astype(np.int64)
    t[list(_TABLE_PLUS_ONE)] += 1
    return np.minimum(t, 65535)


def tables() -> np.ndarray:
    """The sigmoid table stored as int16 (value - 32768: every entry is >= 32768)."""
    return (sigmoid_table_u16() - 32768).astype(np.int16)


def cell_power(cell_absmax: float) -> int:
    """p of the cell state scale 2^-p: the finest power of two whose int16 range holds the
    calibrated |c| (TFLM needs a power of two); at most 15 (|c| < 1), at least 0."""
    if not cell_absmax > 0.0:
        return 15
    return int(np.clip(np.floor(np.log2(32767.0 / cell_absmax)), 0, 15))


def symmetric_weights(w: np.ndarray) -> Tuple[np.ndarray, float]:
    """int8 symmetric weights and their float32 scale (max |w| -> 127)."""
    m = float(np.max(np.abs(w)))
    scale = f32(m / 127.0) if m > 0 else 1.0
    return np.clip(np.round(w / scale), -127, 127).astype(np.int8), scale


def check_sum(w_q: np.ndarray, b: np.ndarray, shift: int, what: str) -> None:
    """ValueError unless W x + b (int8 x, folded int32 b) times 2^shift (the requantisation's left
    shift, done in int32 as TFLM does) stays in int32 for every row: overflow is undefined in C."""
    worst = float(np.max(np.abs(b) + 128 * np.abs(w_q.astype(np.int64)).sum(1))) * 2.0 ** max(shift, 0)
    if worst > 2**31 - 1:
        raise ValueError(f"the int32 sums of {what} reach {worst:.6g} (beyond +-2^31), as the bias "
                         "or the input and weight scales are too large")


def _fc_multiplier(s_in: float, s_w: float) -> Tuple[int, int]:
    # TFLM (GetQuantizedConvolutionMultipler): the float32 product, then a double division
    return quantize_multiplier(float(np.float32(s_in) * np.float32(s_w)) / GATE_SCALE)


def tanh_input(power: int) -> Tuple[int, int]:
    """(multiplier, right shift) that bring a cell state at 2^-power to TFLM's tanh input (3 x
    Q3.12), as its lstm_eval Tanh: 3 << (12 - power), or 3 and a rounding shift right."""
    left = 12 - power
    return (3 << left, 0) if left >= 0 else (3, -left)


def quantize(layers: Sequence[Sequence[np.ndarray]], qx: QParams, qh: QParams, power: int,
             directions: int = 1) -> Dict[str, object]:
    """layers: per layer (and direction) torch's [w_ih, w_hh(, b_ih, b_hh)] (gates i, f, g, o) ->
    the flat int8 weight, int32 bias (per layer b_x [4H] then b_h [4H]) and int32 quant
    [layers][QUANT] of LstmCellS8, the tables, and the float32 weight scales [layers][2][4] (the
    TFLM model's). The cell state is at 2^-power, the hidden state at qh."""
    weights: List[np.ndarray] = []
    biases: List[np.ndarray] = []
    quant: List[int] = []
    scales = []
    s_c = 2.0 ** -power
    for index, layer in enumerate(layers):
        w_ih, w_hh = np.asarray(layer[0], np.float64), np.asarray(layer[1], np.float64)
        hidden = w_hh.shape[1]
        q_in = qx if index < directions else qh
        wq = [np.zeros(w_ih.shape, np.int8), np.zeros(w_hh.shape, np.int8)]
        b_x = np.zeros(GATES * hidden, np.int64)
        layer_scales = [[0.0] * GATES, [0.0] * GATES]
        for g in range(GATES):
            rows = slice(g * hidden, (g + 1) * hidden)
            for k, (w, s_in) in enumerate(((w_ih, q_in.scale), (w_hh, qh.scale))):
                wq[k][rows], layer_scales[k][g] = symmetric_weights(w[rows])
                quant += list(_fc_multiplier(s_in, layer_scales[k][g]))
            if len(layer) == 4:
                b = np.asarray(layer[2], np.float64)[rows] + np.asarray(layer[3], np.float64)[rows]
                b_x[rows] = np.round(b / (np.float32(q_in.scale) * np.float32(layer_scales[0][g])))
        b_x -= q_in.zero_point * wq[0].astype(np.int64).sum(1)
        b_h = -qh.zero_point * wq[1].astype(np.int64).sum(1)
        gate_q = quant[-4 * GATES:]  # this layer's [gate][x multiplier, shift, h multiplier, shift]
        for g in range(GATES):
            rows = slice(g * hidden, (g + 1) * hidden)
            for k, b in enumerate((b_x, b_h)):
                check_sum(wq[k][rows], b[rows], gate_q[4 * g + 2 * k + 1],
                          f"weight {('ih', 'hh')[k]} of gate {'ifgo'[g]} (layer block {index})")
        quant += list(quantize_multiplier(ACT_SCALE * s_c / s_c))
        quant += list(quantize_multiplier(ACT_SCALE * ACT_SCALE / float(np.float32(s_c))))
        quant += list(quantize_multiplier(ACT_SCALE * ACT_SCALE / float(np.float32(qh.scale))))
        quant += [qh.zero_point, *tanh_input(power)]
        weights += [wq[0].reshape(-1), wq[1].reshape(-1)]
        biases += [b_x, b_h]
        scales.append(layer_scales)
    bias = np.concatenate(biases)
    return {"weight": np.concatenate(weights), "bias": bias.astype(np.int32),
            "quant": np.asarray(quant, np.int32), "tables": tables(), "scales": scales}


def _sat16(v: np.ndarray) -> np.ndarray:
    return np.clip(v, -32768, 32767)


def _interpolate(table: np.ndarray, a: np.ndarray, bits: int, top: int) -> np.ndarray:
    """(table[a >> bits] << bits) + frac * step; `top` where the index runs off the table."""
    uh = a >> bits
    idx = np.minimum(uh, 254)
    ua, ub = table[idx], table[idx + 1]
    r = (ua << bits) + (a & ((1 << bits) - 1)) * (ub - ua)
    return np.where(uh >= 255, top, r)


def sigmoid_q15(x: np.ndarray) -> np.ndarray:
    """TFLM's int16 Logistic of Q3.12 x (input multiplier 3, table step 1/24) -> Q0.15."""
    v = np.asarray(x, np.int64) * 3
    r = _interpolate(sigmoid_table_u16(), np.abs(v), 9, 0x7FFF << 10)
    return np.where(v >= 0, r + (1 << 9), (1 << 25) - r + (1 << 9) - 1) >> 10


def tanh_q15(x: np.ndarray, multiplier: int = 3, shift: int = 0) -> np.ndarray:
    """TFLM's int16 Tanh: v = (x * multiplier) >> shift (rounded), tanh(v) = 2 sigmoid(2v) - 1 from the
    same table (step 1/48) -> Q0.15."""
    rnd = (1 << (shift - 1)) if shift > 0 else 0
    v = (np.asarray(x, np.int64) * multiplier + rnd) >> shift
    r = _interpolate(sigmoid_table_u16(), np.abs(v), 8, 0xFFFF << 8)
    return np.where(v >= 0, r - (1 << 23) + (1 << 7), -r + (1 << 23) + (1 << 7) - 1) >> 8


def _rq(x: np.ndarray, m: int, s: int) -> np.ndarray:
    return multiply_by_quantized_multiplier(x, m, s)


def step(x: np.ndarray, h: np.ndarray, c: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
         b_x: np.ndarray, b_h: np.ndarray, q: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """One layer, one time step (int64 arrays): x [in], h [H] int8 codes, c [H] int16 codes ->
    (h, c) new. q: this layer's QUANT int32."""
    hidden = h.shape[0]
    ax = w_ih.astype(np.int64) @ x + b_x
    ah = w_hh.astype(np.int64) @ h + b_h
    pre = []
    for g in range(GATES):
        rows = slice(g * hidden, (g + 1) * hidden)
        mx, sx, mh, sh = (int(v) for v in q[4 * g: 4 * g + 4])
        pre.append(_sat16(_sat16(_rq(ax[rows], mx, sx)) + _sat16(_rq(ah[rows], mh, sh))))
    i, f, o = sigmoid_q15(pre[0]), sigmoid_q15(pre[1]), sigmoid_q15(pre[3])
    g_ = tanh_q15(pre[2])
    fc = _sat16(_rq(f * c, int(q[16]), int(q[17])))
    ig = _sat16(_rq(i * g_, int(q[18]), int(q[19])))
    c = _sat16(fc + ig)
    h = np.clip(int(q[22]) + _rq(tanh_q15(c, int(q[23]), int(q[24])) * o, int(q[20]), int(q[21])),
                -128, 127)
    return h, c
