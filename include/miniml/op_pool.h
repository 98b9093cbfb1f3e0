// Pooling, float32, torch semantics (padding, ceil_mode, count_include_pad, dilation for max). Layout
// [channels][h][w]; 1-D pools are 2-D pools with height 1. Inputs and outputs in RAM, no alias.
#ifndef MINIML_OP_POOL_H_
#define MINIML_OP_POOL_H_

#include "core_types.h"

namespace miniml {

struct Pool2dParams {
  index_t channels, in_h, in_w, out_h, out_w;
  index_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left;
  index_t dilation_h, dilation_w;  // max pool only; 1 for avg pool
  bool count_include_pad;          // avg pool only
  index_t divisor_override;        // avg pool only; 0 = none
};

// Max over each window; positions in the padding are skipped (torch pads with -inf).
inline void max_pool2d_f32(const float* input, float* output, const Pool2dParams& p) {
  const index_t plane = p.in_h * p.in_w;
  for (index_t c = 0; c < p.channels; ++c) {
    const float* in = input + static_cast<uint32_t>(c) * plane;
    for (index_t oh = 0; oh < p.out_h; ++oh) {
      const sindex_t h0 = static_cast<sindex_t>(oh * p.stride_h) - static_cast<sindex_t>(p.pad_top);
      for (index_t ow = 0; ow < p.out_w; ++ow) {
        const sindex_t w0 = static_cast<sindex_t>(ow * p.stride_w) - static_cast<sindex_t>(p.pad_left);
        float best = 0.0f;
        bool any = false;
        for (index_t kh = 0; kh < p.kernel_h; ++kh) {
          const sindex_t ih = h0 + static_cast<sindex_t>(kh * p.dilation_h);
          if (ih < 0 || ih >= static_cast<sindex_t>(p.in_h)) continue;
          for (index_t kw = 0; kw < p.kernel_w; ++kw) {
            const sindex_t iw = w0 + static_cast<sindex_t>(kw * p.dilation_w);
            if (iw < 0 || iw >= static_cast<sindex_t>(p.in_w)) continue;
            const float v = in[static_cast<uint32_t>(ih) * p.in_w + static_cast<index_t>(iw)];
            // "v > best || v != v": NaN wins, as in torch
            if (!any || v > best || v != v) best = v;
            any = true;
          }
        }
        *output++ = best;
      }
    }
  }
}

namespace detail {

// One axis of an average-pool window: the in-bounds taps [*lo, *hi) and the window's size clipped to the
// padded input (count_include_pad's divisor: ceil_mode's overhang past the padding does not count).
inline sindex_t avg_window(index_t out, index_t stride, index_t pad, index_t kernel, index_t size, sindex_t* lo,
                           sindex_t* hi) {
  sindex_t a = static_cast<sindex_t>(out * stride) - static_cast<sindex_t>(pad);
  sindex_t b = a + static_cast<sindex_t>(kernel);
  const sindex_t padded = static_cast<sindex_t>(size + pad);
  if (b > padded) b = padded;
  const sindex_t pooled = b - a;
  if (a < 0) a = 0;
  if (b > static_cast<sindex_t>(size)) b = static_cast<sindex_t>(size);
  *lo = a;
  *hi = b;
  return pooled;
}

// torch's avg_pool2d divisor: divisor_override, else the clipped window (count_include_pad), else the real
// elements [h0, h1) x [w0, w1).
inline sindex_t avg_divisor(const Pool2dParams& p, sindex_t pool_h, sindex_t pool_w, sindex_t h0, sindex_t h1,
                            sindex_t w0, sindex_t w1) {
  if (p.divisor_override) return static_cast<sindex_t>(p.divisor_override);
  return p.count_include_pad ? pool_h * pool_w : (h1 - h0) * (w1 - w0);
}

}  // namespace detail

// Mean over each window. The divisor follows torch's avg_pool2d: with count_include_pad the window
// clipped to the padded input (so ceil_mode's overhang does not count), else only real elements.
inline void avg_pool2d_f32(const float* input, float* output, const Pool2dParams& p) {
  const index_t plane = p.in_h * p.in_w;
  for (index_t c = 0; c < p.channels; ++c) {
    const float* in = input + static_cast<uint32_t>(c) * plane;
    for (index_t oh = 0; oh < p.out_h; ++oh) {
      sindex_t h0, h1;
      const sindex_t pool_h = detail::avg_window(oh, p.stride_h, p.pad_top, p.kernel_h, p.in_h, &h0, &h1);
      for (index_t ow = 0; ow < p.out_w; ++ow) {
        sindex_t w0, w1;
        const sindex_t pool_w = detail::avg_window(ow, p.stride_w, p.pad_left, p.kernel_w, p.in_w, &w0, &w1);
        float sum = 0.0f;
        for (sindex_t ih = h0; ih < h1; ++ih) {
          const float* row = in + static_cast<uint32_t>(ih) * p.in_w;
          for (sindex_t iw = w0; iw < w1; ++iw) sum += row[iw];
        }
        const sindex_t count = detail::avg_divisor(p, pool_h, pool_w, h0, h1, w0, w1);
        *output++ = count > 0 ? sum / static_cast<float>(count) : 0.0f;
      }
    }
  }
}

// Global average (AdaptiveAvgPool to 1, mean over H and W): input [channels][size], output [channels].
inline void global_avg_pool_f32(const float* input, float* output, index_t channels, index_t size) {
  for (index_t c = 0; c < channels; ++c) {
    float sum = 0.0f;
    for (index_t i = 0; i < size; ++i) sum += input[i];
    output[c] = sum / static_cast<float>(size);
    input += size;
  }
}

}  // namespace miniml

#endif  // MINIML_OP_POOL_H_
