// Upsample / interpolate: float32 with torch's CPU index arithmetic (nearest, nearest-exact and (bi)linear
// with or without align_corners); int8 nearest (the same source pixels) and bilinear (TFLM RESIZE_BILINEAR's
// 10-bit fixed point). 1-D is 2-D with height 1. Activations [channels][h][w] in RAM; output must not alias
// input.
#ifndef MINIML_OP_UPSAMPLE_H_
#define MINIML_OP_UPSAMPLE_H_

#include <math.h>

#include "core_types.h"

namespace miniml {

// scale_h/scale_w: torch's per-axis source step, computed at export exactly as torch does in float
// (1 / scale_factor, in / out, or (in - 1) / (out - 1) with align_corners).
struct UpsampleParams {
  index_t channels, in_h, in_w, out_h, out_w;
  float scale_h, scale_w;
};

namespace detail {
inline index_t nearest_index(index_t dst, index_t in, index_t out, float scale, bool exact) {
  if (!exact && out == in) return dst;
  if (!exact && out == 2 * in) return static_cast<index_t>(dst >> 1);
  const float pos = exact ? (static_cast<float>(dst) + 0.5f) * scale : static_cast<float>(dst) * scale;
  const index_t src = static_cast<index_t>(floorf(pos));
  return src < in - 1 ? src : static_cast<index_t>(in - 1);
}

// The two source taps i0 <= i1 of output position dst and the weight of i1.
inline void linear_taps(index_t dst, index_t in, float scale, bool align_corners, index_t* i0, index_t* i1,
                        float* lambda) {
  float src = align_corners ? scale * static_cast<float>(dst) : scale * (static_cast<float>(dst) + 0.5f) - 0.5f;
  if (src < 0.0f) src = 0.0f;
  index_t lo = static_cast<index_t>(floorf(src));
  if (lo > in - 1) lo = static_cast<index_t>(in - 1);
  float l = src - static_cast<float>(lo);
  l = l < 0.0f ? 0.0f : (l > 1.0f ? 1.0f : l);
  *i0 = lo;
  *i1 = static_cast<index_t>(lo + (lo < in - 1 ? 1 : 0));
  *lambda = l;
}
}  // namespace detail

namespace detail {
template <typename T>
inline void upsample_nearest(const T* input, T* output, const UpsampleParams& p, bool exact) {
  const uint32_t plane = static_cast<uint32_t>(p.in_h) * p.in_w;
  for (index_t c = 0; c < p.channels; ++c) {
    for (index_t oy = 0; oy < p.out_h; ++oy) {
      const T* row =
          input + static_cast<uint32_t>(detail::nearest_index(oy, p.in_h, p.out_h, p.scale_h, exact)) * p.in_w;
      for (index_t ox = 0; ox < p.out_w; ++ox) {
        *output++ = row[detail::nearest_index(ox, p.in_w, p.out_w, p.scale_w, exact)];
      }
    }
    input += plane;
  }
}
}  // namespace detail

// exact = false: torch 'nearest' (floor(dst * scale)); true: 'nearest-exact' (floor((dst + .5) * scale)).
inline void upsample_nearest_f32(const float* input, float* output, const UpsampleParams& p, bool exact) {
  detail::upsample_nearest(input, output, p, exact);
}
// int8 at the input's scale: the same source pixels (TFLM RESIZE_NEAREST_NEIGHBOR copies codes too).
inline void upsample_nearest_s8(const int8_t* input, int8_t* output, const UpsampleParams& p, bool exact) {
  detail::upsample_nearest(input, output, p, exact);
}

// Bilinear (linear for 1-D): h0 * (w0 * x00 + w1 * x01) + h1 * (w0 * x10 + w1 * x11).
inline void upsample_bilinear_f32(const float* input, float* output, const UpsampleParams& p, bool align_corners) {
  const uint32_t plane = static_cast<uint32_t>(p.in_h) * p.in_w;
  for (index_t c = 0; c < p.channels; ++c) {
    for (index_t oy = 0; oy < p.out_h; ++oy) {
      index_t y0, y1;
      float ly;
      detail::linear_taps(oy, p.in_h, p.scale_h, align_corners, &y0, &y1, &ly);
      const float* r0 = input + static_cast<uint32_t>(y0) * p.in_w;
      const float* r1 = input + static_cast<uint32_t>(y1) * p.in_w;
      for (index_t ox = 0; ox < p.out_w; ++ox) {
        index_t x0, x1;
        float lx;
        detail::linear_taps(ox, p.in_w, p.scale_w, align_corners, &x0, &x1, &lx);
        const float top = (1.0f - lx) * r0[x0] + lx * r0[x1];
        const float bottom = (1.0f - lx) * r1[x0] + lx * r1[x1];
        *output++ = (1.0f - ly) * top + ly * bottom;
      }
    }
    input += plane;
  }
}

namespace detail {
// TFLM ResizeBilinearInteger's source step in 1/1024ths, rounded: in / out, or (in - 1) / (out - 1).
inline int32_t bilinear_scale_10(index_t in, index_t out, bool align_corners) {
  int32_t n = static_cast<int32_t>(in);
  int32_t d = static_cast<int32_t>(out);
  if (align_corners && d > 1) {
    --n;
    --d;
  }
  return (n * 1024 + d / 2) / d;
}

// TFLM ComputeInterpolationValuesInteger: the taps i0, i1 of output position dst and the source position's
// offset from i0 in 1/1024ths (frac < 0 at the first half-pixel: then i0 == i1 and the weights still sum to 1).
inline void bilinear_taps_s8(index_t dst, index_t in, int32_t scale_10, bool align_corners, index_t* i0, index_t* i1,
                             int32_t* frac) {
  int32_t v = static_cast<int32_t>(dst) * scale_10;
  if (!align_corners) v += scale_10 / 2 - (INT32_C(1) << 9);  // half-pixel centres
  int32_t lo = v / 1024;                                      // truncating, as TFLM's / (1 << 10)
  if (lo < 0) lo = 0;
  int32_t hi = (v + 1023) / 1024;
  const int32_t last = static_cast<int32_t>(in) - 1;
  if (hi > last) hi = last;
  *i0 = static_cast<index_t>(lo);
  *i1 = static_cast<index_t>(hi);
  *frac = v - 1024 * lo;
}
}  // namespace detail

// int8 bilinear (linear for 1-D) at the input's scale, TFLM RESIZE_BILINEAR (align_corners, or half-pixel
// centres otherwise): four codes weighted in 1/2^20ths, rounded half away from zero. Every weight pair
// sums to 2^10 and |w0| + |w1| <= 2048 per axis, so the sum stays below 128 * 2^22: int32 suffices.
inline void upsample_bilinear_s8(const int8_t* input, int8_t* output, const UpsampleParams& p, bool align_corners) {
  const uint32_t plane = static_cast<uint32_t>(p.in_h) * p.in_w;
  const int32_t scale_h = detail::bilinear_scale_10(p.in_h, p.out_h, align_corners);
  const int32_t scale_w = detail::bilinear_scale_10(p.in_w, p.out_w, align_corners);
  for (index_t c = 0; c < p.channels; ++c) {
    for (index_t oy = 0; oy < p.out_h; ++oy) {
      index_t y0, y1;
      int32_t fy;
      detail::bilinear_taps_s8(oy, p.in_h, scale_h, align_corners, &y0, &y1, &fy);
      const int8_t* r0 = input + static_cast<uint32_t>(y0) * p.in_w;
      const int8_t* r1 = input + static_cast<uint32_t>(y1) * p.in_w;
      for (index_t ox = 0; ox < p.out_w; ++ox) {
        index_t x0, x1;
        int32_t fx;
        detail::bilinear_taps_s8(ox, p.in_w, scale_w, align_corners, &x0, &x1, &fx);
        const int32_t sum = r0[x0] * ((1024 - fy) * (1024 - fx)) + r1[x0] * (fy * (1024 - fx)) +
                            r0[x1] * ((1024 - fy) * fx) + r1[x1] * (fy * fx);
        const int32_t round = sum > 0 ? (INT32_C(1) << 19) : -(INT32_C(1) << 19);
        *output++ = static_cast<int8_t>((sum + round) / (INT32_C(1) << 20));
      }
    }
    input += plane;
  }
}

}  // namespace miniml

#endif  // MINIML_OP_UPSAMPLE_H_
