// Recurrent layers, float32, torch semantics: GRU, LSTM and Elman RNN (tanh or relu), any number of
// layers, one or two directions. Weights are one flat array in torch's _flat_weights order: for each
// layer, for each direction: weight_ih [gates*hidden][in], weight_hh [gates*hidden][hidden], then (with
// bias) bias_ih [gates*hidden], bias_hh [gates*hidden]; gate order is torch's (GRU r,z,n; LSTM i,f,g,o).
// The state is the hidden state only: whole-sequence runs keep [layers*directions][hidden] floats (plus
// the cell state for LSTM), and step() advances the same state one sample with the same cell function,
// so a streamed output equals the whole-sequence output bit for bit.
#ifndef MINIML_OP_RECURRENT_H_
#define MINIML_OP_RECURRENT_H_

#include <string.h>

#include "core_math.h"
#include "core_rom.h"
#include "core_types.h"

namespace miniml {

struct RecurrentParams {
  index_t seq_len, input_size, hidden_size, num_layers, directions;
  bool bias;
  bool last_only;  // output holds only the last time step ([directions*hidden]), not the sequence
};

namespace detail {

template <class Mem>
inline float rnn_dot(const float* w_row, const float* v, index_t n) {
  float acc = 0.0f;
  for (index_t i = 0; i < n; ++i) acc += Mem::read(w_row + i) * v[i];
  return acc;
}

// weight_ih row `row` times x plus weight_hh row `row` times h, each with its bias (torch's gi, gh).
struct GateSums {
  float gi, gh;
};
template <class Mem>
inline GateSums rnn_gate(const float* w_ih, const float* w_hh, const float* b_ih, const float* b_hh, const float* x,
                         const float* h, index_t in, index_t hidden, index_t row) {
  GateSums s;
  s.gi = rnn_dot<Mem>(w_ih + static_cast<uint32_t>(row) * in, x, in);
  s.gh = rnn_dot<Mem>(w_hh + static_cast<uint32_t>(row) * hidden, h, hidden);
  if (b_ih) {
    s.gi += Mem::read(b_ih + row);
    s.gh += Mem::read(b_hh + row);
  }
  return s;
}

inline float rnn_sigmoid(float x) { return 1.0f / (1.0f + exp_f32(-x)); }

}  // namespace detail

// One cell, one time step: reads x [in] and h [hidden] (and c), writes the new h into h_new [hidden]
// (must not alias h: every unit reads the whole old h); the LSTM updates c in place (unit j reads c[j]
// only). Weight pointers are one direction of one layer, through Mem; biases may be nullptr (no bias).
struct GruCell {
  static const index_t kGates = 3;
  template <class Mem>
  static void step(const float* x, const float* h, float* c, float* h_new, const float* w_ih, const float* w_hh,
                   const float* b_ih, const float* b_hh, index_t in, index_t hidden) {
    (void)c;
    for (index_t j = 0; j < hidden; ++j) {
      const detail::GateSums r = detail::rnn_gate<Mem>(w_ih, w_hh, b_ih, b_hh, x, h, in, hidden, j);
      const detail::GateSums z = detail::rnn_gate<Mem>(w_ih, w_hh, b_ih, b_hh, x, h, in, hidden, hidden + j);
      const detail::GateSums n = detail::rnn_gate<Mem>(w_ih, w_hh, b_ih, b_hh, x, h, in, hidden, 2 * hidden + j);
      const float rg = detail::rnn_sigmoid(r.gi + r.gh);
      const float zg = detail::rnn_sigmoid(z.gi + z.gh);
      const float ng = tanh_f32(n.gi + rg * n.gh);
      h_new[j] = (1.0f - zg) * ng + zg * h[j];
    }
  }
};

struct LstmCell {
  static const index_t kGates = 4;
  template <class Mem>
  static void step(const float* x, const float* h, float* c, float* h_new, const float* w_ih, const float* w_hh,
                   const float* b_ih, const float* b_hh, index_t in, index_t hidden) {
    for (index_t j = 0; j < hidden; ++j) {
      const detail::GateSums i = detail::rnn_gate<Mem>(w_ih, w_hh, b_ih, b_hh, x, h, in, hidden, j);
      const detail::GateSums f = detail::rnn_gate<Mem>(w_ih, w_hh, b_ih, b_hh, x, h, in, hidden, hidden + j);
      const detail::GateSums g = detail::rnn_gate<Mem>(w_ih, w_hh, b_ih, b_hh, x, h, in, hidden, 2 * hidden + j);
      const detail::GateSums o = detail::rnn_gate<Mem>(w_ih, w_hh, b_ih, b_hh, x, h, in, hidden, 3 * hidden + j);
      const float ig = detail::rnn_sigmoid(i.gi + i.gh);
      const float fg = detail::rnn_sigmoid(f.gi + f.gh);
      const float gg = tanh_f32(g.gi + g.gh);
      const float og = detail::rnn_sigmoid(o.gi + o.gh);
      c[j] = fg * c[j] + ig * gg;
      h_new[j] = og * tanh_f32(c[j]);
    }
  }
};

// Elman RNN: h' = act(W_ih x + b_ih + W_hh h + b_hh); Act is ActTanh-like (tanh_f32) or relu.
template <bool kRelu>
struct RnnCell {
  static const index_t kGates = 1;
  template <class Mem>
  static void step(const float* x, const float* h, float* c, float* h_new, const float* w_ih, const float* w_hh,
                   const float* b_ih, const float* b_hh, index_t in, index_t hidden) {
    (void)c;
    for (index_t j = 0; j < hidden; ++j) {
      const detail::GateSums s = detail::rnn_gate<Mem>(w_ih, w_hh, b_ih, b_hh, x, h, in, hidden, j);
      const float a = s.gi + s.gh;
      // a comparison, not fmaxf: NaN stays NaN like torch.relu
      h_new[j] = kRelu ? (a < 0.0f ? 0.0f : a) : tanh_f32(a);
    }
  }
};

namespace detail {

// Floats of one direction of layer `layer` in the flat weight array.
template <class Cell>
inline uint32_t rnn_block_size(const RecurrentParams& p, index_t layer) {
  const uint32_t rows = static_cast<uint32_t>(Cell::kGates) * p.hidden_size;
  const uint32_t in = layer == 0 ? p.input_size : static_cast<uint32_t>(p.directions) * p.hidden_size;
  return rows * (in + p.hidden_size) + (p.bias ? 2 * rows : 0);
}

// One cell step of direction block `w` (layer input size `in`): h [hidden] (and c) updated in place,
// h_new [hidden] scratch.
template <class Cell, class Mem>
inline void rnn_cell_block(const float* w, const RecurrentParams& p, index_t in, const float* x, float* h, float* c,
                           float* h_new) {
  const uint32_t rows = static_cast<uint32_t>(Cell::kGates) * p.hidden_size;
  const float* w_hh = w + rows * in;
  const float* b_ih = p.bias ? w_hh + rows * p.hidden_size : nullptr;
  const float* b_hh = p.bias ? b_ih + rows : nullptr;
  Cell::template step<Mem>(x, h, c, h_new, w, w_hh, b_ih, b_hh, in, p.hidden_size);
  memcpy(h, h_new, sizeof(float) * p.hidden_size);
}

}  // namespace detail

// Fills the state from the initial state (through StateMem: ROM constants or RAM tensors), or zeros it.
// h: [layers*directions][hidden]; c: the same for LSTM, else nullptr.
template <class StateMem>
inline void recurrent_init_f32(const float* h0, const float* c0, float* h, float* c, const RecurrentParams& p) {
  const index_t n = p.num_layers * p.directions * p.hidden_size;
  for (index_t i = 0; i < n; ++i) {
    h[i] = h0 ? StateMem::read(h0 + i) : 0.0f;
    if (c) c[i] = c0 ? StateMem::read(c0 + i) : 0.0f;
  }
}

// One time step of a unidirectional stack: every layer advances once, layer l's new h feeding layer l+1.
// x_t: [input_size]; h, c: state as above; work: [hidden] scratch. The top layer's output is
// h + (num_layers - 1) * hidden.
template <class Cell, class Mem>
inline void recurrent_step_f32(const float* x_t, const float* weight, float* h, float* c, float* work,
                               const RecurrentParams& p) {
  const float* w = weight;
  const float* x = x_t;
  for (index_t l = 0; l < p.num_layers; ++l) {
    const uint32_t off = static_cast<uint32_t>(l) * p.hidden_size;
    detail::rnn_cell_block<Cell, Mem>(w, p, l == 0 ? p.input_size : p.hidden_size, x, h + off, c ? c + off : nullptr,
                                      work);
    x = h + off;
    w += detail::rnn_block_size<Cell>(p, l);
  }
}

// step() of a unidirectional stack: advances the state h, c (Model members, kept between calls) by x_t,
// then copies what the model reads: out_t [hidden] (the top layer's h), h_n / c_n [layers][hidden];
// each may be nullptr.
template <class Cell, class Mem>
inline void recurrent_stream_f32(const float* x_t, const float* weight, float* h, float* c, float* out_t, float* h_n,
                                 float* c_n, float* work, const RecurrentParams& p) {
  recurrent_step_f32<Cell, Mem>(x_t, weight, h, c, work, p);
  const index_t state = p.num_layers * p.hidden_size;
  if (out_t) {
    memcpy(out_t, h + static_cast<uint32_t>(p.num_layers - 1) * p.hidden_size, sizeof(float) * p.hidden_size);
  }
  if (h_n) memcpy(h_n, h, sizeof(float) * state);
  if (c_n) memcpy(c_n, c, sizeof(float) * state);
}

// Whole sequence. input: [seq_len][input_size]; output: [seq_len][directions*hidden] (or, with
// last_only, [directions*hidden]), or nullptr when unused; h_n, c_n: the state ([layers*directions]
// [hidden], c_n nullptr unless LSTM), left holding torch's h_n / c_n; h0, c0: initial state through
// StateMem or nullptr (zeros). work: [hidden] floats, plus for two directions and more than one layer
// [min(layers-1, 2)][seq_len][2*hidden] for the sequences between layers. No pointer may alias another.
template <class Cell, class Mem, class StateMem>
inline void recurrent_f32(const float* input, const float* weight, const float* h0, const float* c0, float* output,
                          float* h_n, float* c_n, float* work, const RecurrentParams& p) {
  recurrent_init_f32<StateMem>(h0, c0, h_n, c_n, p);
  const index_t hidden = p.hidden_size;
  if (p.directions == 1) {
    const float* top = h_n + static_cast<uint32_t>(p.num_layers - 1) * hidden;
    for (index_t t = 0; t < p.seq_len; ++t) {
      recurrent_step_f32<Cell, Mem>(input + static_cast<uint32_t>(t) * p.input_size, weight, h_n, c_n, work, p);
      if (output && !p.last_only) {
        memcpy(output + static_cast<uint32_t>(t) * hidden, top, sizeof(float) * hidden);
      } else if (output && t + 1 == p.seq_len) {
        memcpy(output, top, sizeof(float) * hidden);
      }
    }
    return;
  }
  // Two directions: layer by layer, since the backward pass needs the whole sequence of the layer below.
  const index_t width = 2 * hidden;
  const uint32_t seq = static_cast<uint32_t>(p.seq_len) * width;
  float* bufs[2] = {work + hidden, work + hidden + seq};
  const float* w = weight;
  const float* in_seq = input;
  for (index_t l = 0; l < p.num_layers; ++l) {
    const index_t in = l == 0 ? p.input_size : width;
    const bool top = l + 1 == p.num_layers;
    float* out_seq = top ? (p.last_only ? nullptr : output) : bufs[l % 2];
    for (index_t d = 0; d < 2; ++d) {
      const uint32_t off = (static_cast<uint32_t>(l) * 2 + d) * hidden;
      for (index_t k = 0; k < p.seq_len; ++k) {
        const index_t t = d == 0 ? k : static_cast<index_t>(p.seq_len - 1 - k);
        detail::rnn_cell_block<Cell, Mem>(w, p, in, in_seq + static_cast<uint32_t>(t) * in, h_n + off,
                                          c_n ? c_n + off : nullptr, work);
        if (out_seq) {
          memcpy(out_seq + static_cast<uint32_t>(t) * width + d * hidden, h_n + off, sizeof(float) * hidden);
        } else if (top && output && t + 1 == p.seq_len) {
          memcpy(output + d * hidden, h_n + off, sizeof(float) * hidden);
        }
      }
      w += detail::rnn_block_size<Cell>(p, l);
    }
    in_seq = out_seq;
  }
}

}  // namespace miniml

#endif  // MINIML_OP_RECURRENT_H_
