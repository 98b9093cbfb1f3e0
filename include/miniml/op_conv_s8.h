// conv2d_s8 / conv1d_s8: int8 convolution, any groups (depthwise = groups == in_channels, with a depth
// multiplier), stride, zero-point padding and dilation; TFLM CONV_2D / DEPTHWISE_CONV_2D numbers.
// Activations [C][H][W] in SRAM; weights/bias/requantisation constants read through Mem.
#ifndef MINIML_OP_CONV_S8_H_
#define MINIML_OP_CONV_S8_H_

#include <stdint.h>

#include "core_dot.h"
#include "core_fixedpoint.h"
#include "core_rom.h"
#include "core_types.h"

namespace miniml {

// output[oc][oy][ox] = clamp(requant(bias[oc] + sum input[ic][iy][ix] * weight[oc][ic'][ky][kx])),
// iy = oy * stride_h - padding_h + ky * dilation_h (likewise x), ic over the group of oc.
//   input      [in_channels][in_h][in_w] int8, SRAM; may not alias output.
//   weight     [out_channels][in_channels / groups][kernel_h][kernel_w] int8 symmetric (torch layout), Mem.
//   bias       [out_channels] int32, Mem, folded: b - input_zero_point * sum(weight[oc]) (see linear_s8).
//              Because of the folding a padded tap must read input_zero_point (its real value is 0),
//              which is what TFLM's "skip the tap" computes.
//   multiplier [out_channels] int32, shift [out_channels] int8, Mem (per-channel requantisation).
//   output     [out_channels][out_h][out_w], out_h = (in_h + 2 padding_h - dilation_h (kernel_h - 1) - 1)
//              / stride_h + 1 (floor), likewise out_w.
template <class Mem>
inline void conv2d_s8(const int8_t* input, const int8_t* weight, const int32_t* bias,
                      const int32_t* multiplier, const int8_t* shift, int32_t input_zero_point,
                      int32_t output_zero_point, int32_t act_min, int32_t act_max, index_t in_channels,
                      index_t in_h, index_t in_w, index_t out_channels, index_t kernel_h, index_t kernel_w,
                      index_t stride_h, index_t stride_w, index_t padding_h, index_t padding_w,
                      index_t dilation_h, index_t dilation_w, index_t groups, int8_t* output) {
  typedef detail::sindex_t sindex_t;
  const index_t out_h = static_cast<index_t>(
      (in_h + 2 * padding_h - dilation_h * (kernel_h - 1) - 1) / stride_h + 1);
  const index_t out_w = static_cast<index_t>(
      (in_w + 2 * padding_w - dilation_w * (kernel_w - 1) - 1) / stride_w + 1);
  const index_t group_in = static_cast<index_t>(in_channels / groups);
  const index_t group_out = static_cast<index_t>(out_channels / groups);
  const index_t plane = static_cast<index_t>(in_h * in_w);
  const index_t filter = static_cast<index_t>(group_in * kernel_h * kernel_w);
  const int8_t pad = static_cast<int8_t>(input_zero_point);
  int8_t* out = output;
  for (index_t oc = 0; oc < out_channels; ++oc) {
    const int8_t* in_group = input + (oc / group_out) * group_in * plane;
    const int8_t* w_oc = weight + oc * filter;
    const int32_t b = Mem::read(bias + oc);
    const int32_t m = Mem::read(multiplier + oc);
    const int8_t s = Mem::read(shift + oc);
    for (index_t oy = 0; oy < out_h; ++oy) {
      const sindex_t y0 = static_cast<sindex_t>(oy * stride_h) - static_cast<sindex_t>(padding_h);
      for (index_t ox = 0; ox < out_w; ++ox) {
        const sindex_t x0 = static_cast<sindex_t>(ox * stride_w) - static_cast<sindex_t>(padding_w);
        // The whole window row is inside the input and contiguous: the fast dot product applies.
        const bool row_inside = dilation_w == 1 && x0 >= 0 &&
                                x0 + static_cast<sindex_t>(kernel_w) <= static_cast<sindex_t>(in_w);
        int32_t acc = b;
        const int8_t* w = w_oc;
        for (index_t ic = 0; ic < group_in; ++ic) {
          const int8_t* in_c = in_group + ic * plane;
          for (index_t ky = 0; ky < kernel_h; ++ky) {
            const sindex_t iy = static_cast<sindex_t>(y0 + static_cast<sindex_t>(ky * dilation_h));
            const bool y_inside = iy >= 0 && iy < static_cast<sindex_t>(in_h);
            if (y_inside && row_inside) {
              acc = detail::dot_s8<Mem>(in_c + static_cast<index_t>(iy) * in_w + x0, w, kernel_w, acc);
            } else {
              for (index_t kx = 0; kx < kernel_w; ++kx) {
                const sindex_t ix = static_cast<sindex_t>(x0 + static_cast<sindex_t>(kx * dilation_w));
                const int8_t v = (y_inside && ix >= 0 && ix < static_cast<sindex_t>(in_w))
                                     ? in_c[static_cast<index_t>(iy) * in_w + static_cast<index_t>(ix)]
                                     : pad;
                acc += static_cast<int16_t>(static_cast<int16_t>(v) * static_cast<int16_t>(Mem::read(w + kx)));
              }
            }
            w += kernel_w;
          }
        }
        *out++ = requantize_s8(acc, m, s, output_zero_point, act_min, act_max);
      }
    }
  }
}

// 1-D convolution: input [in_channels][length], weight [out_channels][in_channels / groups][kernel_size];
// conv2d_s8 with a height of 1.
template <class Mem>
inline void conv1d_s8(const int8_t* input, const int8_t* weight, const int32_t* bias,
                      const int32_t* multiplier, const int8_t* shift, int32_t input_zero_point,
                      int32_t output_zero_point, int32_t act_min, int32_t act_max, index_t in_channels,
                      index_t length, index_t out_channels, index_t kernel_size, index_t stride,
                      index_t padding, index_t dilation, index_t groups, int8_t* output) {
  conv2d_s8<Mem>(input, weight, bias, multiplier, shift, input_zero_point, output_zero_point, act_min,
                 act_max, in_channels, 1, length, out_channels, 1, kernel_size, 1, stride, 0, padding, 1,
                 dilation, groups, output);
}

}  // namespace miniml

#endif  // MINIML_OP_CONV_S8_H_
