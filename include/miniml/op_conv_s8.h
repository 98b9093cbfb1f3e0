// conv2d_s8 / conv1d_s8: int8 convolution, any groups (depthwise = groups == in_channels, with a depth
// multiplier), stride, zero-point padding and dilation; TFLM CONV_2D / DEPTHWISE_CONV_2D numbers.
// Activations [C][H][W] in SRAM; weights/bias/requantisation constants read through Mem.
#ifndef MINIML_OP_CONV_S8_H_
#define MINIML_OP_CONV_S8_H_

#include <stdint.h>
#include <string.h>

#include "core_dot.h"
#include "core_fixedpoint.h"
#include "core_requant_dsp.h"
#include "core_rom.h"
#include "core_types.h"
#include "op_conv_params.h"
#include "op_conv_s8_dw_dsp.h"
#include "op_pool_s8.h"

// The 32-bit paths of conv2d_s8 stay functions of their own: inlined into a large predict_int8() with
// a single call site, gcc ran out of registers in their loops (KWS depthwise 11.7 -> 13.3 instr/MAC).
#if defined(__GNUC__) && !defined(__AVR__)
#define MINIML_CONV_PATH __attribute__((noinline)) inline
#else
#define MINIML_CONV_PATH inline
#endif
// Byte loops stay loops: gcc turns them into memset/memcpy calls, which cost more than they copy on short
// rows (the depthwise band's rows: 7 bytes on the KWS DS-CNN, 1.3 instructions per MAC in the calls).
#if defined(__GNUC__) && !defined(__clang__) && !defined(__AVR__)
#define MINIML_INLINE_COPIES __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define MINIML_INLINE_COPIES
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

// The summed-area table of one output channel's weights w [group_in][kernel_h][kernel_w] over its
// channels (see conv_window_s8): row 0 and column 0 are zero, entry (i + 1, j + 1) the weights over
// ky <= i, kx <= j, all channels.
template <class Mem>
inline void weight_tap_sums(const int8_t* w, index_t kernel_h, index_t kernel_w, index_t group_in, int16_t* tap_sum) {
  const index_t sw = static_cast<index_t>(kernel_w + 1), taps = static_cast<index_t>(kernel_h * kernel_w);
  for (index_t j = 0; j < sw; ++j) tap_sum[j] = 0;
  for (index_t i = 0; i < kernel_h; ++i) {
    int16_t row = 0;
    tap_sum[(i + 1) * sw] = 0;
    for (index_t j = 0; j < kernel_w; ++j) {
      const int8_t* wp = w + i * kernel_w + j;
      for (index_t ic = 0; ic < group_in; ++ic, wp += taps) row = static_cast<int16_t>(row + Mem::read(wp));
      tap_sum[(i + 1) * sw + j + 1] = static_cast<int16_t>(tap_sum[i * sw + j + 1] + row);
    }
  }
}

