// int8 recurrent layers: GRU, tanh and relu RNN, LSTM; any number of layers, one or two directions, a zero or
// constant initial state; whole sequences (recurrent_s8) and one step at a time (recurrent_stream_s8).
// GRU and RNN: MiniML's own integer scheme (TFLite has no int8 GRU), checked at 0 LSB against
// ops/_recurrent_s8.py: x int8 (scale, zero point of the layer input); weights int8 symmetric, one scale per
// gate block; biases int32 at the scale of their products; the hidden state int8 with zero point 0 and scale
// 2^-7 (a GRU / tanh-RNN state lies in [-1, 1]; the relu RNN's at its calibrated scale, zero point -128); the
// input and state zero points are folded into the biases, so every sum is a plain dot_s8 (core_dot.h). Each gate's
// input and recurrent sums are requantised (TFLite's MultiplyByQuantizedMultiplier) to Q3.12 int16 (relu: to the
// state's scale), and sigmoid / tanh come from 257-entry Q0.15 tables with linear interpolation. LSTM: TFLite Micro's
// int8 UNIDIRECTIONAL_SEQUENCE_LSTM arithmetic (0 LSB against its interpreter and ops/_lstm_s8.py): int16 gates, int16
// cell state at 2^-p, TFLM's interpolated sigmoid table.
#ifndef MINIML_OP_RECURRENT_S8_H_
#define MINIML_OP_RECURRENT_S8_H_

#include <stdint.h>
#include <string.h>

#include "core_dot.h"
#include "core_fixedpoint.h"
#include "core_rom.h"
#include "core_types.h"

