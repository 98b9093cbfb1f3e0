// Layout ops: permute (transpose, slice, select) and constant padding of activations, float32 and int8, in RAM,
// up to 4 dims (shapes given with leading 1s). Output must not alias input.
#ifndef MINIML_OP_LAYOUT_H_
#define MINIML_OP_LAYOUT_H_

#include "core_types.h"

namespace miniml {

// out_shape: the output's 4 dims; strides: for each output dim, the input stride (in floats) of the
// input dim it comes from. output[a][b][c][d] = input[a*s0 + b*s1 + c*s2 + d*s3].
struct PermuteParams {
  index_t out_shape[4];
  index_t strides[4];
};

namespace detail {

template <class T>
inline void permute_copy(const T* input, T* output, const PermuteParams& p) {
  for (index_t a = 0; a < p.out_shape[0]; ++a) {
    for (index_t b = 0; b < p.out_shape[1]; ++b) {
      for (index_t c = 0; c < p.out_shape[2]; ++c) {
        const T* in = input + static_cast<uint32_t>(a) * p.strides[0] + static_cast<uint32_t>(b) * p.strides[1] +
                      static_cast<uint32_t>(c) * p.strides[2];
        for (index_t d = 0; d < p.out_shape[3]; ++d) {
          *output++ = *in;
          in += p.strides[3];
        }
      }
    }
  }
}

}  // namespace detail

inline void permute_f32(const float* input, float* output, const PermuteParams& p) {
  detail::permute_copy(input, output, p);
}

// The same copy of int8 codes (TFLM TRANSPOSE: the output keeps the input's scale and zero point).
inline void permute_s8(const int8_t* input, int8_t* output, const PermuteParams& p) {
  detail::permute_copy(input, output, p);
}

// Constant padding: the input [in_shape] sits at offset `before` inside the output [out_shape]; every
// other output element is `value`. Dims padded to 4 with leading 1s (before = 0 there).
struct PadParams {
  index_t in_shape[4];
  index_t out_shape[4];
  index_t before[4];
};

namespace detail {

template <class T>
inline void pad_copy(const T* input, T* output, const PadParams& p, T value) {
  for (index_t a = 0; a < p.out_shape[0]; ++a) {
    const bool in_a = a >= p.before[0] && a - p.before[0] < p.in_shape[0];
    for (index_t b = 0; b < p.out_shape[1]; ++b) {
      const bool in_b = in_a && b >= p.before[1] && b - p.before[1] < p.in_shape[1];
      for (index_t c = 0; c < p.out_shape[2]; ++c) {
        const bool in_c = in_b && c >= p.before[2] && c - p.before[2] < p.in_shape[2];
        const T* row = in_c ? input + ((static_cast<uint32_t>(a - p.before[0]) * p.in_shape[1] + (b - p.before[1])) *
                                           p.in_shape[2] +
                                       (c - p.before[2])) *
                                          p.in_shape[3]
                            : nullptr;
        for (index_t d = 0; d < p.out_shape[3]; ++d) {
          const bool in_d = in_c && d >= p.before[3] && d - p.before[3] < p.in_shape[3];
          *output++ = in_d ? row[d - p.before[3]] : value;
        }
      }
    }
  }
}

}  // namespace detail

inline void pad_f32(const float* input, float* output, const PadParams& p, float value) {
  detail::pad_copy(input, output, p, value);
}

// int8 at the input's scale and zero point (TFLM PAD / PADV2): value is the constant's code.
inline void pad_s8(const int8_t* input, int8_t* output, const PadParams& p, int8_t value) {
  detail::pad_copy(input, output, p, value);
}

}  // namespace miniml

#endif  // MINIML_OP_LAYOUT_H_
