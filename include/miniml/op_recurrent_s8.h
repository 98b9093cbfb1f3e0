// int8 GRU and tanh RNN, unidirectional, any number of layers; MiniML's own integer scheme (TFLite has no
// int8 GRU), checked at 0 LSB against quant/recurrent_s8.py. Scheme: x int8 (scale, zero point of the
// layer input); weights int8 symmetric, one scale per gate block; biases int32 at the scale of their
// products; the hidden state int8 with scale 2^-7 and zero point 0 (a GRU / tanh-RNN state lies in
// [-1, 1]); the input zero point is folded into bias_ih, so every sum is a plain dot_s8 (core_dot.h).
// Each gate's input and recurrent sums are requantised (TFLite's MultiplyByQuantizedMultiplier)
// to Q3.12 int16, and sigmoid / tanh come from 257-entry Q0.15 tables with linear interpolation.
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
  index_t seq_len, input_size, hidden_size, num_layers;
  bool last_only;
};

namespace detail {

inline int32_t clamp_s16(int32_t v) { return v < -32768 ? -32768 : (v > 32767 ? 32767 : v); }

// f(x) for x in Q3.12 (clamped to int16) from table [257] of f on [-8, 8) in Q0.15, interpolated.
template <class Mem>
inline int32_t lut_q15(const int16_t* table, int32_t x) {
  const uint32_t u = static_cast<uint32_t>(clamp_s16(x) + 32768);
  const index_t i = static_cast<index_t>(u >> 8);
  const int32_t f = static_cast<int32_t>(u & 255u);
  const int32_t a = Mem::read(table + i);
  const int32_t b = Mem::read(table + i + 1);
  return a + (((b - a) * f + 128) >> 8);  // arithmetic shift: floor, as the numpy reference
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
  p.x = clamp_s16(multiply_by_quantized_multiplier(ax, Mem::read(gq), static_cast<int8_t>(Mem::read(gq + 1))));
  p.h = clamp_s16(multiply_by_quantized_multiplier(ah, Mem::read(gq + 2), static_cast<int8_t>(Mem::read(gq + 3))));
  return p;
}

inline int8_t q15_to_state(int32_t v) {
  const int32_t s = (v + 128) >> 8;
  return static_cast<int8_t>(s < kInt8Min ? kInt8Min : (s > kInt8Max ? kInt8Max : s));
}

}  // namespace detail

// One cell step; h_new [hidden] must not alias h. q: this layer's [gates][4] (3 gates for the GRU, 1 for
// the RNN), biases (never nullptr), tables: sigmoid [257] then tanh [257], Q0.15; all through Mem.
struct GruCellS8 {
  static const index_t kGates = 3;
  template <class Mem>
  static void step(const int8_t* x, const int8_t* h, int8_t* h_new, const int8_t* w_ih, const int8_t* w_hh,
                   const int32_t* b_ih, const int32_t* b_hh, const int32_t* q, const int16_t* tables, index_t in,
                   index_t hidden) {
    for (index_t j = 0; j < hidden; ++j) {
      const detail::GateParts r = detail::gate_s8<Mem>(w_ih, w_hh, b_ih, b_hh, q, x, h, in, hidden, 0, j);
      const detail::GateParts z = detail::gate_s8<Mem>(w_ih, w_hh, b_ih, b_hh, q, x, h, in, hidden, 1, j);
      const detail::GateParts n = detail::gate_s8<Mem>(w_ih, w_hh, b_ih, b_hh, q, x, h, in, hidden, 2, j);
      const int32_t rg = detail::lut_q15<Mem>(tables, r.x + r.h);
      const int32_t zg = detail::lut_q15<Mem>(tables, z.x + z.h);
      const int32_t ng = detail::lut_q15<Mem>(tables + 257, n.x + ((rg * n.h + (1 << 14)) >> 15));
      const int32_t h15 = static_cast<int32_t>(h[j]) * 256;
      h_new[j] = detail::q15_to_state(ng + ((zg * (h15 - ng) + (1 << 14)) >> 15));
    }
  }
};

