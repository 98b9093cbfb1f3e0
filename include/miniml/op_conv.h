// Convolution, float32, torch semantics: weight [out_channels][in_channels / groups][kernel_h][kernel_w],
// zero padding given as top/left (the bottom/right padding follows from the output size), any stride,
// dilation and groups (depthwise: groups == in_channels). Conv1d is Conv2d with height 1.
#ifndef MINIML_OP_CONV_H_
#define MINIML_OP_CONV_H_

#include "core_rom.h"
#include "core_types.h"
#include "op_activation.h"
#include "op_conv_params.h"

namespace miniml {

// input:  [in_channels][in_h][in_w] float32 in RAM; must not alias output.
// weight: [out_channels][in_channels/groups][kernel_h][kernel_w] through Mem (Rom or Ram).
// bias:   [out_channels] through BiasMem (Mem unless only the bias learns on the device), or nullptr.
// output: [out_channels][out_h][out_w] float32 in RAM.
namespace detail {
// The taps k in [0, kernel) whose position start + k * dilation lies inside [0, size): [*lo, *hi).
// Computed once per output row/column so the inner loops carry no padding branches.
inline void conv_valid_taps(sindex_t start, index_t kernel, index_t dilation, index_t size, index_t* lo, index_t* hi) {
  const sindex_t d = static_cast<sindex_t>(dilation);
  sindex_t first = 0;
  if (start < 0) first = static_cast<sindex_t>((-start + d - 1) / d);
  const sindex_t room = static_cast<sindex_t>(size) - start;  // positions left from start
  sindex_t last = room <= 0 ? 0 : static_cast<sindex_t>((room + d - 1) / d);
  if (last > static_cast<sindex_t>(kernel)) last = static_cast<sindex_t>(kernel);
  if (first > last) first = last;
  *lo = static_cast<index_t>(first);
  *hi = static_cast<index_t>(last);
}
}  // namespace detail

// input:  [in_channels][in_h][in_w] float32 in RAM; must not alias output.
// weight: [out_channels][in_channels/groups][kernel_h][kernel_w] through Mem (Rom or Ram).
// bias:   [out_channels] through BiasMem (Mem unless only the bias learns on the device), or nullptr.
// output: [out_channels][out_h][out_w] float32 in RAM.
// Sums in torch's tap order (in channel, kernel row, kernel column), skipping taps in the padding.
template <class Mem, class BiasMem = Mem, class Act>
inline void conv2d_f32(const float* input, const float* weight, const float* bias, float* output, const Conv2dParams& p,
                       Act act) {
  const index_t in_per_group = p.in_channels / p.groups;
  const index_t out_per_group = p.out_channels / p.groups;
  const index_t in_plane = p.in_h * p.in_w;
  const index_t kernel_size = p.kernel_h * p.kernel_w;
  float* out = output;
  for (index_t oc = 0; oc < p.out_channels; ++oc) {
    const index_t g = oc / out_per_group;
    const float* in_group = input + static_cast<uint32_t>(g) * in_per_group * in_plane;
    const float* w_oc = weight + static_cast<uint32_t>(oc) * in_per_group * kernel_size;
    const float b = bias ? BiasMem::read(bias + oc) : 0.0f;
    for (index_t oh = 0; oh < p.out_h; ++oh) {
      // signed: the window may start in the top padding
      const sindex_t ih0 = static_cast<sindex_t>(oh * p.stride_h) - static_cast<sindex_t>(p.pad_top);
      index_t kh_lo, kh_hi;
      detail::conv_valid_taps(ih0, p.kernel_h, p.dilation_h, p.in_h, &kh_lo, &kh_hi);
      for (index_t ow = 0; ow < p.out_w; ++ow) {
        const sindex_t iw0 = static_cast<sindex_t>(ow * p.stride_w) - static_cast<sindex_t>(p.pad_left);
        index_t kw_lo, kw_hi;
        detail::conv_valid_taps(iw0, p.kernel_w, p.dilation_w, p.in_w, &kw_lo, &kw_hi);
        float acc = b;
        // a window entirely in the padding (padding >= kernel) reads nothing
        const index_t channels = (kh_lo < kh_hi && kw_lo < kw_hi) ? in_per_group : 0;
        for (index_t ic = 0; ic < channels; ++ic) {
          const float* in_c = in_group + static_cast<uint32_t>(ic) * in_plane;
          const float* w_c = w_oc + static_cast<uint32_t>(ic) * kernel_size;
          for (index_t kh = kh_lo; kh < kh_hi; ++kh) {
            const index_t ih = static_cast<index_t>(ih0 + static_cast<sindex_t>(kh * p.dilation_h));
            const float* in_px = in_c + static_cast<uint32_t>(ih) * p.in_w +
                                 static_cast<index_t>(iw0 + static_cast<sindex_t>(kw_lo * p.dilation_w));
            const float* w_px = w_c + kh * p.kernel_w + kw_lo;
            for (index_t kw = kw_lo; kw < kw_hi; ++kw) {
              acc += *in_px * Mem::read(w_px);
              in_px += p.dilation_w;
              ++w_px;
            }
          }
        }
        *out++ = act(acc);
      }
    }
  }
}

// Conv1d: input [in_channels][in_length], weight [out_channels][in_channels/groups][kernel_size],
// output [out_channels][out_length]; as conv2d_f32 with height 1.
template <class Mem, class BiasMem = Mem, class Act>
inline void conv1d_f32(const float* input, const float* weight, const float* bias, float* output, const Conv1dParams& p,
                       Act act) {
  Conv2dParams q;
  q.in_channels = p.in_channels;
  q.in_h = 1;
  q.in_w = p.in_length;
  q.out_channels = p.out_channels;
  q.out_h = 1;
  q.out_w = p.out_length;
  q.kernel_h = 1;
  q.kernel_w = p.kernel_size;
  q.stride_h = 1;
  q.stride_w = p.stride;
  q.pad_top = 0;
  q.pad_left = p.padding;
  q.dilation_h = 1;
  q.dilation_w = p.dilation;
  q.groups = p.groups;
  conv2d_f32<Mem, BiasMem>(input, weight, bias, output, q, act);
}

}  // namespace miniml

#endif  // MINIML_OP_CONV_H_
