// The 3x3 depthwise convolution of one channel on the Cortex-M4/M7/M33 DSP extension (depthwise_conv2d_s8's
// fast path): windows from a band of padded input rows, SXTB16/SMLAD over pairs of taps, requantisation by
// SMMLAR/SSAT. The same integers as requantize_s8 and the reference kernel.
#ifndef MINIML_OP_CONV_S8_DW_DSP_H_
#define MINIML_OP_CONV_S8_DW_DSP_H_

#include <stdint.h>

#include "core_types.h"

namespace miniml {
namespace detail {

struct Dw3x3Channel;
// The depthwise kernel's band of one channel on the DSP extension (an instance of depthwise3x3_band_dsp).
typedef void (*Dw3x3Band)(const int8_t* buf, index_t pitch, index_t rows_out, index_t out_w, const Dw3x3Channel& c,
                          int8_t* out);

#if defined(__ARM_FEATURE_DSP) && !defined(MINIML_NO_DSP)

// (lo, hi) as the int16 lanes of a word.
inline uint32_t lanes_s16(int32_t lo, int32_t hi) {
  return static_cast<uint16_t>(lo) | static_cast<uint32_t>(static_cast<uint16_t>(hi)) << 16;
}

// One channel's constants. The kernels sum 2 acc (weights and bias doubled), which turns TFLM's
// requantisation into one SMMLAR: with X = SaturatingRoundingDoublingHighMul(acc, m) = floor((acc m +
// 2^30) / 2^31) (m >= 0: both of its rounding cases are this floor) and e = -shift >= 1,
// RoundingDivideByPOT(X, e) + zp = floor((X + 2^(e-1) - [X < 0] + zp 2^e) / 2^e), [X < 0] may be [acc < 0]
// (they differ only where X = 0, and both give 0 there), and SMMLAR(2 acc, m, r) = r + X. So
// out = (SMMLAR(2 acc, m, offset + (2 acc >> 31)) >> e) clamped, offset = 2^(e-1) + zp 2^e; no overflow for
// |acc| < 2^30 and e <= 22.
struct Dw3x3Channel {
  uint32_t w[5];  // per filter row (w0, w2), then (w1 of rows 0, 1), (w1 of row 2, 0); all doubled
  int32_t bias2, multiplier, offset, shift;
  int32_t act_min, act_max;
  bool clamp;  // the bounds are narrower than int8's
};

// Fills c from w [3][3] and tells whether the channel fits the fast path: the shift in [-22, -1], m >= 0,
// and |2 acc| < 2^31 for any input (|acc - bias| <= 9 * 128 * 128 < 2^18).
inline bool dw3x3_channel(const int16_t* w, int32_t bias, int32_t m, int8_t s, int32_t zp, int32_t lo, int32_t hi,
                          Dw3x3Channel* c) {
  const int32_t room = (INT32_C(1) << 30) - (INT32_C(1) << 18);
  if (s > -1 || s < -22 || m < 0 || bias > room || bias < -room) return false;
  for (index_t ky = 0; ky < 3; ++ky) c->w[ky] = lanes_s16(2 * w[3 * ky], 2 * w[3 * ky + 2]);
  c->w[3] = lanes_s16(2 * w[1], 2 * w[4]);
  c->w[4] = lanes_s16(2 * w[7], 0);
  c->bias2 = 2 * bias;
  c->multiplier = m;
  c->shift = -s;
  c->offset = (2 * zp + 1) * (INT32_C(1) << (c->shift - 1));
  c->act_min = lo;
  c->act_max = hi;
  c->clamp = lo > -128 || hi < 127;
  return true;
}

// acc[0, 2 pairs) = 2 bias + a 3x3 filter at the stride-1 windows from row on, in a band of padded rows
// pitch bytes apart; wp: Dw3x3Channel::w. A row's word r0..r3 splits by SXTB16 into (r0, r2) and (r1, r3),
// which SMLAD takes against (w0, w2) as they are; the middle tap is one halfword multiply-accumulate. Two
// windows side by side per pass share every load: 27 instructions for 18 MACs. In asm: written in C, gcc
// -Os reloaded the weights from the stack for every multiply-accumulate.
MINIML_ALWAYS_INLINE void depthwise3x3_run_s8(const int8_t* row, index_t pitch, const uint32_t* wp, int32_t bias,
                                              int32_t* acc, index_t pairs) {
  if (pairs == 0) return;
  const int32_t* end = acc + 2 * pairs;
  uint32_t x, e;
  int32_t a0, a1;
// One filter row: its word split into e = (r0, r2) and x = (r1, r3), then the first window,
// a0 = INIT + (r0, r2) . (w0, w2) + r1 w1 (MID: the SMLA variant that picks w1's lane from M).
#define MINIML_DW3_ROW(ADDR, W, MID, M, INIT) \
  "ldr %[x], " ADDR                           \
  "\n\t"                                      \
  "sxtb16 %[e], %[x]\n\t"                     \
  "sxtb16 %[x], %[x], ror #8\n\t"             \
  "smlad %[a0], %[e], %[" W "], " INIT        \
  "\n\t"                                      \
  "smla" MID " %[a0], %[x], %[" M "], %[a0]\n\t"
  // The second window: (r1, r3) . (w0, w2) + r2 w1. Both start from a1 = the bias, read from memory (in a
  // register, 13 operands made the asm impossible for gcc -Og).
  __asm__ volatile("1:\n\t"
                   "ldr %[a1], %[b]\n\t" MINIML_DW3_ROW("[%[p]]", "w0", "bb", "m01", "%[a1]")
                   "smlad %[a1], %[x], %[w0], %[a1]\n\t"
                   "smlatb %[a1], %[e], %[m01], %[a1]\n\t" MINIML_DW3_ROW("[%[p], %[pitch]]", "w1", "bt", "m01",
                                                                          "%[a0]")
                   "smlad %[a1], %[x], %[w1], %[a1]\n\t"
                   "smlatt %[a1], %[e], %[m01], %[a1]\n\t" MINIML_DW3_ROW("[%[p], %[pitch], lsl #1]", "w2", "bb",
                                                                          "m2", "%[a0]")
                   "smlad %[a1], %[x], %[w2], %[a1]\n\t"
                   "smlatb %[a1], %[e], %[m2], %[a1]\n\t"
                   "adds %[p], %[p], #2\n\t"
                   "strd %[a0], %[a1], [%[acc]], #8\n\t"
                   "ldr %[x], %[end]\n\t"
                   "cmp %[acc], %[x]\n\t"
                   "bne 1b\n\t"
                   : [p] "+r"(row), [acc] "+r"(acc), [x] "=&r"(x), [e] "=&r"(e), [a0] "=&r"(a0), [a1] "=&r"(a1)
                   : [pitch] "r"(pitch), [w0] "r"(wp[0]), [w1] "r"(wp[1]), [w2] "r"(wp[2]), [m01] "r"(wp[3]),
                     [m2] "r"(wp[4]), [b] "m"(bias), [end] "m"(end)
                   : "cc", "memory");
}

// acc[2 i], acc[2 i + 1] = 2 bias + the 3x3 filter at the windows (2 k, j) and (2 k + 1, j) of the band at
// row, strides kStride, i = k n + j, for k < row_pairs, j < n (pairs of output rows, a column at a time): no
// window is wasted on the padding columns (side by side pairs over a 5-wide map compute 7 windows a row), a
// row pair's end is handled inside the loop (small maps paid a call per row), and the row shared by both
// windows (two at stride 1) is loaded once: 31 instructions for 18 MACs at stride 1, 34 at stride 2.
// The bottom window's filter row R from the word split in e, x (W, MID, M as in MINIML_DW3_ROW).
#define MINIML_DW3_BOTTOM(W, MID, M) \
  "smlad %[a1], %[e], %[" W          \
  "], %[a1]\n\t"                     \
  "smla" MID " %[a1], %[x], %[" M "], %[a1]\n\t"
#define MINIML_DW3_SPLIT(ADDR) \
  "ldr %[x], " ADDR            \
  "\n\t"                       \
  "sxtb16 %[e], %[x]\n\t"      \
  "sxtb16 %[x], %[x], ror #8\n\t"
template <int kStride>
MINIML_ALWAYS_INLINE void depthwise3x3_columns_s8(const int8_t* row, index_t pitch, const uint32_t* wp, int32_t bias,
                                                  int32_t* acc, index_t n, index_t row_pairs) {
  const int32_t* end = acc + 2 * n * row_pairs;
  const int32_t* row_end = acc + 2 * n;
  const index_t row_bytes = 8 * n, skip = 2 * kStride * pitch - kStride * n;
  uint32_t x, e;
  int32_t a0, a1;
  // The top window: rows 0-2 (a1 holds the bias until the bottom one starts); the bottom one: rows 1-3 at
  // stride 1, 2-4 at stride 2.
#define MINIML_DW3_TOP                                                       \
  "ldr %[a1], %[b]\n\t" MINIML_DW3_ROW("[%[p]]", "w0", "bb", "m01", "%[a1]") \
      MINIML_DW3_ROW("[%[p], %[pitch]]", "w1", "bt", "m01", "%[a0]")
#define MINIML_DW3_COLUMN_END                                                 \
  "strd %[a0], %[a1], [%[acc]], #8\n\t"                                       \
  "ldr %[x], %[row_end]\n\t"                                                  \
  "cmp %[acc], %[x]\n\t"                                                      \
  "bne 1b\n\t" /* the row pair's end: the next one's first window, or done */ \
  "ldr %[e], %[end]\n\t"                                                      \
  "cmp %[acc], %[e]\n\t"                                                      \
  "beq 2f\n\t"                                                                \
  "ldr %[e], %[row_bytes]\n\t"                                                \
  "add %[x], %[x], %[e]\n\t"                                                  \
  "str %[x], %[row_end]\n\t"                                                  \
  "ldr %[e], %[skip]\n\t"                                                     \
  "add %[p], %[p], %[e]\n\t"                                                  \
  "b 1b\n\t"                                                                  \
  "2:\n\t"
#define MINIML_DW3_COLUMN_OPERANDS                                                               \
  : [p] "+r"(row), [acc] "+r"(acc), [x] "=&r"(x), [e] "=&r"(e), [a0] "=&r"(a0), [a1] "=&r"(a1),              \
    [row_end] "+m"(row_end)                                                                                 \
  : [pitch] "r"(pitch), [w0] "r"(wp[0]), [w1] "r"(wp[1]), [w2] "r"(wp[2]), [m01] "r"(wp[3]),          \
    [m2] "r"(wp[4]), [b] "m"(bias), [end] "m"(end), [row_bytes] "m"(row_bytes), [skip] "m"(skip)             \
  : "cc", "memory"
// Stride 1: rows 1 and 2 feed both windows; stride 2: row 2 does. Row 3 is read through e = row 2's address
// (a register for 3 pitch, a 13th operand, made the asm impossible for gcc -O1).
// clang-format off
#define MINIML_DW3_STRIDE1                                              \
  MINIML_DW3_TOP                                                        \
  MINIML_DW3_BOTTOM("w0", "bb", "m01")                                  \
  MINIML_DW3_ROW("[%[p], %[pitch], lsl #1]", "w2", "bb", "m2", "%[a0]") \
  MINIML_DW3_BOTTOM("w1", "bt", "m01")                                  \
  "add %[e], %[p], %[pitch], lsl #1\n\t"                                \
  MINIML_DW3_SPLIT("[%[e], %[pitch]]")                                  \
  MINIML_DW3_BOTTOM("w2", "bb", "m2")                                   \
  "adds %[p], %[p], #1\n\t"
#define MINIML_DW3_STRIDE2                                              \
  MINIML_DW3_TOP                                                        \
  MINIML_DW3_ROW("[%[p], %[pitch], lsl #1]", "w2", "bb", "m2", "%[a0]") \
  MINIML_DW3_BOTTOM("w0", "bb", "m01")                                  \
  "add %[e], %[p], %[pitch], lsl #1\n\t"                                \
  MINIML_DW3_SPLIT("[%[e], %[pitch]]")                                  \
  MINIML_DW3_BOTTOM("w1", "bt", "m01")                                  \
  MINIML_DW3_SPLIT("[%[p], %[pitch], lsl #2]")                          \
  MINIML_DW3_BOTTOM("w2", "bb", "m2")                                   \
  "adds %[p], %[p], #2\n\t"
  // clang-format on
  if (kStride == 1) {
    __asm__ volatile("1:\n\t" MINIML_DW3_STRIDE1 MINIML_DW3_COLUMN_END MINIML_DW3_COLUMN_OPERANDS);
  } else {
    __asm__ volatile("1:\n\t" MINIML_DW3_STRIDE2 MINIML_DW3_COLUMN_END MINIML_DW3_COLUMN_OPERANDS);
  }
#undef MINIML_DW3_STRIDE1
#undef MINIML_DW3_STRIDE2
#undef MINIML_DW3_TOP
#undef MINIML_DW3_COLUMN_END
#undef MINIML_DW3_COLUMN_OPERANDS
}
#undef MINIML_DW3_BOTTOM
#undef MINIML_DW3_SPLIT
#undef MINIML_DW3_ROW

// One doubled accumulator requantised (see Dw3x3Channel).
MINIML_ALWAYS_INLINE int8_t dw3x3_requant_one(int32_t acc2, const Dw3x3Channel& c) {
  int32_t r = c.offset + (acc2 >> 31);
  __asm__("smmlar %[r], %[a], %[m], %[r]" : [r] "+r"(r) : [a] "r"(acc2), [m] "r"(c.multiplier));
  r >>= c.shift;
  r = r < c.act_min ? c.act_min : r > c.act_max ? c.act_max : r;
  return static_cast<int8_t>(r);
}

// Pairs of doubled accumulators acc[2 i], acc[2 i + 1] requantised into out[kStep i] and out[kStep i + other],
// for rows of pairs pairs each, out passing other more bytes after each row (the bottom rows of
// depthwise3x3_columns_s8's row pairs), saturated to int8 (bounds narrower than that: dw3x3_clamp after):
// 12 instructions a pair.
template <int kStep>
MINIML_ALWAYS_INLINE void dw3x3_requant_pairs(const int32_t* acc, index_t pairs, index_t rows, const Dw3x3Channel& c,
                                              int8_t* out, index_t other) {
  if (pairs == 0) return;
  const int32_t* end = acc + 2 * pairs * rows;
  const int32_t* row_end = acc + 2 * pairs;
  const int32_t row_bytes[1] = {static_cast<int32_t>(8 * pairs)};  // in memory: read once a row
  int32_t a0, a1, t0, t1;
  __asm__ volatile(
      "1:\n\t"
      "ldrd %[a0], %[a1], [%[acc]], #8\n\t"
      "add %[t0], %[off], %[a0], asr #31\n\t"
      "smmlar %[t0], %[a0], %[m], %[t0]\n\t"
      "asr %[t0], %[t0], %[sh]\n\t"
      "ssat %[t0], #8, %[t0]\n\t"
      "add %[t1], %[off], %[a1], asr #31\n\t"
      "smmlar %[t1], %[a1], %[m], %[t1]\n\t"
      "asr %[t1], %[t1], %[sh]\n\t"
      "ssat %[t1], #8, %[t1]\n\t"
      "strb %[t1], [%[out], %[other]]\n\t"
      "strb %[t0], [%[out]], %[step]\n\t"
      "cmp %[acc], %[row_end]\n\t"
      "bne 1b\n\t"
      "add %[out], %[out], %[other]\n\t"
      "ldr %[t0], %[row_bytes]\n\t"
      "add %[row_end], %[row_end], %[t0]\n\t"
      "cmp %[acc], %[end]\n\t"
      "bne 1b\n\t"
      : [acc] "+r"(acc), [out] "+r"(out), [row_end] "+&r"(row_end), [a0] "=&r"(a0), [a1] "=&r"(a1), [t0] "=&r"(t0),
        [t1] "=&r"(t1)
      : [m] "r"(c.multiplier), [off] "r"(c.offset), [sh] "r"(c.shift), [other] "r"(other), [step] "i"(kStep),
        [end] "r"(end), [row_bytes] "m"(row_bytes[0])
      : "cc", "memory");
}

// out[i] clamped to the channel's bounds, i < n (fused activations narrower than int8; rare).
inline void dw3x3_clamp(int8_t* out, index_t n, const Dw3x3Channel& c) {
  for (index_t i = 0; i < n; ++i) {
    out[i] = static_cast<int8_t>(out[i] < c.act_min ? c.act_min : out[i] > c.act_max ? c.act_max : out[i]);
  }
}

// Windows per run of depthwise3x3_run_s8 (their int32 sums wait on the stack for requantisation).
constexpr index_t kDepthwiseRun = 128;

// True when column pairs (depthwise3x3_columns_s8) cost less than side by side runs over the padded pitch.
inline bool dw3x3_by_columns(index_t stride_h, index_t stride_w, index_t pitch, index_t out_w) {
  if (stride_h != stride_w || out_w > kDepthwiseRun / 2) return false;  // (a pair of rows per block at least)
  return stride_h == 2 || (stride_h == 1 && 15 * out_w < 13 * pitch);
}

// rows_out output rows of one channel from a band of padded rows (buf, pitch bytes apart) into out.
//   kColumns 1 or 2: by columns at that stride, two output rows at a time (the last one of an odd count
//   twice, its store overlapping).
//   0: runs of side by side pairs at stride 1, requantised a run at a time; a run spans several output rows,
//   one byte apart (a row's last pitch - out_w windows pass its end: computed, then dropped when the rows'
//   sums are moved together), so the run's setup is paid once per group of rows.
// buf holds stride rows past the band (the column pairs' spare window) and 4 bytes past them (word reads).
// Out of line: inlined into depthwise_conv2d_s8's channel loop, its loops ran with every value spilled.
template <int kColumns>
__attribute__((noinline)) void depthwise3x3_band_dsp(const int8_t* buf, index_t pitch, index_t rows_out, index_t out_w,
                                                     const Dw3x3Channel& c, int8_t* out) {
  int32_t acc[kDepthwiseRun];
  if (kColumns) {
    // Row pairs per block of kDepthwiseRun sums (dw3x3_by_columns: out_w <= kDepthwiseRun / 2); an odd
    // count's last row alone, its spare row's sum dropped (its store overlaps, other 0).
    const index_t block = static_cast<index_t>(kDepthwiseRun / (2 * out_w));
    for (index_t oy = 0, pairs = 0; oy < rows_out; oy = static_cast<index_t>(oy + 2 * pairs)) {
      pairs = static_cast<index_t>((rows_out - oy) / 2);
      if (pairs > block) pairs = block;
      const bool single = pairs == 0;
      if (single) pairs = 1;
      depthwise3x3_columns_s8<kColumns>(buf + kColumns * oy * pitch, pitch, c.w, c.bias2, acc, out_w, pairs);
      dw3x3_requant_pairs<1>(acc, out_w, pairs, c, out + oy * out_w, single ? 0 : out_w);
      if (c.clamp) dw3x3_clamp(out + oy * out_w, static_cast<index_t>((single ? 1 : 2 * pairs) * out_w), c);
    }
    return;
  }
  const bool flat = pitch <= kDepthwiseRun;
  // Output rows per run (flat: as many as kDepthwiseRun windows hold).
  const index_t group = flat ? static_cast<index_t>((kDepthwiseRun - out_w) / pitch + 1) : 1;
  for (index_t oy = 0; oy < rows_out; oy = static_cast<index_t>(oy + group)) {
    const index_t rows = rows_out - oy < group ? static_cast<index_t>(rows_out - oy) : group;
    const int8_t* row = buf + oy * pitch;
    for (index_t done = 0; done < out_w; done = static_cast<index_t>(done + kDepthwiseRun)) {
      // A flat run: rows whole rows; otherwise up to kDepthwiseRun windows of one row.
      const index_t count = flat ? static_cast<index_t>((rows - 1) * pitch + out_w)
                                 : (out_w - done < kDepthwiseRun ? static_cast<index_t>(out_w - done) : kDepthwiseRun);
      const index_t pairs = static_cast<index_t>((count + 1) / 2);  // an odd count's last pair has a spare window
      depthwise3x3_run_s8(row + done, pitch, c.w, c.bias2, acc, pairs);
      index_t n = count;
      if (flat) {  // the rows' sums, pitch apart, moved together (in place, forward) for one requantisation
        int32_t* to = acc + out_w;
        for (index_t r = 1; r < rows; ++r) {
          const int32_t* from = acc + r * pitch;
          for (index_t i = 0; i < out_w; ++i) *to++ = from[i];
        }
        n = static_cast<index_t>(rows * out_w);
      }
      dw3x3_requant_pairs<2>(acc, n / 2, 1, c, out, 1);
      if (n & 1) out[n - 1] = dw3x3_requant_one(acc[n - 1], c);
      if (c.clamp) dw3x3_clamp(out, n, c);
      out += n;
    }
  }
}

#endif

// The band kernel for a depthwise layer of this shape: null (the portable loop) unless it is a 3x3 filter on
// the DSP extension at stride 1 or 2 (both ways). Always inlined: on generated code's constant shapes only the
// returned instance is linked.
MINIML_ALWAYS_INLINE Dw3x3Band dw3x3_band_for(index_t kernel_h, index_t kernel_w, index_t stride_h, index_t stride_w,
                                              index_t pitch, index_t out_w) {
#if defined(__ARM_FEATURE_DSP) && !defined(MINIML_NO_DSP)
  if (kernel_h != 3 || kernel_w != 3 || stride_h != stride_w || stride_h > 2) return 0;
  if (dw3x3_by_columns(stride_h, stride_w, pitch, out_w)) {
    return stride_h == 1 ? depthwise3x3_band_dsp<1> : depthwise3x3_band_dsp<2>;
  }
  return stride_h == 1 ? depthwise3x3_band_dsp<0> : 0;  // (stride 2 over 64 outputs wide: the portable loop)
#else
  (void)kernel_h, (void)kernel_w, (void)stride_h, (void)stride_w, (void)pitch, (void)out_w;
  return 0;
#endif
}

}  // namespace detail
}  // namespace miniml

#endif  // MINIML_OP_CONV_S8_DW_DSP_H_
