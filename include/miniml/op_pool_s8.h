// max_pool2d_s8 / avg_pool2d_s8 (and the 1-D forms): int8 pooling with TFLM MAX_POOL_2D / AVERAGE_POOL_2D
// numbers. Input and output share scale and zero point; only the in-bounds taps of a window count.
// Activations [C][H][W] in SRAM; no constants, so no memory policy.
#ifndef MINIML_OP_POOL_S8_H_
#define MINIML_OP_POOL_S8_H_

#include <stdint.h>

#include "core_dot.h"
#include "core_fixedpoint.h"
#include "core_types.h"

namespace miniml {
namespace detail {

// Clips the window [start, start + kernel) to [0, size). Empty windows cannot occur: the exporter
// requires padding <= kernel / 2, as torch does.
inline void pool_window(sindex_t start, index_t kernel, index_t size, index_t* lo, index_t* hi) {
  const sindex_t end = static_cast<sindex_t>(start + static_cast<sindex_t>(kernel));
  *lo = static_cast<index_t>(start < 0 ? 0 : start);
  *hi = static_cast<index_t>(end > static_cast<sindex_t>(size) ? static_cast<sindex_t>(size) : end);
}

template <bool kMax>
inline void pool2d_s8(const int8_t* input, index_t channels, index_t in_h, index_t in_w, index_t kernel_h,
                      index_t kernel_w, index_t stride_h, index_t stride_w, index_t padding_h,
                      index_t padding_w, int32_t act_min, int32_t act_max, int8_t* output) {
  const index_t out_h = static_cast<index_t>((in_h + 2 * padding_h - kernel_h) / stride_h + 1);
  const index_t out_w = static_cast<index_t>((in_w + 2 * padding_w - kernel_w) / stride_w + 1);
  int8_t* out = output;
  for (index_t c = 0; c < channels; ++c) {
    const int8_t* in_c = input + c * in_h * in_w;
    for (index_t oy = 0; oy < out_h; ++oy) {
      index_t y_lo, y_hi;
      pool_window(
          static_cast<sindex_t>(static_cast<sindex_t>(oy * stride_h) - static_cast<sindex_t>(padding_h)),
          kernel_h, in_h, &y_lo, &y_hi);
      for (index_t ox = 0; ox < out_w; ++ox) {
        index_t x_lo, x_hi;
        pool_window(
            static_cast<sindex_t>(static_cast<sindex_t>(ox * stride_w) - static_cast<sindex_t>(padding_w)),
            kernel_w, in_w, &x_lo, &x_hi);
        int32_t v;
        if (kMax) {
          int8_t m = kInt8Min;
          for (index_t y = y_lo; y < y_hi; ++y) {
            for (index_t x = x_lo; x < x_hi; ++x) {
              const int8_t t = in_c[y * in_w + x];
              if (t > m) m = t;
            }
          }
          v = m;
        } else {
          int32_t acc = 0;
          for (index_t y = y_lo; y < y_hi; ++y) {
            for (index_t x = x_lo; x < x_hi; ++x) acc += in_c[y * in_w + x];
          }
          const int32_t n = static_cast<int32_t>((y_hi - y_lo) * (x_hi - x_lo));
          // Round half away from zero: C division truncates, so add +-n/2 first (TFLM AveragePool).
          v = acc > 0 ? (acc + n / 2) / n : (acc - n / 2) / n;
        }
        if (v < act_min) v = act_min;
        if (v > act_max) v = act_max;
        *out++ = static_cast<int8_t>(v);
      }
    }
  }
}

}  // namespace detail

// input [channels][in_h][in_w] -> output [channels][out_h][out_w],
// out = (in + 2 padding - kernel) / stride + 1.
inline void max_pool2d_s8(const int8_t* input, index_t channels, index_t in_h, index_t in_w, index_t kernel_h,
                          index_t kernel_w, index_t stride_h, index_t stride_w, index_t padding_h,
                          index_t padding_w, int32_t act_min, int32_t act_max, int8_t* output) {
  detail::pool2d_s8<true>(input, channels, in_h, in_w, kernel_h, kernel_w, stride_h, stride_w, padding_h,
                          padding_w, act_min, act_max, output);
}

// Mean of the in-bounds taps (torch's count_include_pad=False; the exporter only maps that, or no padding).
inline void avg_pool2d_s8(const int8_t* input, index_t channels, index_t in_h, index_t in_w, index_t kernel_h,
                          index_t kernel_w, index_t stride_h, index_t stride_w, index_t padding_h,
                          index_t padding_w, int32_t act_min, int32_t act_max, int8_t* output) {
  detail::pool2d_s8<false>(input, channels, in_h, in_w, kernel_h, kernel_w, stride_h, stride_w, padding_h,
                           padding_w, act_min, act_max, output);
}

inline void max_pool1d_s8(const int8_t* input, index_t channels, index_t length, index_t kernel_size,
                          index_t stride, index_t padding, int32_t act_min, int32_t act_max, int8_t* output) {
  detail::pool2d_s8<true>(input, channels, 1, length, 1, kernel_size, 1, stride, 0, padding, act_min, act_max,
                          output);
}

inline void avg_pool1d_s8(const int8_t* input, index_t channels, index_t length, index_t kernel_size,
                          index_t stride, index_t padding, int32_t act_min, int32_t act_max, int8_t* output) {
  detail::pool2d_s8<false>(input, channels, 1, length, 1, kernel_size, 1, stride, 0, padding, act_min,
                           act_max, output);
}

}  // namespace miniml

#endif  // MINIML_OP_POOL_S8_H_
