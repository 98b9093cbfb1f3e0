// max_pool2d_s8 / avg_pool2d_s8 (and the 1-D forms): int8 pooling with TFLM MAX_POOL_2D / AVERAGE_POOL_2D
// numbers. Input and output share scale and zero point; only the in-bounds taps of a window count.
// The Pool2dParams overloads add torch's window rule of the float kernels (op_pool.h): dilation and
// ceil_mode for max, ceil_mode, count_include_pad and divisor_override for avg (no TFLM op: checked
// against the numpy reference, quant/reference.py, at 0 LSB).
// Activations [C][H][W] in SRAM; no constants, so no memory policy.
#ifndef MINIML_OP_POOL_S8_H_
#define MINIML_OP_POOL_S8_H_

#include <stdint.h>

#include "core_dot.h"
#include "core_fixedpoint.h"
#include "core_types.h"
#include "op_pool.h"

namespace miniml {
namespace detail {

// Clips the window [start, start + kernel) to [0, size). Empty windows cannot occur: the exporter
// requires padding <= kernel / 2, as torch does.
inline void pool_window(sindex_t start, index_t kernel, index_t size, index_t* lo, index_t* hi) {
  const sindex_t end = static_cast<sindex_t>(start + static_cast<sindex_t>(kernel));
  *lo = static_cast<index_t>(start < 0 ? 0 : start);
  *hi = static_cast<index_t>(end > static_cast<sindex_t>(size) ? static_cast<sindex_t>(size) : end);
}

#if defined(__AVR__)
// Max pooling without padding on AVR: pointer steps instead of per-output window bounds and index products
// (which cost ~50 cycles per tap of a 2x2 window there); the same maxima, clamped the same way.
inline void max_pool2d_s8_avr(const int8_t* input, index_t channels, index_t in_h, index_t in_w, index_t kernel_h,
                              index_t kernel_w, index_t stride_h, index_t stride_w, int8_t act_min, int8_t act_max,
                              int8_t* output) {
  const index_t out_h = static_cast<index_t>((in_h - kernel_h) / stride_h + 1);
  const index_t out_w = static_cast<index_t>((in_w - kernel_w) / stride_w + 1);
  const index_t row_step = static_cast<index_t>(stride_h * in_w), skip = static_cast<index_t>(in_w - kernel_w);
  for (index_t c = 0; c < channels; ++c, input += in_h * in_w) {
    const int8_t* row = input;
    for (index_t oy = 0; oy < out_h; ++oy, row += row_step) {
      const int8_t* window = row;
      for (index_t ox = 0; ox < out_w; ++ox, window += stride_w) {
        int8_t m = act_min;  // the clamp's lower bound first: max(act_min, taps), then min with act_max
        const int8_t* p = window;
        for (index_t ky = 0; ky < kernel_h; ++ky, p += skip) {
          for (index_t kx = 0; kx < kernel_w; ++kx, ++p) {
            if (*p > m) m = *p;
          }
        }
        *output++ = m > act_max ? act_max : m;
      }
    }
  }
}
#endif

template <bool kMax>
inline void pool2d_s8(const int8_t* input, index_t channels, index_t in_h, index_t in_w, index_t kernel_h,
                      index_t kernel_w, index_t stride_h, index_t stride_w, index_t padding_h, index_t padding_w,
                      int32_t act_min, int32_t act_max, int8_t* output) {
#if defined(__AVR__)
  if (kMax && padding_h == 0 && padding_w == 0 && act_min >= kInt8Min && act_max <= kInt8Max && act_min <= act_max) {
    max_pool2d_s8_avr(input, channels, in_h, in_w, kernel_h, kernel_w, stride_h, stride_w, static_cast<int8_t>(act_min),
                      static_cast<int8_t>(act_max), output);
    return;
  }
#endif
  const index_t out_h = static_cast<index_t>((in_h + 2 * padding_h - kernel_h) / stride_h + 1);
  const index_t out_w = static_cast<index_t>((in_w + 2 * padding_w - kernel_w) / stride_w + 1);
  int8_t* out = output;
  for (index_t c = 0; c < channels; ++c) {
    const int8_t* in_c = input + c * in_h * in_w;
    for (index_t oy = 0; oy < out_h; ++oy) {
      index_t y_lo, y_hi;
      pool_window(static_cast<sindex_t>(static_cast<sindex_t>(oy * stride_h) - static_cast<sindex_t>(padding_h)),
                  kernel_h, in_h, &y_lo, &y_hi);
      for (index_t ox = 0; ox < out_w; ++ox) {
        index_t x_lo, x_hi;
        pool_window(static_cast<sindex_t>(static_cast<sindex_t>(ox * stride_w) - static_cast<sindex_t>(padding_w)),
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
                          index_t kernel_w, index_t stride_h, index_t stride_w, index_t padding_h, index_t padding_w,
                          int32_t act_min, int32_t act_max, int8_t* output) {
  detail::pool2d_s8<true>(input, channels, in_h, in_w, kernel_h, kernel_w, stride_h, stride_w, padding_h, padding_w,
                          act_min, act_max, output);
}

// Mean of the in-bounds taps (torch's count_include_pad=False; the exporter only maps that, or no padding).
inline void avg_pool2d_s8(const int8_t* input, index_t channels, index_t in_h, index_t in_w, index_t kernel_h,
                          index_t kernel_w, index_t stride_h, index_t stride_w, index_t padding_h, index_t padding_w,
                          int32_t act_min, int32_t act_max, int8_t* output) {
  detail::pool2d_s8<false>(input, channels, in_h, in_w, kernel_h, kernel_w, stride_h, stride_w, padding_h, padding_w,
                           act_min, act_max, output);
}

inline void max_pool1d_s8(const int8_t* input, index_t channels, index_t length, index_t kernel_size, index_t stride,
                          index_t padding, int32_t act_min, int32_t act_max, int8_t* output) {
  detail::pool2d_s8<true>(input, channels, 1, length, 1, kernel_size, 1, stride, 0, padding, act_min, act_max, output);
}

inline void avg_pool1d_s8(const int8_t* input, index_t channels, index_t length, index_t kernel_size, index_t stride,
                          index_t padding, int32_t act_min, int32_t act_max, int8_t* output) {
  detail::pool2d_s8<false>(input, channels, 1, length, 1, kernel_size, 1, stride, 0, padding, act_min, act_max, output);
}

namespace detail {

// Max over the in-bounds taps of each dilated window (padding skipped like torch's -inf), out_h/out_w
// as torch computes them (ceil_mode). The exporter rejects windows without an in-bounds tap.
inline void max_pool2d_s8_torch(const int8_t* input, int8_t* output, const Pool2dParams& p, int32_t act_min,
                                int32_t act_max) {
  const index_t plane = p.in_h * p.in_w;
  for (index_t c = 0; c < p.channels; ++c) {
    const int8_t* in = input + static_cast<uint32_t>(c) * plane;
    for (index_t oh = 0; oh < p.out_h; ++oh) {
      const sindex_t h0 =
          static_cast<sindex_t>(static_cast<sindex_t>(oh * p.stride_h) - static_cast<sindex_t>(p.pad_top));
      for (index_t ow = 0; ow < p.out_w; ++ow) {
        const sindex_t w0 =
            static_cast<sindex_t>(static_cast<sindex_t>(ow * p.stride_w) - static_cast<sindex_t>(p.pad_left));
        int32_t v = kInt8Min;
        for (index_t kh = 0; kh < p.kernel_h; ++kh) {
          const sindex_t ih = static_cast<sindex_t>(h0 + static_cast<sindex_t>(kh * p.dilation_h));
          if (ih < 0 || ih >= static_cast<sindex_t>(p.in_h)) continue;
          const int8_t* row = in + static_cast<uint32_t>(ih) * p.in_w;
          for (index_t kw = 0; kw < p.kernel_w; ++kw) {
            const sindex_t iw = static_cast<sindex_t>(w0 + static_cast<sindex_t>(kw * p.dilation_w));
            if (iw < 0 || iw >= static_cast<sindex_t>(p.in_w)) continue;
            if (row[iw] > v) v = row[iw];
          }
        }
        if (v < act_min) v = act_min;
        if (v > act_max) v = act_max;
        *output++ = static_cast<int8_t>(v);
      }
    }
  }
}

// Sum of the in-bounds taps over torch's divisor D (avg_pool2d_f32's rule), rounded half away from
// zero like TFLM's AVERAGE_POOL_2D. Taps D counts beyond the n in-bounds ones (count_include_pad's
// padding, a divisor_override) are real zeros, i.e. the zero point: acc = sum + (D - n) * zero_point,
// so with D == n this is TFLM's mean exactly. Dilation is ignored (torch's avg pool has none).
inline void avg_pool2d_s8_torch(const int8_t* input, int8_t* output, const Pool2dParams& p, int32_t zero_point,
                                int32_t act_min, int32_t act_max) {
  const index_t plane = p.in_h * p.in_w;
  const sindex_t padded_h = static_cast<sindex_t>(p.in_h + p.pad_top);
  const sindex_t padded_w = static_cast<sindex_t>(p.in_w + p.pad_left);
  for (index_t c = 0; c < p.channels; ++c) {
    const int8_t* in = input + static_cast<uint32_t>(c) * plane;
    for (index_t oh = 0; oh < p.out_h; ++oh) {
      sindex_t h0 = static_cast<sindex_t>(static_cast<sindex_t>(oh * p.stride_h) - static_cast<sindex_t>(p.pad_top));
      sindex_t h1 = static_cast<sindex_t>(h0 + static_cast<sindex_t>(p.kernel_h));
      if (h1 > padded_h) h1 = padded_h;
      const int32_t pool_h = h1 - h0;
      if (h0 < 0) h0 = 0;
      if (h1 > static_cast<sindex_t>(p.in_h)) h1 = static_cast<sindex_t>(p.in_h);
      for (index_t ow = 0; ow < p.out_w; ++ow) {
        sindex_t w0 = static_cast<sindex_t>(static_cast<sindex_t>(ow * p.stride_w) - static_cast<sindex_t>(p.pad_left));
        sindex_t w1 = static_cast<sindex_t>(w0 + static_cast<sindex_t>(p.kernel_w));
        if (w1 > padded_w) w1 = padded_w;
        const int32_t pool_w = w1 - w0;
        if (w0 < 0) w0 = 0;
        if (w1 > static_cast<sindex_t>(p.in_w)) w1 = static_cast<sindex_t>(p.in_w);
        int32_t acc = 0;
        for (sindex_t ih = h0; ih < h1; ++ih) {
          const int8_t* row = in + static_cast<uint32_t>(ih) * p.in_w;
          for (sindex_t iw = w0; iw < w1; ++iw) acc += row[iw];
        }
        const int32_t n = static_cast<int32_t>(h1 - h0) * static_cast<int32_t>(w1 - w0);
        int32_t d;
        if (p.divisor_override) {
          d = static_cast<int32_t>(p.divisor_override);
        } else if (p.count_include_pad) {
          d = pool_h * pool_w;
        } else {
          d = n;
        }
        acc += (d - n) * zero_point;
        // Round half away from zero: C division truncates, so add +-d/2 first (TFLM AveragePool).
        int32_t v = acc > 0 ? (acc + d / 2) / d : (acc - d / 2) / d;
        if (v < act_min) v = act_min;
        if (v > act_max) v = act_max;
        *output++ = static_cast<int8_t>(v);
      }
    }
  }
}

// True when p is TFLM's pooling: no dilation, floor mode (and for avg, the mean of the in-bounds taps),
// which pool2d_s8 computes.
MINIML_ALWAYS_INLINE bool pool_is_tflm(const Pool2dParams& p, bool avg) {
  const bool floor_mode = p.out_h == (p.in_h + 2 * p.pad_top - p.kernel_h) / p.stride_h + 1 &&
                          p.out_w == (p.in_w + 2 * p.pad_left - p.kernel_w) / p.stride_w + 1;
  const bool mean = !avg || (p.divisor_override == 0 && (!p.count_include_pad || (p.pad_top == 0 && p.pad_left == 0)));
  return p.dilation_h == 1 && p.dilation_w == 1 && floor_mode && mean;
}

}  // namespace detail

// Pooling with the layer's shape as one constexpr struct (generated code): TFLM's case takes pool2d_s8,
// the rest torch's window rule; with a constant p the choice is made at compile time.
MINIML_ALWAYS_INLINE void max_pool2d_s8(const int8_t* input, int8_t* output, const Pool2dParams& p, int32_t act_min,
                                        int32_t act_max) {
  if (detail::pool_is_tflm(p, false)) {
    detail::pool2d_s8<true>(input, p.channels, p.in_h, p.in_w, p.kernel_h, p.kernel_w, p.stride_h, p.stride_w,
                            p.pad_top, p.pad_left, act_min, act_max, output);
  } else {
    detail::max_pool2d_s8_torch(input, output, p, act_min, act_max);
  }
}

// zero_point: the input's, for the taps the divisor counts beyond the in-bounds ones (not read in TFLM's case).
MINIML_ALWAYS_INLINE void avg_pool2d_s8(const int8_t* input, int8_t* output, const Pool2dParams& p, int32_t zero_point,
                                        int32_t act_min, int32_t act_max) {
  if (detail::pool_is_tflm(p, true)) {
    detail::pool2d_s8<false>(input, p.channels, p.in_h, p.in_w, p.kernel_h, p.kernel_w, p.stride_h, p.stride_w,
                             p.pad_top, p.pad_left, act_min, act_max, output);
  } else {
    detail::avg_pool2d_s8_torch(input, output, p, zero_point, act_min, act_max);
  }
}

}  // namespace miniml

#endif  // MINIML_OP_POOL_S8_H_