namespace miniml {

struct RecurrentS8Params {
  index_t seq_len, input_size, hidden_size, num_layers, directions;
  bool last_only;  // output holds only the last time step ([directions*hidden]), not the sequence
};

namespace detail {

inline int32_t clamp_s16(int32_t v) { return v < -32768 ? -32768 : (v > 32767 ? 32767 : v); }

// Q0.15 product p back to Q0.15, rounded: (p + 2^14) >> 15 (arithmetic shift: floor). On AVR as
// 2 floor(x / 2^16) + bit 15 of x (byte moves and one bit), where avr-gcc emits a 15-step shift loop.
inline int32_t round_q15(int32_t p) {
  const int32_t x = p + (1 << 14);
#if defined(__AVR__)
  const uint8_t bit15 = static_cast<uint8_t>(static_cast<uint8_t>(static_cast<uint16_t>(x) >> 8) >> 7);
  return static_cast<int32_t>((static_cast<uint32_t>(x >> 16) << 1) | bit15);
#else
  return x >> 15;
#endif
}

// a * b for a, b that fit int16: a 16x16 -> 32 multiply (avr-gcc otherwise calls its 32x32 routine).
inline int32_t mul_s16(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<int16_t>(a)) * static_cast<int16_t>(b);
}

// f(x) for x in Q3.12 (clamped to int16) from table [257] of f on [-8, 8) in Q0.15, interpolated. The tables
// are sigmoid and tanh at steps of 1/16, so neighbours differ by at most 2048 and b - a fits int16.
template <class Mem>
inline int32_t lut_q15(const int16_t* table, int32_t x) {
  const uint32_t u = static_cast<uint32_t>(clamp_s16(x) + 32768);
  const index_t i = static_cast<index_t>(u >> 8);
  const int32_t f = static_cast<int32_t>(u & 255u);
  const int32_t a = Mem::read(table + i);
  const int32_t b = Mem::read(table + i + 1);
  return a + ((mul_s16(b - a, f) + 128) >> 8);  // arithmetic shift: floor, as the numpy reference
}

// Gate g of unit j: the input part and the recurrent part, each in Q3.12.
struct GateParts {
  int32_t x, h;
};
// q: [gates][4] int32 through Mem: input multiplier, input shift, recurrent multiplier, recurrent shift.
template <class Mem>
inline GateParts gate_s8(const int8_t* w_ih, const int8_t* w_hh, const int32_t* b_ih, const int32_t* b_hh,
                         const int32_t* q, const int8_t* x, const int8_t* h, index_t in, index_t hidden, index_t g,
                         index_t j) {
  const index_t row = static_cast<index_t>(g * hidden + j);
  const int32_t ax = dot_s8<Mem>(x, w_ih + static_cast<uint32_t>(row) * in, in, Mem::read(b_ih + row));
  const int32_t ah = dot_s8<Mem>(h, w_hh + static_cast<uint32_t>(row) * hidden, hidden, Mem::read(b_hh + row));
  const int32_t* gq = q + 4 * g;
  GateParts p;
  p.x = requantize_s16(ax, Mem::read(gq), static_cast<int8_t>(Mem::read(gq + 1)));
  p.h = requantize_s16(ah, Mem::read(gq + 2), static_cast<int8_t>(Mem::read(gq + 3)));
  return p;
}

inline int8_t q15_to_state(int32_t v) {
  const int32_t s = (v + 128) >> 8;
  return static_cast<int8_t>(s < kInt8Min ? kInt8Min : (s > kInt8Max ? kInt8Max : s));
}

// TFLM's int16 sigmoid / tanh (reference_integer_ops Logistic, Tanh): x times `multiplier` (rounded shift
// right by `shift`) indexes the table of sigmoid(i / 24) in 0.16 with linear interpolation; tanh(v) is
// 2 sigmoid(2 v) - 1 from the same table. table: [256] int16 through Mem holding the value - 32768.
template <class Mem>
inline uint32_t sigmoid_u16(const int16_t* table, uint32_t i) {
  return static_cast<uint32_t>(static_cast<int32_t>(Mem::read(table + i)) + 32768);
}

template <class Mem>
inline int32_t lstm_sigmoid_q15(const int16_t* table, int32_t x) {
  const int32_t v = x * 3;  // Q3.12 -> the table's step 1/24 at 2^-9
  const uint32_t a = static_cast<uint32_t>(v < 0 ? -v : v);
  const uint32_t i = a >> 9;
  uint32_t r = 0x7FFFul << 10;
  if (i < 255) {
    const uint32_t ua = sigmoid_u16<Mem>(table, i), ub = sigmoid_u16<Mem>(table, i + 1);
    r = (ua << 9) + (a & 0x1FFu) * (ub - ua);
  }
  r = v >= 0 ? r + (1ul << 9) : (1ul << 25) - r + (1ul << 9) - 1;
  return static_cast<int32_t>(r >> 10);
}

template <class Mem>
inline int32_t lstm_tanh_q15(const int16_t* table, int32_t x, int32_t multiplier, int32_t shift) {
  const int32_t v = (x * multiplier + (shift > 0 ? (static_cast<int32_t>(1) << (shift - 1)) : 0)) >> shift;
  const uint32_t a = static_cast<uint32_t>(v < 0 ? -v : v);
  const uint32_t i = a >> 8;
  int32_t r = static_cast<int32_t>(0xFFFFul << 8);
  if (i < 255) {
    const uint32_t ua = sigmoid_u16<Mem>(table, i), ub = sigmoid_u16<Mem>(table, i + 1);
    r = static_cast<int32_t>((ua << 8) + (a & 0xFFu) * (ub - ua));
  }
  const int32_t half = static_cast<int32_t>(1) << 23;
  r = v >= 0 ? r - half + 128 : -r + half + 127;
  return r >> 8;  // arithmetic shift: floor, as TFLM
}

}  // namespace detail

// One cell step; h_new [hidden] must not alias h. q: this layer's [kQuant] int32 (GRU / RNN: [gates][4]),
// biases (never nullptr), tables: sigmoid [257] then tanh [257], Q0.15 (LSTM: [256], see lstm_sigmoid_q15);
// all through Mem. c: the LSTM's int16 cell state [hidden], updated in place (nullptr for the others).
struct GruCellS8 {
  static const index_t kGates = 3;
  static const index_t kQuant = 12;
  template <class Mem>
  static void step(const int8_t* x, const int8_t* h, int16_t* c, int8_t* h_new, const int8_t* w_ih, const int8_t* w_hh,
                   const int32_t* b_ih, const int32_t* b_hh, const int32_t* q, const int16_t* tables, index_t in,
                   index_t hidden) {
    (void)c;
    for (index_t j = 0; j < hidden; ++j) {
      // One gate_s8 call site in a loop: inlined once (three calls would each save and restore ~18 registers).
      detail::GateParts p[kGates];
      for (index_t g = 0; g < kGates; ++g)
        p[g] = detail::gate_s8<Mem>(w_ih, w_hh, b_ih, b_hh, q, x, h, in, hidden, g, j);
      const detail::GateParts &r = p[0], &z = p[1], &n = p[2];
      const int32_t rg = detail::lut_q15<Mem>(tables, r.x + r.h);
      const int32_t zg = detail::lut_q15<Mem>(tables, z.x + z.h);
      const int32_t ng = detail::lut_q15<Mem>(tables + 257, n.x + detail::round_q15(detail::mul_s16(rg, n.h)));
      const int32_t h15 = static_cast<int32_t>(h[j]) * 256;
      h_new[j] = detail::q15_to_state(ng + detail::round_q15(zg * (h15 - ng)));
    }
  }
};

