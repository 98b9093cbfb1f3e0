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

#if defined(__GNUC__)
#define MINIML_ALWAYS_INLINE __attribute__((always_inline)) inline
#else
#define MINIML_ALWAYS_INLINE inline
#endif

namespace miniml {
namespace detail {

// What one output's window needs, in one place: the kernel below keeps few values live, which matters
// on AVR (32 registers, and a spill costs more than the multiply-accumulate itself).
struct ConvWindow {
  const int8_t* in_group;  // first input channel of the group, [group_in][in_h][in_w]
  index_t in_h, in_w, plane, group_in, kernel_h, kernel_w, dilation_h, dilation_w;
  int8_t pad;  // input zero point: the value of a padded tap (the bias is folded, see below)
};

constexpr index_t kTapTable = 16;
constexpr index_t kTapSumSize = 2 * kTapTable + 2;  // (kernel_h + 1) (kernel_w + 1) for h w <= 16

// sum + w[0] + ... + w[n - 1]: the weights of taps that fall in the padding.
template <class Mem>
inline int32_t weight_sum_s8(const int8_t* w, index_t n, int32_t sum) {
  for (index_t i = 0; i < n; ++i) sum += Mem::read(w + i);
  return sum;
}

// acc + sum over the window at (y0, x0) of input * weight; w: [group_in][kernel_h][kernel_w] through Mem.
// Always inlined into conv2d_s8's output loop: a call per output costs more than a 3x3 window on AVR.
//
// tap_sum (null: the per-row path for border windows), when dilations are 1, kernel_h * kernel_w <= kTapTable
// and group_in * kernel_h * kernel_w * 128 < 2^15: the summed-area table of the weights summed over the
// group's channels, tap_sum[i * (kernel_w + 1) + j] = sum over ky < i, kx < j, ic of weight[oc][ic][ky][kx]
// (int16: its bound), so the padded weights of any window sum to tap_sum's corner minus the in-bounds
// rectangle, four reads. A parameter, not a ConvWindow field: a pointer to the table inside the struct made
// arm-none-eabi-gcc keep the struct in memory (vibration_resnet on the Cortex-M4 +33% instructions).
template <class Mem>
MINIML_ALWAYS_INLINE int32_t conv_window_s8(const ConvWindow& c, const int16_t* tap_sum, const int8_t* w, sindex_t y0,
                                            sindex_t x0, int32_t acc) {
  const index_t kernel_h = c.kernel_h, kernel_w = c.kernel_w, in_w = c.in_w, dilation_w = c.dilation_w;
  const sindex_t in_h = static_cast<sindex_t>(c.in_h);
  const sindex_t span_w = static_cast<sindex_t>(dilation_w * (kernel_w - 1) + 1);
  const bool x_inside = x0 >= 0 && x0 + span_w <= static_cast<sindex_t>(in_w);
  // Columns [kx_lo, kx_hi) of a row are inside the input (computed for dilation 1, the common case).
  index_t kx_lo = 0, kx_hi = kernel_w;
  if (!x_inside && dilation_w == 1) {
    kx_lo = static_cast<index_t>(x0 < 0 ? -x0 : 0);
    const sindex_t room = static_cast<sindex_t>(static_cast<sindex_t>(in_w) - x0);
    if (room < static_cast<sindex_t>(kx_hi)) kx_hi = static_cast<index_t>(room > 0 ? room : 0);
    if (kx_lo > kx_hi) kx_lo = kx_hi;
  }
  if (x_inside && dilation_w == 1 && y0 >= 0 && y0 + static_cast<sindex_t>(c.dilation_h * (kernel_h - 1) + 1) <= in_h) {
    // Interior window: one flat loop over its group_in * kernel_h rows, pointer steps only (few live
    // values: on AVR every extra one is a spill in the hot loop).
    const index_t row_step = static_cast<index_t>(c.dilation_h * in_w);
    const index_t filter_plane = static_cast<index_t>(kernel_h * kernel_w);
    const int8_t* row = c.in_group + static_cast<index_t>(y0) * in_w + static_cast<index_t>(x0);
    if (c.group_in == 1) return dot_rows_s8<Mem>(row, row_step, w, kernel_w, kernel_w, kernel_h, acc);
    return dot_window_s8<Mem>(row, row_step, c.plane, w, kernel_w, filter_plane, kernel_w, kernel_h, c.group_in, acc);
  }
  // Window overlapping the padding. A padded tap contributes pad * w (the bias is folded, see
  // conv2d_s8): those weights are summed and multiplied by the zero point once at the end.
  if (tap_sum != 0) {
    // The in-bounds taps form rows [ky_lo, ky_hi) x [kx_lo, kx_hi): one dot_window_s8 (dot_rows_s8 for a
    // single channel), and the padded weights from the table (dilations are 1 here).
    const index_t run = static_cast<index_t>(kx_hi - kx_lo);
    const index_t ky_lo = static_cast<index_t>(y0 < 0 ? -y0 : 0);
    const sindex_t room = static_cast<sindex_t>(in_h - y0);
    index_t ky_hi = kernel_h;
    if (room < static_cast<sindex_t>(ky_hi)) ky_hi = static_cast<index_t>(room > 0 ? room : 0);
    if (ky_hi < ky_lo) ky_hi = ky_lo;
    const index_t rows = static_cast<index_t>(ky_hi - ky_lo);
    const index_t sw = static_cast<index_t>(kernel_w + 1);
    const int16_t* lo = tap_sum + ky_lo * sw;
    const int16_t* hi = tap_sum + ky_hi * sw;
    const int16_t* all = tap_sum + kernel_h * sw + kernel_w;
    // uint16 arithmetic: exact modulo 2^16, and the result fits int16.
    const int16_t pad_sum = static_cast<int16_t>(static_cast<uint16_t>(*all) - static_cast<uint16_t>(hi[kx_hi]) +
                                                 static_cast<uint16_t>(lo[kx_hi]) + static_cast<uint16_t>(hi[kx_lo]) -
                                                 static_cast<uint16_t>(lo[kx_lo]));
    if (run != 0 && rows != 0) {
      const index_t row_step = in_w;
      const index_t filter_plane = static_cast<index_t>(kernel_h * kernel_w);
      const int8_t* in_c = c.in_group + static_cast<index_t>(y0 + static_cast<sindex_t>(ky_lo)) * in_w +
                           static_cast<sindex_t>(x0 + static_cast<sindex_t>(kx_lo));
      const int8_t* w_c = w + ky_lo * kernel_w + kx_lo;
      acc = c.group_in == 1
                ? dot_rows_s8<Mem>(in_c, row_step, w_c, kernel_w, run, rows, acc)
                : dot_window_s8<Mem>(in_c, row_step, c.plane, w_c, kernel_w, filter_plane, run, rows, c.group_in, acc);
    }
    return acc + static_cast<int32_t>(c.pad) * static_cast<int32_t>(pad_sum);
  }
  int32_t pad_sum = 0;
  const int8_t* in_c = c.in_group;
  sindex_t iy = y0;
  index_t ky = kernel_h;
  index_t rows = static_cast<index_t>(c.group_in * kernel_h);
  while (rows--) {
    if (iy < 0 || iy >= in_h) {
      pad_sum = weight_sum_s8<Mem>(w, kernel_w, pad_sum);
    } else if (dilation_w == 1) {
      // Padding on the left, the in-bounds run, padding on the right.
      const int8_t* row = in_c + static_cast<index_t>(iy) * in_w;
      pad_sum = weight_sum_s8<Mem>(w, kx_lo, pad_sum);
      acc = dot_s8<Mem>(row + x0 + static_cast<sindex_t>(kx_lo), w + kx_lo, static_cast<index_t>(kx_hi - kx_lo), acc);
      pad_sum = weight_sum_s8<Mem>(w + kx_hi, static_cast<index_t>(kernel_w - kx_hi), pad_sum);
    } else {
      const int8_t* row = in_c + static_cast<index_t>(iy) * in_w;
      sindex_t ix = x0;
      for (index_t kx = 0; kx < kernel_w; ++kx, ix = static_cast<sindex_t>(ix + dilation_w)) {
        if (ix >= 0 && ix < static_cast<sindex_t>(in_w)) {
          acc += mul_s8(row[ix], Mem::read(w + kx));
        } else {
          pad_sum += Mem::read(w + kx);
        }
      }
    }
    w += kernel_w;
    iy = static_cast<sindex_t>(iy + c.dilation_h);
    if (--ky == 0) {
      ky = kernel_h;
      iy = y0;
      in_c += c.plane;
    }
  }
  return acc + static_cast<int32_t>(c.pad) * pad_sum;
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
//   output     [out_channels][out_h][out_w]. padding_h/padding_w are the top/left padding; the bottom/right
//              padding is whatever out_h/out_w need (torch's padding='same' with an even kernel pads one
//              more at the end).
template <class Mem>
inline void conv2d_s8(const int8_t* input, const int8_t* weight, const int32_t* bias, const int32_t* multiplier,
                      const int8_t* shift, int32_t input_zero_point, int32_t output_zero_point, int32_t act_min,
                      int32_t act_max, index_t in_channels, index_t in_h, index_t in_w, index_t out_channels,
                      index_t kernel_h, index_t kernel_w, index_t stride_h, index_t stride_w, index_t padding_h,
                      index_t padding_w, index_t dilation_h, index_t dilation_w, index_t groups, index_t out_h,
                      index_t out_w, int8_t* output) {
  typedef detail::sindex_t sindex_t;
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
  const index_t taps = static_cast<index_t>(kernel_h * kernel_w);
  const index_t filter = static_cast<index_t>(group_in * taps);
  // Per-tap weight sums for the border windows (see ConvWindow); int16 holds 255 channels of int8.
  // Summed-area table of the weights for the border windows (see conv_window_s8).
  int16_t tap_sum[detail::kTapSumSize];
  const bool use_table = (padding_h != 0 || padding_w != 0) && dilation_w == 1 && dilation_h == 1 &&
                         taps <= detail::kTapTable && static_cast<uint32_t>(group_in) * taps < 256;
  const int16_t* table = use_table ? tap_sum : 0;
  int8_t* out = output;
  const int8_t* w_oc = weight;
  for (index_t oc = 0; oc < out_channels; ++oc, w_oc += filter) {
    c.in_group = input + (oc / group_out) * group_in * c.plane;
    const int32_t b = Mem::read(bias + oc);
    const int32_t m = Mem::read(multiplier + oc);
    const int8_t s = Mem::read(shift + oc);
    if (use_table) {
      // Row 0 and column 0 are zero; entry (i + 1, j + 1) = weights over ky <= i, kx <= j, all channels.
      const index_t sw = static_cast<index_t>(kernel_w + 1);
      for (index_t j = 0; j < sw; ++j) tap_sum[j] = 0;
      for (index_t i = 0; i < kernel_h; ++i) {
        int16_t row = 0;
        tap_sum[(i + 1) * sw] = 0;
        for (index_t j = 0; j < kernel_w; ++j) {
          const int8_t* wp = w_oc + i * kernel_w + j;
          for (index_t ic = 0; ic < group_in; ++ic, wp += taps) row = static_cast<int16_t>(row + Mem::read(wp));
          tap_sum[(i + 1) * sw + j + 1] = static_cast<int16_t>(tap_sum[i * sw + j + 1] + row);
        }
      }
    }
    sindex_t y0 = static_cast<sindex_t>(-static_cast<sindex_t>(padding_h));
    for (index_t oy = 0; oy < out_h; ++oy, y0 = static_cast<sindex_t>(y0 + stride_h)) {
      sindex_t x0 = static_cast<sindex_t>(-static_cast<sindex_t>(padding_w));
      for (index_t ox = 0; ox < out_w; ++ox, x0 = static_cast<sindex_t>(x0 + stride_w)) {
        const int32_t acc = detail::conv_window_s8<Mem>(c, table, w_oc, y0, x0, b);
        *out++ = requantize_s8(acc, m, s, output_zero_point, act_min, act_max);
      }
    }
  }
}

// Symmetric padding: out_h = (in_h + 2 padding_h - dilation_h (kernel_h - 1) - 1) / stride_h + 1 (floor),
// likewise out_w.
template <class Mem>
inline void conv2d_s8(const int8_t* input, const int8_t* weight, const int32_t* bias, const int32_t* multiplier,
                      const int8_t* shift, int32_t input_zero_point, int32_t output_zero_point, int32_t act_min,
                      int32_t act_max, index_t in_channels, index_t in_h, index_t in_w, index_t out_channels,
                      index_t kernel_h, index_t kernel_w, index_t stride_h, index_t stride_w, index_t padding_h,
                      index_t padding_w, index_t dilation_h, index_t dilation_w, index_t groups, int8_t* output) {
  conv2d_s8<Mem>(input, weight, bias, multiplier, shift, input_zero_point, output_zero_point, act_min, act_max,
                 in_channels, in_h, in_w, out_channels, kernel_h, kernel_w, stride_h, stride_w, padding_h, padding_w,
                 dilation_h, dilation_w, groups,
                 static_cast<index_t>((in_h + 2 * padding_h - dilation_h * (kernel_h - 1) - 1) / stride_h + 1),
                 static_cast<index_t>((in_w + 2 * padding_w - dilation_w * (kernel_w - 1) - 1) / stride_w + 1), output);
}

// 1-D convolution: input [in_channels][length], weight [out_channels][in_channels / groups][kernel_size];
// conv2d_s8 with a height of 1.
template <class Mem>
inline void conv1d_s8(const int8_t* input, const int8_t* weight, const int32_t* bias, const int32_t* multiplier,
                      const int8_t* shift, int32_t input_zero_point, int32_t output_zero_point, int32_t act_min,
                      int32_t act_max, index_t in_channels, index_t length, index_t out_channels, index_t kernel_size,
                      index_t stride, index_t padding, index_t dilation, index_t groups, int8_t* output) {
  conv2d_s8<Mem>(input, weight, bias, multiplier, shift, input_zero_point, output_zero_point, act_min, act_max,
                 in_channels, 1, length, out_channels, 1, kernel_size, 1, stride, 0, padding, 1, dilation, groups,
                 output);
}

// conv1d_s8 with its output length given (the end padding is what out_length needs).
template <class Mem>
inline void conv1d_s8(const int8_t* input, const int8_t* weight, const int32_t* bias, const int32_t* multiplier,
                      const int8_t* shift, int32_t input_zero_point, int32_t output_zero_point, int32_t act_min,
                      int32_t act_max, index_t in_channels, index_t length, index_t out_channels, index_t kernel_size,
                      index_t stride, index_t padding, index_t dilation, index_t groups, index_t out_length,
                      int8_t* output) {
  conv2d_s8<Mem>(input, weight, bias, multiplier, shift, input_zero_point, output_zero_point, act_min, act_max,
                 in_channels, 1, length, out_channels, 1, kernel_size, 1, stride, 0, padding, 1, dilation, groups, 1,
                 out_length, output);
}

}  // namespace miniml

#endif  // MINIML_OP_CONV_S8_H_
