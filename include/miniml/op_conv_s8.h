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
namespace detail {

// What one output's window needs, in one place: the kernel below keeps few values live, which matters
// on AVR (32 registers, and a spill costs more than the multiply-accumulate itself).
struct ConvWindow {
  const int8_t* in_group;  // first input channel of the group, [group_in][in_h][in_w]
  index_t in_h, in_w, plane, group_in, kernel_h, kernel_w, dilation_h, dilation_w;
  int8_t pad;  // input zero point: the value of a padded tap (the bias is folded, see below)
};

// acc + sum over the window at (y0, x0) of input * weight; w: [group_in][kernel_h][kernel_w] through Mem.
template <class Mem>
inline int32_t conv_window_s8(const ConvWindow& c, const int8_t* w, sindex_t y0, sindex_t x0, int32_t acc) {
  const sindex_t span_h = static_cast<sindex_t>(c.dilation_h * (c.kernel_h - 1) + 1);
  const sindex_t span_w = static_cast<sindex_t>(c.dilation_w * (c.kernel_w - 1) + 1);
  if (y0 >= 0 && x0 >= 0 && y0 + span_h <= static_cast<sindex_t>(c.in_h) &&
      x0 + span_w <= static_cast<sindex_t>(c.in_w)) {
    // Interior window: pointer steps only.
    const index_t row_step = static_cast<index_t>(c.dilation_h * c.in_w);
    const int8_t* ch = c.in_group + static_cast<index_t>(y0) * c.in_w + static_cast<index_t>(x0);
    for (index_t ic = 0; ic < c.group_in; ++ic, ch += c.plane) {
      const int8_t* row = ch;
      for (index_t ky = 0; ky < c.kernel_h; ++ky, row += row_step, w += c.kernel_w) {
        if (c.dilation_w == 1) {
          acc = dot_s8<Mem>(row, w, c.kernel_w, acc);
        } else {
          const int8_t* px = row;
          for (index_t kx = 0; kx < c.kernel_w; ++kx, px += c.dilation_w) acc += mul_s8(*px, Mem::read(w + kx));
        }
      }
    }
    return acc;
  }
  // Window overlapping the padding: a padded tap reads the zero point.
  for (index_t ic = 0; ic < c.group_in; ++ic) {
    const int8_t* in_c = c.in_group + ic * c.plane;
    sindex_t iy = y0;
    for (index_t ky = 0; ky < c.kernel_h; ++ky, iy = static_cast<sindex_t>(iy + c.dilation_h), w += c.kernel_w) {
      if (iy < 0 || iy >= static_cast<sindex_t>(c.in_h)) {
        for (index_t kx = 0; kx < c.kernel_w; ++kx) acc += mul_s8(c.pad, Mem::read(w + kx));
        continue;
      }
      const int8_t* row = in_c + static_cast<index_t>(iy) * c.in_w;
      sindex_t ix = x0;
      for (index_t kx = 0; kx < c.kernel_w; ++kx, ix = static_cast<sindex_t>(ix + c.dilation_w)) {
        const int8_t v = (ix >= 0 && ix < static_cast<sindex_t>(c.in_w)) ? row[ix] : c.pad;
        acc += mul_s8(v, Mem::read(w + kx));
      }
    }
  }
  return acc;
}

}  // namespace detail

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
  detail::ConvWindow c;
  c.in_h = in_h;
  c.in_w = in_w;
  c.plane = static_cast<index_t>(in_h * in_w);
  c.group_in = group_in;
  c.kernel_h = kernel_h;
  c.kernel_w = kernel_w;
  c.dilation_h = dilation_h;
  c.dilation_w = dilation_w;
  c.pad = static_cast<int8_t>(input_zero_point);
  const index_t filter = static_cast<index_t>(group_in * kernel_h * kernel_w);
  int8_t* out = output;
  const int8_t* w_oc = weight;
  for (index_t oc = 0; oc < out_channels; ++oc, w_oc += filter) {
    c.in_group = input + (oc / group_out) * group_in * c.plane;
    const int32_t b = Mem::read(bias + oc);
    const int32_t m = Mem::read(multiplier + oc);
    const int8_t s = Mem::read(shift + oc);
    sindex_t y0 = static_cast<sindex_t>(-static_cast<sindex_t>(padding_h));
    for (index_t oy = 0; oy < out_h; ++oy, y0 = static_cast<sindex_t>(y0 + stride_h)) {
      sindex_t x0 = static_cast<sindex_t>(-static_cast<sindex_t>(padding_w));
      for (index_t ox = 0; ox < out_w; ++ox, x0 = static_cast<sindex_t>(x0 + stride_w)) {
        const int32_t acc = detail::conv_window_s8<Mem>(c, w_oc, y0, x0, b);
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