// Elman RNN. tanh: the sums in Q3.12 through the tanh table; relu: the sums requantised straight to the
// state's calibrated scale, whose zero point q[4] is -128 (a relu state is never negative: all 256 codes
// cover [0, max]; 0 for a negative h0), so relu is the clamp at the zero point.
template <bool kRelu>
struct RnnCellS8 {
  static const index_t kGates = 1;
  static const index_t kQuant = kRelu ? 5 : 4;
  template <class Mem>
  static void step(const int8_t* x, const int8_t* h, int16_t* c, int8_t* h_new, const int8_t* w_ih, const int8_t* w_hh,
                   const int32_t* b_ih, const int32_t* b_hh, const int32_t* q, const int16_t* tables, index_t in,
                   index_t hidden) {
    (void)c;
    const int32_t zero = kRelu ? Mem::read(q + 4) : 0;
    for (index_t j = 0; j < hidden; ++j) {
      const detail::GateParts a = detail::gate_s8<Mem>(w_ih, w_hh, b_ih, b_hh, q, x, h, in, hidden, 0, j);
      const int32_t v = zero + a.x + a.h;
      h_new[j] = kRelu ? static_cast<int8_t>(v < zero ? zero : (v > kInt8Max ? kInt8Max : v))
                       : detail::q15_to_state(detail::lut_q15<Mem>(tables + 257, v));
    }
  }
};
typedef RnnCellS8<false> RnnTanhCellS8;
typedef RnnCellS8<true> RnnReluCellS8;

// TFLM's LSTM step per unit j (torch's gate order i, f, g, o; TFLM computes f, i, g, o, which only
// reorders independent per-unit work). q: [gate][4] (input, recurrent multiplier and shift to Q3.12), then
// f*c, i*g, o*tanh(c) requantisation (multiplier, shift), the hidden zero point, and the multiplier and
// shift that bring c to tanh's input. b_ih holds torch's two biases and -zp_x sum(w_ih row), b_hh
// -zp_h sum(w_hh row): the same integer sums as TFLM's (x - zp) products.
struct LstmCellS8 {
  static const index_t kGates = 4;
  static const index_t kQuant = 25;
  template <class Mem>
  static void step(const int8_t* x, const int8_t* h, int16_t* c, int8_t* h_new, const int8_t* w_ih, const int8_t* w_hh,
                   const int32_t* b_ih, const int32_t* b_hh, const int32_t* q, const int16_t* tables, index_t in,
                   index_t hidden) {
    for (index_t j = 0; j < hidden; ++j) {
      int32_t act[4];
      for (index_t g = 0; g < 4; ++g) {
        const detail::GateParts s = detail::gate_s8<Mem>(w_ih, w_hh, b_ih, b_hh, q, x, h, in, hidden, g, j);
        const int32_t pre = detail::clamp_s16(s.x + s.h);
        act[g] = g == 2 ? detail::lstm_tanh_q15<Mem>(tables, pre, 3, 0)  // i, f, g, o in Q0.15
                        : detail::lstm_sigmoid_q15<Mem>(tables, pre);
      }
      const int32_t fc = detail::clamp_s16(multiply_by_quantized_multiplier(
          act[1] * static_cast<int32_t>(c[j]), Mem::read(q + 16), static_cast<int8_t>(Mem::read(q + 17))));
      const int32_t ig = detail::clamp_s16(
          multiply_by_quantized_multiplier(act[0] * act[2], Mem::read(q + 18), static_cast<int8_t>(Mem::read(q + 19))));
      c[j] = static_cast<int16_t>(detail::clamp_s16(fc + ig));
      const int32_t tc = detail::lstm_tanh_q15<Mem>(tables, c[j], Mem::read(q + 23), Mem::read(q + 24));
      const int32_t hv = Mem::read(q + 22) + multiply_by_quantized_multiplier(tc * act[3], Mem::read(q + 20),
                                                                              static_cast<int8_t>(Mem::read(q + 21)));
      h_new[j] = static_cast<int8_t>(hv < kInt8Min ? kInt8Min : (hv > kInt8Max ? kInt8Max : hv));
    }
  }
};