struct RnnTanhCellS8 {
  static const index_t kGates = 1;
  template <class Mem>
  static void step(const int8_t* x, const int8_t* h, int8_t* h_new, const int8_t* w_ih, const int8_t* w_hh,
                   const int32_t* b_ih, const int32_t* b_hh, const int32_t* q, const int16_t* tables, index_t in,
                   index_t hidden) {
    for (index_t j = 0; j < hidden; ++j) {
      const detail::GateParts a = detail::gate_s8<Mem>(w_ih, w_hh, b_ih, b_hh, q, x, h, in, hidden, 0, j);
      h_new[j] = detail::q15_to_state(detail::lut_q15<Mem>(tables + 257, a.x + a.h));
    }
  }
};

// One time step of the stack: every layer advances once (state h [layers][hidden], work [hidden]).
// weight: per layer w_ih [gates*hidden][in] then w_hh [gates*hidden][hidden]; bias: per layer b_ih, b_hh
// [gates*hidden] int32 (zeros without bias; layer 0's b_ih holds -zero_point * sum(w_ih row)); quant:
// [layers][gates][4] int32 through Mem.
template <class Cell, class Mem>
inline void recurrent_step_s8(const int8_t* x_t, const int8_t* weight, const int32_t* bias, const int32_t* quant,
                              const int16_t* tables, int8_t* h, int8_t* work, const RecurrentS8Params& p) {
  const int8_t* w = weight;
  const int32_t* b = bias;
  const int8_t* x = x_t;
  const uint32_t rows = static_cast<uint32_t>(Cell::kGates) * p.hidden_size;
  for (index_t l = 0; l < p.num_layers; ++l) {
    const index_t in = l == 0 ? p.input_size : p.hidden_size;
    const int32_t* q = quant + static_cast<uint32_t>(l) * Cell::kGates * 4;
    int8_t* hl = h + static_cast<uint32_t>(l) * p.hidden_size;
    const int8_t* w_hh = w + rows * in;
    Cell::template step<Mem>(x, hl, work, w, w_hh, b, b + rows, q, tables, in, p.hidden_size);
    memcpy(hl, work, p.hidden_size);
    x = hl;
    w = w_hh + rows * p.hidden_size;
    b += 2 * rows;
  }
}

// step() of the stack: advances the state h (a Model member, kept between calls) by x_t, then copies
// what the model reads: out_t [hidden] (the top layer's h) and h_n [layers][hidden], each may be nullptr.
template <class Cell, class Mem>
inline void recurrent_stream_s8(const int8_t* x_t, const int8_t* weight, const int32_t* bias, const int32_t* quant,
                                const int16_t* tables, int8_t* h, int8_t* out_t, int8_t* h_n, int8_t* work,
                                const RecurrentS8Params& p) {
  recurrent_step_s8<Cell, Mem>(x_t, weight, bias, quant, tables, h, work, p);
  if (out_t) memcpy(out_t, h + static_cast<uint32_t>(p.num_layers - 1) * p.hidden_size, p.hidden_size);
  if (h_n) memcpy(h_n, h, static_cast<uint32_t>(p.num_layers) * p.hidden_size);
}

// Whole sequence: input [seq_len][input_size] int8; output [seq_len][hidden] (last_only: [hidden]) or
// nullptr; h_n [layers][hidden] (the state, zeroed first: a zero initial state); work [hidden].
template <class Cell, class Mem>
inline void recurrent_s8(const int8_t* input, const int8_t* weight, const int32_t* bias, const int32_t* quant,
                         const int16_t* tables, int8_t* output, int8_t* h_n, int8_t* work, const RecurrentS8Params& p) {
  memset(h_n, 0, static_cast<uint32_t>(p.num_layers) * p.hidden_size);
  const int8_t* top = h_n + static_cast<uint32_t>(p.num_layers - 1) * p.hidden_size;
  for (index_t t = 0; t < p.seq_len; ++t) {
    recurrent_step_s8<Cell, Mem>(input + static_cast<uint32_t>(t) * p.input_size, weight, bias, quant, tables, h_n,
                                 work, p);
    if (output && !p.last_only) {
      memcpy(output + static_cast<uint32_t>(t) * p.hidden_size, top, p.hidden_size);
    } else if (output && t + 1 == p.seq_len) {
      memcpy(output, top, p.hidden_size);
    }
  }
}

}  // namespace miniml

#endif  // MINIML_OP_RECURRENT_S8_H_