// The weights of a window's padded taps from the table: all of them minus the in-bounds rectangle
// [ky_lo, ky_hi) x [kx_lo, kx_hi), four reads.
// The same from the table's rows ky_lo (lo) and ky_hi (hi) and its last entry (all).
inline int16_t padded_weight_sum_rows(const int16_t* lo, const int16_t* hi, int16_t all, index_t kx_lo, index_t kx_hi) {
  // uint16 arithmetic: exact modulo 2^16, and the result fits int16.
  return static_cast<int16_t>(static_cast<uint16_t>(all) - static_cast<uint16_t>(hi[kx_hi]) +
                              static_cast<uint16_t>(lo[kx_hi]) + static_cast<uint16_t>(hi[kx_lo]) -
                              static_cast<uint16_t>(lo[kx_lo]));
}
inline int16_t padded_weight_sum(const int16_t* tap_sum, index_t kernel_h, index_t kernel_w, index_t ky_lo,
                                 index_t ky_hi, index_t kx_lo, index_t kx_hi) {
  const index_t sw = static_cast<index_t>(kernel_w + 1);
  return padded_weight_sum_rows(tap_sum + ky_lo * sw, tap_sum + ky_hi * sw, tap_sum[kernel_h * sw + kernel_w], kx_lo,
                                kx_hi);
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
    if (c.group_in == 1) return window_rows_s8<Mem>(row, row_step, w, kernel_w, kernel_w, kernel_h, acc);
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
    const int16_t pad_sum = padded_weight_sum(tap_sum, kernel_h, kernel_w, ky_lo, ky_hi, kx_lo, kx_hi);
    if (run != 0 && rows != 0) {
      const index_t row_step = in_w;
      const index_t filter_plane = static_cast<index_t>(kernel_h * kernel_w);
      const int8_t* in_c = c.in_group + static_cast<index_t>(y0 + static_cast<sindex_t>(ky_lo)) * in_w +
                           static_cast<sindex_t>(x0 + static_cast<sindex_t>(kx_lo));
      const int8_t* w_c = w + ky_lo * kernel_w + kx_lo;
      acc = c.group_in == 1
                ? window_rows_s8<Mem>(in_c, row_step, w_c, kernel_w, run, rows, acc)
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
      acc = window_dot_s8<Mem>(row + x0 + static_cast<sindex_t>(kx_lo), w + kx_lo, static_cast<index_t>(kx_hi - kx_lo),
                               acc);
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

// Largest window (in_channels * kernel_h * kernel_w taps) conv2d_s8 runs as a matrix product: two
// windows of int8 live on the stack (2 * MINIML_IM2COL_MAX bytes); larger ones take the window path.
#ifndef MINIML_IM2COL_MAX
#define MINIML_IM2COL_MAX 576
#endif

// The shape of one convolution, for the im2col path.
struct ConvShape {
  index_t in_channels, in_h, in_w, kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w;
  sindex_t padding_h, padding_w;
  index_t groups;  // in_channels is per group
};

// col = the window of output (oy, ox) in the weight layout [in_channels][kernel_h][kernel_w] (one group's
// channels); a tap in the
// padding reads pad (the input zero point: the bias is folded, see conv2d_s8).
inline void im2col_s8(const ConvShape& s, const int8_t* input, index_t oy, index_t ox, int8_t pad, int8_t* col) {
  const index_t plane = static_cast<index_t>(s.in_h * s.in_w);
  const sindex_t y0 = static_cast<sindex_t>(static_cast<sindex_t>(oy * s.stride_h) - s.padding_h);
  const sindex_t x0 = static_cast<sindex_t>(static_cast<sindex_t>(ox * s.stride_w) - s.padding_w);
  const sindex_t in_h = static_cast<sindex_t>(s.in_h), in_w = static_cast<sindex_t>(s.in_w);
  if (s.kernel_h == 1 && s.kernel_w == 1) {  // pointwise: one strided gather
    if (y0 < 0 || y0 >= in_h || x0 < 0 || x0 >= in_w) {
      memset(col, pad, s.in_channels);
      return;
    }
    const int8_t* p = input + y0 * in_w + x0;
    for (index_t ic = 0; ic < s.in_channels; ++ic, p += plane) col[ic] = *p;
    return;
  }
  const sindex_t span_w = static_cast<sindex_t>(s.dilation_w * (s.kernel_w - 1) + 1);
  const bool x_inside = s.dilation_w == 1 && x0 >= 0 && x0 + span_w <= in_w;
  const sindex_t span_h = static_cast<sindex_t>(s.dilation_h * (s.kernel_h - 1) + 1);
  if (x_inside && y0 >= 0 && y0 + span_h <= in_h) {
    // Inside the input: rows of kernel_w bytes, no test per tap (3-wide rows as a halfword and a byte).
    const index_t row_step = static_cast<index_t>(s.dilation_h * s.in_w);
    // Signed: a dilated window's rows can reach past one channel's plane.
    const sindex_t next =
        static_cast<sindex_t>(static_cast<sindex_t>(plane) - static_cast<sindex_t>(s.kernel_h * row_step));
    const int8_t* p = input + y0 * in_w + x0;
    for (index_t ic = 0; ic < s.in_channels; ++ic, p += next) {
      for (index_t ky = 0; ky < s.kernel_h; ++ky, p += row_step) {
        if (s.kernel_w == 3) {
          memcpy(col, p, 2);
          col[2] = p[2];
          col += 3;
        } else {
          for (index_t kx = 0; kx < s.kernel_w; ++kx) *col++ = p[kx];
        }
      }
    }
    return;
  }
  for (index_t ic = 0; ic < s.in_channels; ++ic, input += plane) {
    sindex_t iy = y0;
    for (index_t ky = 0; ky < s.kernel_h; ++ky, iy = static_cast<sindex_t>(iy + s.dilation_h)) {
      const int8_t* row = input + iy * in_w;
      if (iy < 0 || iy >= in_h) {
        for (index_t kx = 0; kx < s.kernel_w; ++kx) *col++ = pad;
      } else if (x_inside) {
        for (index_t kx = 0; kx < s.kernel_w; ++kx) *col++ = row[x0 + static_cast<sindex_t>(kx)];
      } else {
        sindex_t ix = x0;
        for (index_t kx = 0; kx < s.kernel_w; ++kx, ix = static_cast<sindex_t>(ix + s.dilation_w)) {
          *col++ = ix >= 0 && ix < in_w ? row[ix] : pad;
        }
      }
    }
  }
}

#if defined(__ARM_FEATURE_DSP) && !defined(MINIML_NO_DSP)
// out[0] (and out[1] when two) = one channel's requantisation of a0 (a1): a pixel pair of the im2col path.
MINIML_ALWAYS_INLINE void requant_pixels_s8(int32_t a0, int32_t a1, const RunRequant& r, bool two, int8_t* out) {
  if (two && r.fast) {
    run_requant_pair(a0, a1, r, out);
    return;
  }
  out[0] = run_requant_slow(a0, r);
  if (two) out[1] = run_requant_slow(a1, r);
}
#endif

// One group of conv2d_s8_im2col (s.in_channels: the group's input channels, out_channels: its output
// channels); col: the column stack buffer; wide: the columns widened to int16 (DSP extension only).
// Pixels go in blocks of as many pairs as the buffers hold (one pair for windows of more than
// MINIML_IM2COL_MAX / 2 taps): the output channels' bias and requantisation constants are then read once
// per block, not per pixel pair, which is most of the cost on layers with few input channels.
template <class Mem>
inline void conv2d_s8_im2col_group(const ConvShape& s, const int8_t* input, const int8_t* weight, const int32_t* bias,
                                   const int32_t* multiplier, const int8_t* shift, int8_t pad,
                                   int32_t output_zero_point, int32_t act_min, int32_t act_max, index_t out_channels,
                                   index_t out_h, index_t out_w, int8_t* col, uint32_t* wide, int8_t* output) {
  const index_t taps = static_cast<index_t>(s.in_channels * s.kernel_h * s.kernel_w);
  const index_t pixels = static_cast<index_t>(out_h * out_w);
  const index_t block_pairs = static_cast<index_t>(MINIML_IM2COL_MAX / taps);
  const index_t wide_step = static_cast<index_t>(taps & ~static_cast<index_t>(3));  // words per widened pair
  (void)wide;
  (void)wide_step;
  index_t oy = 0, ox = 0;
  for (index_t p0 = 0; p0 < pixels; p0 = static_cast<index_t>(p0 + 2 * block_pairs)) {
    const index_t left = static_cast<index_t>(pixels - p0);
    const index_t count = left < 2 * block_pairs ? left : static_cast<index_t>(2 * block_pairs);  // pixels
    const index_t pairs = static_cast<index_t>((count + 1) / 2);
    for (index_t i = 0; i < count; ++i) {  // gather the block's columns, pair j at col + 2 j taps
      im2col_s8(s, input, oy, ox, pad, col + i * taps);
      if (++ox == out_w) {
        ox = 0;
        ++oy;
      }
    }
    if (count & 1) {  // the last pair's second column repeats its first
      int8_t* last = col + (count - 1) * taps;
      for (index_t i = 0; i < taps; ++i) last[taps + i] = last[i];
    }
#if defined(__ARM_FEATURE_DSP) && !defined(MINIML_NO_DSP)
    for (index_t j = 0; j < pairs; ++j) widen_2cols_s8(col + 2 * j * taps, taps, wide + j * wide_step);
#endif
    const int8_t* w = weight;
    int8_t* out = output + p0;
    index_t oc = 0;
    for (; oc + 2 <= out_channels; oc += 2, w += 2 * taps, out += 2 * pixels) {
      const int32_t b0 = Mem::read(bias + oc), b1 = Mem::read(bias + oc + 1);
#if defined(__ARM_FEATURE_DSP) && !defined(MINIML_NO_DSP)
      const RunRequant r0(Mem::read(multiplier + oc), Mem::read(shift + oc), output_zero_point, act_min, act_max);
      const RunRequant r1(Mem::read(multiplier + oc + 1), Mem::read(shift + oc + 1), output_zero_point, act_min,
                          act_max);
      // One copy of the dot (flash): the whole pairs of two fast channels take no other test.
      const bool fast = r0.fast && r1.fast;
      const uint32_t* wj = wide;
      const int8_t* cj = col;
      int8_t* o = out;
      for (index_t j = 0; j < pairs; ++j, wj += wide_step, cj += 2 * taps, o += 2) {
        int32_t a00 = b0, a01 = b0, a10 = b1, a11 = b1;
        dot_2x2_wide_s8<Mem>(wj, cj, w, taps, a00, a01, a10, a11);
        const bool two = 2 * j + 1 < count;
        if (fast && two) {
          run_requant_pair(a00, a01, r0, o);
          run_requant_pair(a10, a11, r1, o + pixels);
        } else {  // a slow channel, or the last pixel alone
          requant_pixels_s8(a00, a01, r0, two, o);
          requant_pixels_s8(a10, a11, r1, two, o + pixels);
        }
      }
#else
      const ChannelRequant r0(Mem::read(multiplier + oc), Mem::read(shift + oc), output_zero_point, act_min, act_max);
      const ChannelRequant r1(Mem::read(multiplier + oc + 1), Mem::read(shift + oc + 1), output_zero_point, act_min,
                              act_max);
      for (index_t j = 0; j < pairs; ++j) {
        int32_t acc[4] = {b0, b0, b1, b1};
        dot_2x2_s8<Mem>(col + 2 * j * taps, w, taps, acc);
        const bool two = 2 * j + 1 < count;
        for (index_t k = 0; k < 2; ++k) {  // a loop, not four copies of the inlined requantisation (flash)
          const ChannelRequant& r = k == 0 ? r0 : r1;
          out[k * pixels + 2 * j] = r(acc[2 * k]);
          if (two) out[k * pixels + 2 * j + 1] = r(acc[2 * k + 1]);
        }
      }
#endif
    }
    if (oc < out_channels) {  // odd channel count: the last channel alone
      const int32_t b = Mem::read(bias + oc), m = Mem::read(multiplier + oc);
      const int8_t sh = Mem::read(shift + oc);
      for (index_t i = 0; i < count; ++i) {
        out[i] = requantize_s8(dot_s8<Mem>(col + i * taps, w, taps, b), m, sh, output_zero_point, act_min, act_max);
      }
    }
  }
}

// conv2d_s8 as a matrix product per group: two output pixels' windows gathered into columns, then
// two output channels at a time against both (dot_2x2_s8), so every loaded value feeds two MACs and the
// shape-dependent work is paid once per pixel pair, not per tap. The same integers as the window path.
template <class Mem>
MINIML_CONV_PATH void conv2d_s8_im2col(const ConvShape& s, const int8_t* input, const int8_t* weight,
                                       const int32_t* bias, const int32_t* multiplier, const int8_t* shift, int8_t pad,
                                       int32_t output_zero_point, int32_t act_min, int32_t act_max,
                                       index_t out_channels, index_t out_h, index_t out_w, int8_t* output) {
  int8_t col[2 * MINIML_IM2COL_MAX];
#if defined(__ARM_FEATURE_DSP) && !defined(MINIML_NO_DSP)
  uint32_t wide[MINIML_IM2COL_MAX];  // the columns as int16 (widen_2cols_s8)
#else
  uint32_t* wide = 0;
#endif
  const index_t taps = static_cast<index_t>(s.in_channels * s.kernel_h * s.kernel_w);
  const index_t pixels = static_cast<index_t>(out_h * out_w);
  for (index_t g = 0; g < s.groups; ++g) {
    const index_t first = static_cast<index_t>(g * out_channels);  // this group's output channels
    conv2d_s8_im2col_group<Mem>(s, input + g * s.in_channels * s.in_h * s.in_w, weight + first * taps, bias + first,
                                multiplier + first, shift + first, pad, output_zero_point, act_min, act_max,
                                out_channels, out_h, out_w, col, wide, output + first * pixels);
  }
}

// Bytes of a padded input row: start padding, the row, and end padding up to the last window's end (one
// more than the start padding for torch's 'same' with an even kernel).
inline index_t padded_width(index_t in_w, index_t padding_w, index_t out_w, index_t stride_w, index_t kernel_w) {
  const index_t symmetric = static_cast<index_t>(in_w + 2 * padding_w);
  const index_t needed = static_cast<index_t>((out_w - 1) * stride_w + kernel_w);
  return needed > symmetric ? needed : symmetric;
}

// Depthwise path: the stack buffer of padded input rows (a band of kernel_h + stride_h rows at least, so
// (kernel_h + stride_h) * (in_w + 2 padding_w) must fit) and the largest filter it keeps on the stack.
#ifndef MINIML_DEPTHWISE_BUFFER
#define MINIML_DEPTHWISE_BUFFER 1536
#endif
constexpr index_t kDepthwiseTaps = 64;

// a0, a1 + the windows at row and row + step of a band of padded rows (pitch bytes apart), kernel_h x
// kernel_w taps; w: the filter as int16.
MINIML_ALWAYS_INLINE void depthwise_pair_s8(const int8_t* row, index_t pitch, index_t step, const int16_t* w,
                                            index_t kernel_h, index_t kernel_w, int32_t& a0, int32_t& a1) {
  for (index_t ky = 0; ky < kernel_h; ++ky, row += pitch) {
    for (index_t kx = 0; kx < kernel_w; ++kx) {
      const int32_t wt = *w++;
      a0 += static_cast<int32_t>(row[kx]) * wt;
      a1 += static_cast<int32_t>(row[kx + step]) * wt;
    }
  }
}

// Input rows [iy, iy + rows) of one channel ([in_h][in_w]) into a band buffer (rows pitch bytes apart)
// whose padding columns hold the pad value: a row inside the input copies its in_w bytes after the start
// padding pw, a row outside it becomes all pad (unless pad_rows is false: a buffer holding a channel's
// whole map keeps its padding rows from channel to channel). Out of line: inside the depthwise kernel's
// loops gcc spilled every value of this short loop (60 instructions a 5-byte row of the KWS DS-CNN).
MINIML_CONV_PATH MINIML_INLINE_COPIES void depthwise_band_rows(const int8_t* input, index_t in_h, index_t in_w,
                                                               sindex_t iy, index_t rows, index_t pitch, index_t pw,
                                                               int8_t pad, bool pad_rows, int8_t* dst) {
  // Rows [0, first) and [last, rows) are outside the input.
  const sindex_t top = iy < 0 ? -iy : 0, bottom = static_cast<sindex_t>(in_h) - iy;
  const index_t first = static_cast<index_t>(top < static_cast<sindex_t>(rows) ? top : static_cast<sindex_t>(rows));
  const index_t last = bottom < static_cast<sindex_t>(first)  ? first
                       : bottom > static_cast<sindex_t>(rows) ? rows
                                                              : static_cast<index_t>(bottom);
  if (pad_rows) {
    for (index_t i = 0; i < first * pitch; ++i) dst[i] = pad;
    for (index_t i = last * pitch; i < rows * pitch; ++i) dst[i] = pad;
  }
  if (first == last) return;
  const int8_t* src = input + (iy + static_cast<sindex_t>(first)) * static_cast<sindex_t>(in_w);
  int8_t* to = dst + first * pitch + pw;
#if defined(__ARM_FEATURE_DSP) && !defined(MINIML_NO_DSP)
  if (in_w >= 4) {  // words (unaligned LDR/STR), a row's last one overlapping the one before
    const index_t tail = static_cast<index_t>(in_w - 4);
    if (in_w <= 8) {  // two words a row (the KWS DS-CNN's 5-wide maps: 9 instructions a row)
      for (index_t r = first; r < last; ++r, src += in_w, to += pitch) {
        memcpy(to, src, 4);
        memcpy(to + tail, src + tail, 4);
      }
      return;
    }
    for (index_t r = first; r < last; ++r, src += in_w, to += pitch) {
      for (index_t j = 0; j < tail; j += 4) memcpy(to + j, src + j, 4);
      memcpy(to + tail, src + tail, 4);
    }
    return;
  }
#endif
  for (index_t r = first; r < last; ++r, src += in_w, to += pitch) {
    for (index_t j = 0; j < in_w; ++j) to[j] = src[j];
  }
}

// conv2d_s8 for groups == in_channels == out_channels (depthwise, multiplier 1) and dilation 1, channel
// by channel: a band of input rows is copied into a stack buffer with its padding (the zero point, which
// the folded bias expects), so every window is inside the buffer and no tap is tested; outputs come two at
// a time, sharing each weight. The same integers as the window path.
// dsp_band: the DSP extension's kernel for the layer's shape (dw3x3_band_for: chosen at compile time from the
// constant shape, so a model links only the kernels its layers take), for the channels it fits; or null.
template <class Mem>
MINIML_CONV_PATH MINIML_INLINE_COPIES void depthwise_conv2d_s8(const ConvShape& s, const int8_t* input,
                                                               const int8_t* weight, const int32_t* bias,
                                                               const int32_t* multiplier, const int8_t* shift,
                                                               int8_t pad, int32_t output_zero_point, int32_t act_min,
                                                               int32_t act_max, index_t out_h, index_t out_w,
                                                               Dw3x3Band dsp_band, int8_t* output) {
  int8_t buf[MINIML_DEPTHWISE_BUFFER + 4];  // + 4: word reads of the last window may pass its end
  int16_t w[kDepthwiseTaps];
  const index_t kh = s.kernel_h, kw = s.kernel_w, in_w = s.in_w, stride_w = s.stride_w;
  const index_t taps = static_cast<index_t>(kh * kw);
  const index_t pw = static_cast<index_t>(s.padding_w);
  const index_t pitch = padded_width(in_w, pw, out_w, stride_w, kw);
  // Output rows per band: their input rows (band - 1) * stride_h + kernel_h and stride_h spare ones (an
  // odd count's spare window: see depthwise3x3_band_dsp) fill the buffer.
  index_t band = static_cast<index_t>((MINIML_DEPTHWISE_BUFFER / pitch - kh - s.stride_h) / s.stride_h + 1);
  if (band > out_h) band = out_h;
  // The padding columns (and the rows past the input) once: the bands only copy rows' inputs over them.
  memset(buf, pad, static_cast<size_t>((band * s.stride_h + kh) * pitch + 4));
#if defined(__ARM_FEATURE_DSP) && !defined(MINIML_NO_DSP)
  Dw3x3Channel fast = Dw3x3Channel();
#else
  (void)dsp_band;
#endif
  for (index_t c = 0; c < s.groups; ++c, input += s.in_h * in_w, weight += taps) {
    for (index_t t = 0; t < taps; ++t) w[t] = Mem::read(weight + t);
    const int32_t b = Mem::read(bias + c);
    const int32_t m = Mem::read(multiplier + c);
    const int8_t sh = Mem::read(shift + c);
#if defined(__ARM_FEATURE_DSP) && !defined(MINIML_NO_DSP)
    const bool dsp = dsp_band && dw3x3_channel(w, b, m, sh, output_zero_point, act_min, act_max, &fast);
#endif
    const ChannelRequant requant(m, sh, output_zero_point, act_min, act_max);
    int8_t* out = output + c * out_h * out_w;
    for (index_t oy0 = 0; oy0 < out_h; oy0 = static_cast<index_t>(oy0 + band)) {
      const index_t rows_out = out_h - oy0 < band ? static_cast<index_t>(out_h - oy0) : band;
      const index_t rows_in = static_cast<index_t>((rows_out - 1) * s.stride_h + kh);
      sindex_t iy = static_cast<sindex_t>(static_cast<sindex_t>(oy0 * s.stride_h) - s.padding_h);
      depthwise_band_rows(input, s.in_h, in_w, iy, rows_in, pitch, pw, pad, band < out_h, buf);
#if defined(__ARM_FEATURE_DSP) && !defined(MINIML_NO_DSP)
      if (dsp) {
        dsp_band(buf, pitch, rows_out, out_w, fast, out);
        out += rows_out * out_w;
        continue;
      }
#endif
      for (index_t oy = 0; oy < rows_out; ++oy) {
        const int8_t* row = buf + oy * s.stride_h * pitch;
        for (index_t ox = 0; ox < out_w; ox += 2, row += 2 * stride_w) {
          // Two windows at a time; at an odd width's end the last one alone.
          const bool two = ox + 1 < out_w;
          int32_t acc[2] = {b, b};
          depthwise_pair_s8(row, pitch, two ? stride_w : 0, w, kh, kw, acc[0], acc[1]);
          *out++ = requant(acc[0]);
          if (two) *out++ = requant(acc[1]);
        }
      }
    }
  }
}

#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
// True when conv2d_s8_avr takes the layer: dilation 1, a window under 512 taps (dot_window_avr's 24-bit
// sum) in byte counts, and when a window can reach the padding, a filter the summed-area table holds.
inline bool conv_avr_fits(index_t group_in, index_t in_h, index_t in_w, index_t kernel_h, index_t kernel_w,
                          index_t stride_h, index_t stride_w, index_t padding_h, index_t padding_w, index_t dilation_h,
                          index_t dilation_w, index_t out_h, index_t out_w, bool* padded) {
  const uint32_t taps = static_cast<uint32_t>(kernel_h) * kernel_w, filter = taps * group_in;
  *padded = padding_h != 0 || padding_w != 0 || static_cast<uint32_t>(out_h - 1) * stride_h + kernel_h > in_h ||
            static_cast<uint32_t>(out_w - 1) * stride_w + kernel_w > in_w;
  return dilation_h == 1 && dilation_w == 1 && group_in <= 255 && taps <= 255 && filter < 512 &&
         (!*padded || (taps <= kTapTable && filter < 256));
}

// One output row of one output channel for conv2d_s8_avr: what its column loop needs, in one place
// (passed by pointer: the loop keeps few values in registers, the asm window loop needs most of them).
struct AvrConvRow {
  const int8_t* in_row;   // the input row of the windows' first in-bounds kernel row (the group's channel 0)
  const int8_t* w_row;    // the weights of that kernel row
  const int16_t* sum_lo;  // the summed-area table's rows ky_lo and ky_hi (padded layers)
  const int16_t* sum_hi;
  AvrWindow inner;     // the shape of the windows of columns [ox_lo, ox_hi), inside the input's width
  int32_t inner_base;  // bias + their padded taps (zero point * padded weights)
  int32_t bias;
  index_t in_w, kernel_w, stride_w, out_w, ox_lo, ox_hi;
  sindex_t x0;      // the first column's
  int16_t sum_all;  // the table's last entry: all the weights
  int8_t pad;
};

// The accumulator of a window that reaches the left or right padding, at x0.
template <class Mem>
__attribute__((noinline)) int32_t conv_edge_avr(const AvrConvRow& r, sindex_t x0) {
  const index_t kx_lo = static_cast<index_t>(x0 < 0 ? -x0 : 0);
  const sindex_t room = static_cast<sindex_t>(static_cast<sindex_t>(r.in_w) - x0);
  index_t kx_hi = room < static_cast<sindex_t>(r.kernel_w) ? static_cast<index_t>(room > 0 ? room : 0) : r.kernel_w;
  if (kx_hi < kx_lo) kx_hi = kx_lo;
  AvrWindow edge = r.inner;
  edge.run = static_cast<uint8_t>(kx_hi - kx_lo);
  edge.a_skip = static_cast<uint16_t>(r.in_w - edge.run);
  edge.b_skip = static_cast<uint8_t>(r.kernel_w - edge.run);
  int32_t acc =
      r.bias + static_cast<int32_t>(r.pad) * padded_weight_sum_rows(r.sum_lo, r.sum_hi, r.sum_all, kx_lo, kx_hi);
  if (edge.run != 0 && edge.rows != 0) {
    acc += dot_window_avr<Mem>(r.in_row + (x0 + static_cast<sindex_t>(kx_lo)), r.w_row + kx_lo, edge);
  }
  return acc;
}

// The row's out_w outputs; returns the output pointer past them. Columns [ox_lo, ox_hi) (clipped to
// out_w) are inner windows, the rest edge windows (one loop: one requantisation call site).
// Everything the loop reads is copied to locals first: an int8 store may alias any object, so fields read
// through r and requant would be loaded again after every output.
template <class Mem>
__attribute__((noinline)) int8_t* conv_row_avr(const AvrConvRow& r, const ChannelRequant& requant, int8_t* out) {
  const ChannelRequant q = requant;
  const index_t out_w = r.out_w, step = r.stride_w;
  const index_t lo = r.ox_lo < out_w ? r.ox_lo : out_w, hi = r.ox_hi > lo ? r.ox_hi : lo;
  const int8_t* const in_row = r.in_row;
  const int8_t* const w_row = r.w_row;
  const int32_t base = r.inner_base;
  const bool inside = r.inner.rows != 0;
  // A fused ReLU (act_min >= zero point) under a multiplier >= 0 and no left shift: a sum <= 0 requantises to at
  // most the zero point, so to act_min, without the requantisation (half a ReLU layer's outputs).
  const bool relu = q.multiplier >= 0 && q.shift <= 0 && q.act_min >= q.output_zero_point;
  const int8_t floor_value = static_cast<int8_t>(q.act_min);
  sindex_t x0 = r.x0;
  for (index_t ox = 0; ox < out_w; ++ox, x0 = static_cast<sindex_t>(x0 + step)) {
    int32_t acc;
    if (ox < lo || ox >= hi) {
      acc = conv_edge_avr<Mem>(r, x0);
    } else {
      acc = base;
      if (inside) acc += dot_window_avr<Mem>(in_row + x0, w_row, r.inner);
    }
    *out++ = relu && acc <= 0 ? floor_value : q(acc);
  }
  return out;
}

// The window path's numbers on AVR with the per-window work cut to a few byte operations: the in-bounds
// rows of an output row's windows (and their padded weights' sum) found once per row, each window summed
// by the asm loop of dot_window_avr; only the columns whose windows reach the left or right padding work
// out their own run and padded weights (from the summed-area table).
template <class Mem>
inline void conv2d_s8_avr(const int8_t* input, const int8_t* weight, const int32_t* bias, const int32_t* multiplier,
                          const int8_t* shift, int8_t pad, int32_t output_zero_point, int32_t act_min, int32_t act_max,
                          index_t in_channels, index_t in_h, index_t in_w, index_t out_channels, index_t kernel_h,
                          index_t kernel_w, index_t stride_h, index_t stride_w, index_t padding_h, index_t padding_w,
                          index_t groups, index_t out_h, index_t out_w, bool padded, int8_t* output) {
  const index_t group_in = static_cast<index_t>(in_channels / groups);
  const index_t group_out = static_cast<index_t>(out_channels / groups);
  const index_t plane = static_cast<index_t>(in_h * in_w), taps = static_cast<index_t>(kernel_h * kernel_w);
  const index_t filter = static_cast<index_t>(group_in * taps);
  int16_t tap_sum[kTapSumSize];
  const index_t sw = static_cast<index_t>(kernel_w + 1);
  AvrConvRow r;
  r.sum_lo = r.sum_hi = tap_sum;
  r.sum_all = 0;
  r.in_w = in_w;
  r.kernel_w = kernel_w;
  r.stride_w = stride_w;
  r.out_w = out_w;
  r.x0 = static_cast<sindex_t>(-static_cast<sindex_t>(padding_w));
  r.pad = pad;
  // Columns [ox_lo, ox_hi) have windows inside the input's width.
  r.ox_lo = static_cast<index_t>((padding_w + stride_w - 1) / stride_w);
  r.ox_hi = in_w + padding_w >= kernel_w ? static_cast<index_t>((in_w + padding_w - kernel_w) / stride_w + 1) : 0;
  if (r.ox_hi > out_w) r.ox_hi = out_w;
  const bool rows_as_chans = in_h == kernel_h && group_in * kernel_h <= 255;  // see below
  r.inner.run = static_cast<uint8_t>(kernel_w);
  r.inner.a_skip = static_cast<uint16_t>(in_w - kernel_w);
  r.inner.b_skip = 0;
  int8_t* out = output;
  const int8_t* w_oc = weight;
  for (index_t oc = 0; oc < out_channels; ++oc, w_oc += filter) {
    const int8_t* in_group = input + (oc / group_out) * group_in * plane;
    r.bias = Mem::read(bias + oc);
    const ChannelRequant requant(Mem::read(multiplier + oc), Mem::read(shift + oc), output_zero_point, act_min,
                                 act_max);
    if (padded) {
      weight_tap_sums<Mem>(w_oc, kernel_h, kernel_w, group_in, tap_sum);
      r.sum_all = tap_sum[kernel_h * sw + kernel_w];
    }
    sindex_t y0 = static_cast<sindex_t>(-static_cast<sindex_t>(padding_h));
    for (index_t oy = 0; oy < out_h; ++oy, y0 = static_cast<sindex_t>(y0 + stride_h)) {
      const index_t ky_lo = static_cast<index_t>(y0 < 0 ? -y0 : 0);
      const sindex_t room = static_cast<sindex_t>(static_cast<sindex_t>(in_h) - y0);
      index_t ky_hi = room < static_cast<sindex_t>(kernel_h) ? static_cast<index_t>(room > 0 ? room : 0) : kernel_h;
      if (ky_hi < ky_lo) ky_hi = ky_lo;
      const uint8_t rows = static_cast<uint8_t>(ky_hi - ky_lo);
      r.inner.rows = rows;
      r.inner.a_next = static_cast<uint16_t>(plane - rows * in_w);
      r.inner.b_next = static_cast<uint8_t>(taps - rows * kernel_w);
      // Windows over the whole input and kernel height (every 1-D convolution): each channel's first row follows
      // the last one's by the row skips, so the channels run as rows of one loop, without its per-channel steps.
      const bool whole = rows_as_chans && rows == kernel_h;
      r.inner.chans = whole ? 1 : static_cast<uint8_t>(group_in);
      if (whole) r.inner.rows = static_cast<uint8_t>(rows * group_in);
      r.sum_lo = tap_sum + ky_lo * sw;
      r.sum_hi = tap_sum + ky_hi * sw;
      r.inner_base = r.bias;
      if (rows != kernel_h) {
        r.inner_base += static_cast<int32_t>(pad) * padded_weight_sum_rows(r.sum_lo, r.sum_hi, r.sum_all, 0, kernel_w);
      }
      r.in_row = in_group + static_cast<index_t>(y0 + static_cast<sindex_t>(ky_lo)) * in_w;
      r.w_row = w_oc + ky_lo * kernel_w;
      out = conv_row_avr<Mem>(r, requant, out);
    }
  }
}

// Widest convolution row conv2d_s8_max_pool_avr computes at once (3 bytes of stack per column) and its
// tallest and widest kernel.
constexpr index_t kAvrConvRow = 16;
constexpr index_t kAvrKernelRows = 8;

// The columns of a convolution row conv2d_s8_max_pool_avr reads: its windows in pairs (an odd row one more).
MINIML_ALWAYS_INLINE uint32_t conv_pool_span_avr(uint32_t conv_w, uint32_t kernel_w) {
  return (conv_w + 1) / 2 * 2 - 1 + kernel_w;
}

// True when conv2d_s8_max_pool_avr takes the convolution (shape p) and max pool (shape pool): one group,
// stride 1 across, a pool of non-overlapping windows (kernel = stride, no padding or dilation, floor mode),
// pooled rows of at most kAvrConvRow convolution columns and kAvrConvRow / 2 pooled ones, every convolution row with an
// input row in its window, in_w + pad_left under 256, windows under 512 taps, and the input with its left and right
// padding fits in the convolution's output buffer.
MINIML_ALWAYS_INLINE bool conv_max_pool_avr_fits(const Conv2dParams& p, const Pool2dParams& pool) {
  if (pool.kernel_h != pool.stride_h || pool.kernel_w != pool.stride_w || pool.pad_top != 0 || pool.pad_left != 0 ||
      pool.dilation_h != 1 || pool.dilation_w != 1 || pool.in_h != p.out_h || pool.in_w != p.out_w ||
      pool.kernel_h == 0 || pool.kernel_w == 0 || pool.out_h != p.out_h / pool.kernel_h ||
      pool.out_w != p.out_w / pool.kernel_w || pool.out_h == 0 || pool.out_w == 0 || p.dilation_h != 1 ||
      p.dilation_w != 1 || p.groups != 1 || p.in_channels == 0 || p.stride_w != 1) {
    return false;
  }
  const uint32_t conv_w = static_cast<uint32_t>(pool.out_w) * pool.kernel_w;
  const uint32_t span_w = conv_pool_span_avr(conv_w, p.kernel_w);
  // The last convolution row used starts inside the input's rows.
  const uint32_t last = (static_cast<uint32_t>(pool.out_h) * pool.kernel_h - 1) * p.stride_h;
  return p.pad_top < p.kernel_h && last < static_cast<uint32_t>(p.in_h) + p.pad_top && p.in_w + p.pad_left <= 255u &&
         conv_w <= kAvrConvRow && pool.out_w <= kAvrConvRow / 2 && span_w <= 255 && p.kernel_h <= kAvrKernelRows &&
         p.kernel_w <= kAvrKernelRows && static_cast<uint32_t>(p.in_channels) * p.kernel_h * p.kernel_w < 512 &&
         static_cast<uint32_t>(p.in_channels) * p.in_h * span_w <=
             static_cast<uint32_t>(p.out_channels) * p.out_h * p.out_w;
}

// The 24-bit sum WindowPairsAvr::dot stored at p.
MINIML_ALWAYS_INLINE int32_t sum24(const uint8_t* p) {
  __int24 t;
  memcpy(&t, p, 3);
  return t;
}

// best[i] = the maximum of base + the sums of windows [i * pool, (i + 1) * pool) (3 bytes each, step bytes
// apart from sums on), and of best[i] unless first, i < n: a group's maximum taken in 24 bits (one base),
// then widened. A function of its own: its few values stay in registers.
__attribute__((noinline)) inline void pool_max_avr(const uint8_t* sums, uint8_t step, uint8_t n, uint8_t pool,
                                                   int32_t base, bool first, int32_t* best) {
  for (; n != 0; --n, ++best) {
    __int24 m;
    memcpy(&m, sums, 3);
    sums += step;
    for (uint8_t j = pool; j != 1; --j, sums += step) {
      __int24 v;
      memcpy(&v, sums, 3);
      if (v > m) m = v;
    }
    const int32_t v = base + static_cast<int32_t>(m);
    if (first || v > *best) *best = v;
  }
}

// One output channel of conv2d_s8_max_pool_avr: its requantisation constants, bias, padded kernel rows' terms
// and the pooled row's maxima.
struct AvrPoolChannel {
  int32_t multiplier, bias;
  int32_t row_pad[kAvrKernelRows];  // a kernel row's zero-point term where it reaches the padding
  int32_t best[kAvrConvRow / 2];
  int8_t shift, zero_point, lo, hi;
  bool each;  // requantisation not monotonic: every output requantised

  // Output channel oc's constants (out of line: 30 bytes less flash on digits_cnn than inlined).
  template <class Mem>
  __attribute__((noinline)) void init(const int32_t* bias_, const int32_t* multiplier_, const int8_t* shift_,
                                      index_t oc, int8_t zp, int8_t act_min, int8_t act_max) {
    multiplier = Mem::read(multiplier_ + oc);
    shift = Mem::read(shift_ + oc);
    bias = Mem::read(bias_ + oc);
    zero_point = zp;
    lo = act_min;
    hi = act_max;
    each = multiplier < 0 || shift > 0;
  }

  // The requantisation, from one call site (flash).
  __attribute__((noinline)) int8_t requantize(int32_t v) const {
    return ChannelRequant(multiplier, shift, zero_point, lo, hi)(v);
  }

  // Folds a convolution row's sums (3 bytes a window from sums) whose kernel rows [ky_lo, ky_hi) are in
  // bounds into best.
  __attribute__((noinline)) void fold(uint8_t* sums, index_t conv_w, index_t ky_lo, index_t ky_hi, index_t kernel_h,
                                      index_t out_w, index_t pool_w, bool first) {
    int32_t base = bias;
    for (index_t ky = 0; ky < kernel_h; ++ky) {
      if (ky < ky_lo || ky >= ky_hi) base += row_pad[ky];
    }
    if (each) {
      uint8_t* sum = sums;
      for (index_t i = 0; i < conv_w; ++i, sum += 3) {
        const int8_t q = requantize(base + sum24(sum));
        memcpy(sum, &q, 1);
        sum[1] = sum[2] = static_cast<uint8_t>(q < 0 ? 0xFF : 0);
      }
      base = 0;
    }
    pool_max_avr(sums, 3, static_cast<uint8_t>(out_w), static_cast<uint8_t>(pool_w), base, first, best);
  }

  // The pooled row, requantised (unless each: already) and clamped to the pool's bounds.
  __attribute__((noinline)) void emit(index_t out_w, int8_t pool_min, int8_t pool_max, int8_t* out) const {
    for (index_t px = 0; px < out_w; ++px) {
      const int32_t v = each ? best[px] : requantize(best[px]);
      out[px] = static_cast<int8_t>(v < pool_min ? pool_min : v > pool_max ? pool_max : v);
    }
  }
};

// The sum of a kernel row of filter w (in_channels channels of taps taps, rows of kernel_w) through Mem,
// for a layer whose windows reach the top or bottom padding: there kernel_h >= 2 (pad_top < kernel_h, and
// the last row starts inside the input), so with windows under 512 taps the row has under 256 weights, of
// magnitude at most 128: 16 bits hold the sum.
template <class Mem>
__attribute__((noinline)) int16_t kernel_row_sum(const int8_t* w, uint8_t in_channels, uint8_t kernel_w, index_t taps) {
  int16_t sum = 0;
  for (uint8_t c = in_channels; c != 0; --c, w += taps) {
    const int8_t* p = w;
    for (uint8_t kx = kernel_w; kx != 0; --kx) sum = static_cast<int16_t>(sum + Mem::read(p++));
  }
  return sum;
}

// conv2d_s8 (one group, stride 1 across) followed by a max pool of pool_h x pool_w windows at their own
// stride (out_h x out_w pooled outputs; see conv_max_pool_avr_fits), without the convolution's output, one
// output channel at a time. The input is copied to scratch channel after channel, each row with its left
// and right padding (the zero point, which the folded bias expects), in the filter's order: a convolution
// row's windows are one WindowPairsAvr::dot call over the filter where it lies (flash on the Uno; nothing
// on the stack but a row of sums). A row reaching the top or bottom padding takes fewer kernel rows, the
// others' zero-point terms in the base. The pool's maximum of the accumulators is requantised once, which
// equals the maximum of the requantised outputs because the requantisation is monotonic (multiplier >= 0,
// shift <= 0; other channels requantise every output).
template <class Mem, bool kRun3>
inline void conv2d_s8_max_pool_avr(const int8_t* input, const int8_t* weight, const int32_t* bias,
                                   const int32_t* multiplier, const int8_t* shift, int8_t pad, int8_t zp, int8_t lo,
                                   int8_t hi, index_t in_channels, index_t in_h, index_t in_w, index_t out_channels,
                                   index_t kernel_h, index_t kernel_w, index_t stride_h, index_t pad_top,
                                   index_t pad_left, index_t pool_h, index_t pool_w, index_t out_h, index_t out_w,
                                   int8_t pool_min, int8_t pool_max, int8_t* scratch, int8_t* output) {
  const index_t conv_w = static_cast<index_t>(out_w * pool_w);
  const index_t span_w = static_cast<index_t>(conv_pool_span_avr(conv_w, kernel_w));
  const index_t taps = static_cast<index_t>(kernel_h * kernel_w);
  // Kernel rows [low_rows, high_rows) never reach the top or bottom padding (the first and last convolution
  // rows' in-bounds rows).
  const index_t low_rows = pad_top < kernel_h ? pad_top : kernel_h;
  const sindex_t last = static_cast<sindex_t>((out_h * pool_h - 1) * stride_h) - static_cast<sindex_t>(pad_top);
  const sindex_t room = static_cast<sindex_t>(static_cast<sindex_t>(in_h) - last);
  const index_t high_rows = room >= static_cast<sindex_t>(kernel_h) ? kernel_h
                            : room > 0                              ? static_cast<index_t>(room)
                                                                    : 0;
  int8_t* dst = scratch;
  for (const int8_t* row = input; row != input + in_channels * in_h * in_w; row += in_w) {
    // the columns [-pad_left, span_w - pad_left) of the row (a column below 0 wraps past in_w + pad_left)
    for (uint8_t j = 0; j < span_w; ++j) {
      const uint8_t x = static_cast<uint8_t>(j - pad_left);
      *dst++ = x < in_w ? row[x] : pad;
    }
  }
  AvrWindowPairs w;
  w.run = static_cast<uint8_t>(kernel_w);
  w.chans = static_cast<uint8_t>(in_channels);
  w.a_skip = static_cast<uint8_t>(span_w - kernel_w - 1);
  w.count = static_cast<uint8_t>((conv_w + 1) / 2);
  uint8_t sums[3 * kAvrConvRow];
  AvrPoolChannel ch;
  const int8_t* filter = weight;
  for (index_t oc = 0; oc < out_channels; ++oc, filter += in_channels * taps) {
    ch.init<Mem>(bias, multiplier, shift, oc, zp, lo, hi);
    for (index_t ky = 0; ky < kernel_h; ++ky) {
      if (ky < low_rows || ky >= high_rows) {
        ch.row_pad[ky] =
            static_cast<int32_t>(pad) * kernel_row_sum<Mem>(filter + ky * kernel_w, static_cast<uint8_t>(in_channels),
                                                            static_cast<uint8_t>(kernel_w), taps);
      }
    }
    sindex_t y0 = static_cast<sindex_t>(-static_cast<sindex_t>(pad_top));
    for (index_t py = 0; py < out_h; ++py) {
      for (index_t k = 0; k < pool_h; ++k, y0 = static_cast<sindex_t>(y0 + stride_h)) {
        // Kernel rows [ky_lo, ky_hi) are inside the input (at least one: see conv_max_pool_avr_fits); the
        // others read the zero point.
        const index_t ky_lo = static_cast<index_t>(y0 < 0 ? -y0 : 0);
        const sindex_t rest = static_cast<sindex_t>(static_cast<sindex_t>(in_h) - y0);
        const index_t ky_hi = rest < static_cast<sindex_t>(kernel_h) ? static_cast<index_t>(rest) : kernel_h;
        const index_t rows = static_cast<index_t>(ky_hi - ky_lo);
        w.rows = static_cast<uint8_t>(rows);
        w.a_next = static_cast<uint16_t>((in_h - rows) * span_w);
        w.b_next = static_cast<uint8_t>((kernel_h - rows) * kernel_w);
        WindowPairsAvr<Mem, kRun3>::dot(scratch + static_cast<index_t>(y0 + static_cast<sindex_t>(ky_lo)) * span_w,
                                        filter + ky_lo * kernel_w, &w, sums);
        ch.fold(sums, conv_w, ky_lo, ky_hi, kernel_h, out_w, pool_w, k == 0);
      }
      ch.emit(out_w, pool_min, pool_max, output + (oc * out_h + py) * out_w);
    }
  }
}

#endif

// The window path: any groups, stride, padding and dilation; every window summed in place.
template <class Mem>
inline void conv2d_s8_window(const int8_t* input, const int8_t* weight, const int32_t* bias, const int32_t* multiplier,
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
    if (use_table) weight_tap_sums<Mem>(w_oc, kernel_h, kernel_w, group_in, tap_sum);
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
// The choice of path is a plain branch on the shape, in an always-inlined call: with the constant shapes of
// generated code it is made at compile time and only the chosen path is compiled in (flash), and each path
// is a function that is fast for any shape (speed does not hang on whether the compiler inlined it).
//   32-bit cores: depthwise (multiplier 1, dilation 1) from padded row bands; otherwise per group an
//                 im2col matrix product when a window fits MINIML_IM2COL_MAX; else the window path.
//   AVR:          conv2d_s8_avr (dilation 1, windows under 512 taps), else the window path (their asm dot
//                 loops keep weights in flash; no stack to spare).
template <class Mem>
MINIML_ALWAYS_INLINE void conv2d_s8(const int8_t* input, const int8_t* weight, const int32_t* bias,
                                    const int32_t* multiplier, const int8_t* shift, int32_t input_zero_point,
                                    int32_t output_zero_point, int32_t act_min, int32_t act_max, index_t in_channels,
                                    index_t in_h, index_t in_w, index_t out_channels, index_t kernel_h,
                                    index_t kernel_w, index_t stride_h, index_t stride_w, index_t padding_h,
                                    index_t padding_w, index_t dilation_h, index_t dilation_w, index_t groups,
                                    index_t out_h, index_t out_w, int8_t* output) {
#if !defined(__AVR__)
  typedef detail::sindex_t sindex_t;
  const index_t group_in = static_cast<index_t>(in_channels / groups);
  const detail::ConvShape shape = {group_in,
                                   in_h,
                                   in_w,
                                   kernel_h,
                                   kernel_w,
                                   stride_h,
                                   stride_w,
                                   dilation_h,
                                   dilation_w,
                                   static_cast<sindex_t>(padding_h),
                                   static_cast<sindex_t>(padding_w),
                                   groups};
  const index_t pitch = detail::padded_width(in_w, padding_w, out_w, stride_w, kernel_w);  // (depthwise)
  if (groups == in_channels && groups == out_channels && dilation_h == 1 && dilation_w == 1 &&
      kernel_h * kernel_w <= detail::kDepthwiseTaps && (kernel_h + stride_h) * pitch <= MINIML_DEPTHWISE_BUFFER) {
    detail::depthwise_conv2d_s8<Mem>(
        shape, input, weight, bias, multiplier, shift, static_cast<int8_t>(input_zero_point), output_zero_point,
        act_min, act_max, out_h, out_w, detail::dw3x3_band_for(kernel_h, kernel_w, stride_h, stride_w, pitch, out_w),
        output);
    return;
  }
  if (group_in * kernel_h * kernel_w <= MINIML_IM2COL_MAX) {
    detail::conv2d_s8_im2col<Mem>(shape, input, weight, bias, multiplier, shift, static_cast<int8_t>(input_zero_point),
                                  output_zero_point, act_min, act_max, static_cast<index_t>(out_channels / groups),
                                  out_h, out_w, output);
    return;
  }
#endif
#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
  bool padded;
  if (detail::conv_avr_fits(static_cast<index_t>(in_channels / groups), in_h, in_w, kernel_h, kernel_w, stride_h,
                            stride_w, padding_h, padding_w, dilation_h, dilation_w, out_h, out_w, &padded)) {
    detail::conv2d_s8_avr<Mem>(input, weight, bias, multiplier, shift, static_cast<int8_t>(input_zero_point),
                               output_zero_point, act_min, act_max, in_channels, in_h, in_w, out_channels, kernel_h,
                               kernel_w, stride_h, stride_w, padding_h, padding_w, groups, out_h, out_w, padded,
                               output);
    return;
  }
#endif
  detail::conv2d_s8_window<Mem>(input, weight, bias, multiplier, shift, input_zero_point, output_zero_point, act_min,
                                act_max, in_channels, in_h, in_w, out_channels, kernel_h, kernel_w, stride_h, stride_w,
                                padding_h, padding_w, dilation_h, dilation_w, groups, out_h, out_w, output);
}

// Symmetric padding: out_h = (in_h + 2 padding_h - dilation_h (kernel_h - 1) - 1) / stride_h + 1 (floor),
// likewise out_w.
template <class Mem>
MINIML_ALWAYS_INLINE void conv2d_s8(const int8_t* input, const int8_t* weight, const int32_t* bias,
                                    const int32_t* multiplier, const int8_t* shift, int32_t input_zero_point,
                                    int32_t output_zero_point, int32_t act_min, int32_t act_max, index_t in_channels,
                                    index_t in_h, index_t in_w, index_t out_channels, index_t kernel_h,
                                    index_t kernel_w, index_t stride_h, index_t stride_w, index_t padding_h,
                                    index_t padding_w, index_t dilation_h, index_t dilation_w, index_t groups,
                                    int8_t* output) {
  conv2d_s8<Mem>(input, weight, bias, multiplier, shift, input_zero_point, output_zero_point, act_min, act_max,
                 in_channels, in_h, in_w, out_channels, kernel_h, kernel_w, stride_h, stride_w, padding_h, padding_w,
                 dilation_h, dilation_w, groups,
                 static_cast<index_t>((in_h + 2 * padding_h - dilation_h * (kernel_h - 1) - 1) / stride_h + 1),
                 static_cast<index_t>((in_w + 2 * padding_w - dilation_w * (kernel_w - 1) - 1) / stride_w + 1), output);
}

// The same with the layer's shape as one struct (the float kernels' Conv2dParams, pad_top/pad_left the
// start padding): generated code passes a constexpr Conv2dParams per layer.
template <class Mem>
MINIML_ALWAYS_INLINE void conv2d_s8(const int8_t* input, const int8_t* weight, const int32_t* bias,
                                    const int32_t* multiplier, const int8_t* shift, const Conv2dParams& p,
                                    int32_t input_zero_point, int32_t output_zero_point, int32_t act_min,
                                    int32_t act_max, int8_t* output) {
  conv2d_s8<Mem>(input, weight, bias, multiplier, shift, input_zero_point, output_zero_point, act_min, act_max,
                 p.in_channels, p.in_h, p.in_w, p.out_channels, p.kernel_h, p.kernel_w, p.stride_h, p.stride_w,
                 p.pad_top, p.pad_left, p.dilation_h, p.dilation_w, p.groups, p.out_h, p.out_w, output);
}

// conv2d_s8 (shape p, into conv_out) then max_pool2d_s8 (shape pool, bounds pool_min / pool_max, into
// output; conv_out may not overlap input or output, output may overlap input): what the exporter emits for a
// convolution whose only reader is a max pool. On AVR a pool of non-overlapping windows (kernel = stride, no
// padding or dilation, floor mode) runs fused (conv2d_s8_max_pool_avr): a quarter of the requantisations of a
// 2x2 pool remain, conv_out holds the input's padded copy (the arena plan may put output over input) and
// the pooled outputs go straight to output. Elsewhere, and for other pools, the two kernels as they are.
template <class Mem>
MINIML_ALWAYS_INLINE void conv2d_s8_max_pool(const int8_t* input, const int8_t* weight, const int32_t* bias,
                                             const int32_t* multiplier, const int8_t* shift, const Conv2dParams& p,
                                             int32_t input_zero_point, int32_t output_zero_point, int32_t act_min,
                                             int32_t act_max, const Pool2dParams& pool, int32_t pool_min,
                                             int32_t pool_max, int8_t* conv_out, int8_t* output) {
#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
  if (detail::conv_max_pool_avr_fits(p, pool) && detail::fits_s8(pool_min) && detail::fits_s8(pool_max) &&
      detail::fits_s8(output_zero_point) && detail::fits_s8(act_min) && detail::fits_s8(act_max)) {
    // A 3-wide kernel's rows unrolled (a constant choice in generated code: one path linked).
    void (*const run)(const int8_t*, const int8_t*, const int32_t*, const int32_t*, const int8_t*, int8_t, int8_t,
                      int8_t, int8_t, index_t, index_t, index_t, index_t, index_t, index_t, index_t, index_t, index_t,
                      index_t, index_t, index_t, index_t, int8_t, int8_t, int8_t*, int8_t*) =
        p.kernel_w == 3 ? detail::conv2d_s8_max_pool_avr<Mem, true> : detail::conv2d_s8_max_pool_avr<Mem, false>;
    run(input, weight, bias, multiplier, shift, static_cast<int8_t>(input_zero_point),
        static_cast<int8_t>(output_zero_point), static_cast<int8_t>(act_min), static_cast<int8_t>(act_max),
        p.in_channels, p.in_h, p.in_w, p.out_channels, p.kernel_h, p.kernel_w, p.stride_h, p.pad_top, p.pad_left,
        pool.kernel_h, pool.kernel_w, pool.out_h, pool.out_w, static_cast<int8_t>(pool_min),
        static_cast<int8_t>(pool_max), conv_out, output);
    return;
  }
#endif
  conv2d_s8<Mem>(input, weight, bias, multiplier, shift, p, input_zero_point, output_zero_point, act_min, act_max,
                 conv_out);
  max_pool2d_s8(conv_out, output, pool, pool_min, pool_max);
}

// 1-D convolution: input [in_channels][length], weight [out_channels][in_channels / groups][kernel_size];
// conv2d_s8 with a height of 1.
template <class Mem>
MINIML_ALWAYS_INLINE void conv1d_s8(const int8_t* input, const int8_t* weight, const int32_t* bias,
                                    const int32_t* multiplier, const int8_t* shift, int32_t input_zero_point,
                                    int32_t output_zero_point, int32_t act_min, int32_t act_max, index_t in_channels,
                                    index_t length, index_t out_channels, index_t kernel_size, index_t stride,
                                    index_t padding, index_t dilation, index_t groups, int8_t* output) {
  conv2d_s8<Mem>(input, weight, bias, multiplier, shift, input_zero_point, output_zero_point, act_min, act_max,
                 in_channels, 1, length, out_channels, 1, kernel_size, 1, stride, 0, padding, 1, dilation, groups,
                 output);
}

// conv1d_s8 with its output length given (the end padding is what out_length needs).
template <class Mem>
MINIML_ALWAYS_INLINE void conv1d_s8(const int8_t* input, const int8_t* weight, const int32_t* bias,
                                    const int32_t* multiplier, const int8_t* shift, int32_t input_zero_point,
                                    int32_t output_zero_point, int32_t act_min, int32_t act_max, index_t in_channels,
                                    index_t length, index_t out_channels, index_t kernel_size, index_t stride,
                                    index_t padding, index_t dilation, index_t groups, index_t out_length,
                                    int8_t* output) {
  conv2d_s8<Mem>(input, weight, bias, multiplier, shift, input_zero_point, output_zero_point, act_min, act_max,
                 in_channels, 1, length, out_channels, 1, kernel_size, 1, stride, 0, padding, 1, dilation, groups, 1,
                 out_length, output);
}

// conv1d_s8 with the layer's shape as one struct (the float kernels' Conv1dParams).
template <class Mem>
MINIML_ALWAYS_INLINE void conv1d_s8(const int8_t* input, const int8_t* weight, const int32_t* bias,
                                    const int32_t* multiplier, const int8_t* shift, const Conv1dParams& p,
                                    int32_t input_zero_point, int32_t output_zero_point, int32_t act_min,
                                    int32_t act_max, int8_t* output) {
  conv1d_s8<Mem>(input, weight, bias, multiplier, shift, input_zero_point, output_zero_point, act_min, act_max,
                 p.in_channels, p.in_length, p.out_channels, p.kernel_size, p.stride, p.padding, p.dilation, p.groups,
                 p.out_length, output);
}

}  // namespace miniml

#endif  // MINIML_OP_CONV_S8_H_