// One time step of the stack: every layer advances once (state h [layers][hidden], for the LSTM c
// [layers][hidden] int16, else nullptr; work [hidden]). weight: per layer w_ih [gates*hidden][in] then w_hh
// [gates*hidden][hidden]; bias: per layer b_ih, b_hh [gates*hidden] int32 (with -zero_point * sum(w row) of
// the layer input / the state folded in, so the sums are plain int8 dot products); quant: [layers]
// [Cell::kQuant] int32 through Mem.
template <class Cell, class Mem>
inline void recurrent_step_s8(const int8_t* x_t, const int8_t* weight, const int32_t* bias, const int32_t* quant,
                              const int16_t* tables, int8_t* h, int16_t* c, int8_t* work, const RecurrentS8Params& p) {
  const int8_t* w = weight;
  const int32_t* b = bias;
  const int8_t* x = x_t;
  const uint32_t rows = static_cast<uint32_t>(Cell::kGates) * p.hidden_size;
  for (index_t l = 0; l < p.num_layers; ++l) {
    const index_t in = l == 0 ? p.input_size : p.hidden_size;
    const int32_t* q = quant + static_cast<uint32_t>(l) * Cell::kQuant;
    const uint32_t off = static_cast<uint32_t>(l) * p.hidden_size;
    const int8_t* w_hh = w + rows * in;
    Cell::template step<Mem>(x, h + off, c ? c + off : nullptr, work, w, w_hh, b, b + rows, q, tables, in,
                             p.hidden_size);
    memcpy(h + off, work, p.hidden_size);
    x = h + off;
    w = w_hh + rows * p.hidden_size;
    b += 2 * rows;
  }
}

// step() of the stack: advances the state h (and c; Model members, kept between calls) by x_t, then copies
// what the model reads: out_t [hidden] (the top layer's h) and h_n [layers][hidden], each may be nullptr.
template <class Cell, class Mem>
inline void recurrent_stream_s8(const int8_t* x_t, const int8_t* weight, const int32_t* bias, const int32_t* quant,
                                const int16_t* tables, int8_t* h, int16_t* c, int8_t* out_t, int8_t* h_n, int8_t* work,
                                const RecurrentS8Params& p) {
  recurrent_step_s8<Cell, Mem>(x_t, weight, bias, quant, tables, h, c, work, p);
  if (out_t) memcpy(out_t, h + static_cast<uint32_t>(p.num_layers - 1) * p.hidden_size, p.hidden_size);
  if (h_n) memcpy(h_n, h, static_cast<uint32_t>(p.num_layers) * p.hidden_size);
}

namespace detail {

// One direction of one layer over the whole sequence (backward when `reverse`): h, c this direction's state
// (zeroed by the caller); out_seq [seq_len][2*hidden] written at column offset `col`, or nullptr; at_last
// [hidden] receives h at t = seq_len - 1 (the backward pass's first step), or nullptr.
template <class Cell, class Mem>
inline void recurrent_direction_s8(const int8_t* in_seq, index_t in, const int8_t* w, const int32_t* b,
                                   const int32_t* q, const int16_t* tables, int8_t* h, int16_t* c, int8_t* work,
                                   int8_t* out_seq, index_t col, int8_t* at_last, bool reverse,
                                   const RecurrentS8Params& p) {
  const uint32_t rows = static_cast<uint32_t>(Cell::kGates) * p.hidden_size;
  const index_t width = static_cast<index_t>(2 * p.hidden_size);
  for (index_t k = 0; k < p.seq_len; ++k) {
    const index_t t = reverse ? static_cast<index_t>(p.seq_len - 1 - k) : k;
    Cell::template step<Mem>(in_seq + static_cast<uint32_t>(t) * in, h, c, work, w, w + rows * in, b, b + rows, q,
                             tables, in, p.hidden_size);
    memcpy(h, work, p.hidden_size);
    if (out_seq) memcpy(out_seq + static_cast<uint32_t>(t) * width + col, h, p.hidden_size);
    if (at_last && t + 1 == p.seq_len) memcpy(at_last, h, p.hidden_size);
  }
}

}  // namespace detail

