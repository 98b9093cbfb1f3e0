// The spreading step of a transposed convolution, float32: the input with stride - 1 zeros between
// samples, placed at a (possibly negative: cropped) offset inside a zero output. The stride-1 conv that
// follows (op_conv.h / op_conv_s8.h, flipped kernel) completes ConvTranspose1d/2d, float or int8. Output
// must not alias input.
#ifndef MINIML_OP_CONV_TRANSPOSE_H_
#define MINIML_OP_CONV_TRANSPOSE_H_

#include "core_types.h"

namespace miniml {

struct ZeroInsertParams {
  index_t channels, in_h, in_w;
  index_t out_h, out_w;
  index_t stride_h, stride_w;
  sindex_t offset_h, offset_w;  // output position of input sample (0, 0)
};

namespace detail {
template <typename T>
inline void zero_insert(const T* input, T* output, const ZeroInsertParams& p, T zero) {
  const uint32_t plane = static_cast<uint32_t>(p.out_h) * p.out_w;
  for (uint32_t i = 0; i < plane * p.channels; ++i) output[i] = zero;
  for (index_t c = 0; c < p.channels; ++c) {
    T* out = output + static_cast<uint32_t>(c) * plane;
    for (index_t y = 0; y < p.in_h; ++y) {
      const int32_t oy = static_cast<int32_t>(p.offset_h) + static_cast<int32_t>(y) * p.stride_h;
      for (index_t x = 0; x < p.in_w; ++x) {
        const int32_t ox = static_cast<int32_t>(p.offset_w) + static_cast<int32_t>(x) * p.stride_w;
        const T v = *input++;
        if (oy >= 0 && oy < static_cast<int32_t>(p.out_h) && ox >= 0 && ox < static_cast<int32_t>(p.out_w)) {
          out[static_cast<uint32_t>(oy) * p.out_w + static_cast<uint32_t>(ox)] = v;
        }
      }
    }
  }
}
}  // namespace detail

// input: [channels][in_h][in_w]; output: [channels][out_h][out_w],
// output[c][offset_h + y * stride_h][offset_w + x * stride_w] = input[c][y][x], zero elsewhere.
inline void zero_insert_f32(const float* input, float* output, const ZeroInsertParams& p) {
  detail::zero_insert(input, output, p, 0.0f);
}

// int8: "zero" is the tensor's zero point (the quantised 0.0), so the conv that follows skips it
// exactly as TFLM's TRANSPOSE_CONV never adds those taps.
inline void zero_insert_s8(const int8_t* input, int8_t* output, const ZeroInsertParams& p, int32_t zero_point) {
  detail::zero_insert(input, output, p, static_cast<int8_t>(zero_point));
}

}  // namespace miniml

#endif  // MINIML_OP_CONV_TRANSPOSE_H_