// The initial state: h from h0 [layers*directions][hidden] int8 (state codes), c from c0 (int16 cell codes),
// each through Mem, or zeros when nullptr (c: the LSTM's, else nullptr).
template <class Mem>
inline void recurrent_init_s8(const int8_t* h0, const int16_t* c0, int8_t* h, int16_t* c, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    h[i] = h0 ? Mem::read(h0 + i) : static_cast<int8_t>(0);
    if (c) c[i] = c0 ? Mem::read(c0 + i) : static_cast<int16_t>(0);
  }
}

// Whole sequence: input [seq_len][input_size] int8; output [seq_len][directions*hidden] (last_only:
// [directions*hidden]) or nullptr; h0, c0: the initial state (see recurrent_init_s8) or nullptr (zeros);
// h_n [layers*directions][hidden] (the state, left holding torch's h_n); c: the LSTM's cell state
// [layers*directions][hidden] int16, else nullptr; work [hidden], plus for two directions and more than one
// layer [min(layers-1, 2)][seq_len][2*hidden] for the sequences between layers. Two directions run layer by
// layer (the backward pass needs the whole sequence of the layer below); weights, biases and quant are per
// layer, then per direction.
template <class Cell, class Mem>
inline void recurrent_s8(const int8_t* input, const int8_t* weight, const int32_t* bias, const int32_t* quant,
                         const int16_t* tables, const int8_t* h0, const int16_t* c0, int8_t* output, int8_t* h_n,
                         int16_t* c, int8_t* work, const RecurrentS8Params& p) {
  recurrent_init_s8<Mem>(h0, c0, h_n, c, static_cast<uint32_t>(p.num_layers) * p.directions * p.hidden_size);
  const index_t hidden = p.hidden_size;
  if (p.directions == 1) {
    const int8_t* top = h_n + static_cast<uint32_t>(p.num_layers - 1) * hidden;
    for (index_t t = 0; t < p.seq_len; ++t) {
      recurrent_step_s8<Cell, Mem>(input + static_cast<uint32_t>(t) * p.input_size, weight, bias, quant, tables, h_n, c,
                                   work, p);
      if (output && !p.last_only) {
        memcpy(output + static_cast<uint32_t>(t) * hidden, top, hidden);
      } else if (output && t + 1 == p.seq_len) {
        memcpy(output, top, hidden);
      }
    }
    return;
  }
  const index_t width = static_cast<index_t>(2 * hidden);
  const uint32_t seq = static_cast<uint32_t>(p.seq_len) * width;
  int8_t* bufs[2] = {work + hidden, work + hidden + seq};
  const uint32_t rows = static_cast<uint32_t>(Cell::kGates) * hidden;
  const int8_t* w = weight;
  const int32_t* b = bias;
  const int32_t* q = quant;
  const int8_t* in_seq = input;
  for (index_t l = 0; l < p.num_layers; ++l) {
    const index_t in = l == 0 ? p.input_size : width;
    const bool top = l + 1 == p.num_layers;
    int8_t* out_seq = top ? (p.last_only ? nullptr : output) : bufs[l % 2];
    for (index_t d = 0; d < 2; ++d) {
      const uint32_t off = (static_cast<uint32_t>(l) * 2 + d) * hidden;
      int8_t* at_last = top && p.last_only && output ? output + d * hidden : nullptr;
      detail::recurrent_direction_s8<Cell, Mem>(in_seq, in, w, b, q, tables, h_n + off, c ? c + off : nullptr, work,
                                                out_seq, static_cast<index_t>(d * hidden), at_last, d == 1, p);
      w += rows * (in + hidden);
      b += 2 * rows;
      q += Cell::kQuant;
    }
    in_seq = out_seq;
  }
}

}  // namespace miniml

#endif  // MINIML_OP_RECURRENT_S8_H_
