// conv2d_s8_gemm: conv2d_s8 for a one-group convolution whose window (in_channels, kernel_h, kernel_w) the
// exporter passes as template parameters (compile-time constants however many layers call it). On the Cortex-M4/M7/M33
// DSP extension, for windows of at most MINIML_GEMM_BUFFER / 8 taps, a matrix product: the columns of a block of output
// pixel pairs widened to int16 once (a 1x1 stride-1 unpadded layer with a multiple of 4 input channels straight from
// the [C][H][W] activations, others gathered as im2col columns), each output channel pair's weights widened once per
// block, two output channels x two output pixels per inner loop (LDRD/SMLAD, 12 instructions for 16 MACs), and the
// requantisation in asm with SSAT/SSUB8/SEL. Every other case, and every other core, runs conv2d_s8: the
// same integers.
#ifndef MINIML_OP_CONV_S8_GEMM_H_
#define MINIML_OP_CONV_S8_GEMM_H_

#include <stdint.h>
#include <string.h>

#include "op_conv_s8.h"

namespace miniml {
namespace detail {

#if defined(__ARM_FEATURE_DSP) && !defined(MINIML_NO_DSP)
// Bytes of widened pixel pairs on the stack (taps rounded up to 4, times 4, per pair): the pairs of a block
// share one widening of each output channel pair's weights and one read of their constants.
#ifndef MINIML_GEMM_BUFFER
#define MINIML_GEMM_BUFFER 2048
#endif
// 1x1 layers with a multiple of 8 input channels below this share one copy of the kernel (kC 0 below).
constexpr index_t kSmallPointwise = 32;

// Pixels p and p + 1 (in: pixel p of channel 0, plane bytes per channel) of channels [0, quads * 4) in
// dot_2x2_widened_s8's column layout: per 4 channels (a0 a2) (a1 a3) (b0 b2) (b1 b3) as int16 lanes (a: pixel
// p, b: p + 1). Two channels' halfwords (a0 b0), (a2 b2) make one word that SXTB16 splits into (a0 a2) and
// (b0 b2): 12 instructions per 4 channels, no byte gather.
MINIML_ALWAYS_INLINE void widen_pixel_pair_s8(const int8_t* in, index_t plane, index_t quads, uint32_t* wide) {
  for (index_t q = 0; q < quads; ++q, in += 4 * plane, wide += 4) {
    uint16_t h0, h1, h2, h3;
    memcpy(&h0, in, 2);
    memcpy(&h1, in + plane, 2);
    memcpy(&h2, in + 2 * plane, 2);
    memcpy(&h3, in + 3 * plane, 2);
    const uint32_t even = h0 | static_cast<uint32_t>(h2) << 16, odd = h1 | static_cast<uint32_t>(h3) << 16;
    wide[0] = sxtb16(even);
    wide[1] = sxtb16(odd);
    wide[2] = sxtb16_ror8(even);
    wide[3] = sxtb16_ror8(odd);
  }
}

// The same for an odd map's last pixel alone (b = a: pixel p + 1 may be past the tensor).
inline void widen_pixel_s8(const int8_t* in, index_t plane, index_t quads, uint32_t* wide) {
  for (index_t q = 0; q < quads; ++q, in += 4 * plane, wide += 4) {
    const uint32_t even = static_cast<uint8_t>(in[0]) | static_cast<uint32_t>(static_cast<uint8_t>(in[2 * plane]))
                                                            << 16;
    const uint32_t odd = static_cast<uint8_t>(in[plane]) | static_cast<uint32_t>(static_cast<uint8_t>(in[3 * plane]))
                                                               << 16;
    wide[0] = wide[2] = sxtb16(even);
    wide[1] = wide[3] = sxtb16(odd);
  }
}

// The count pixels from in (pixel p0 of channel 0) of a 1x1 layer, widened pair by pair (a lone last pixel
// as a pair with itself) into wide, words apart. Out of line: once per block, one copy for every layer.
__attribute__((noinline)) inline void widen_pixel_block_s8(const int8_t* in, index_t plane, index_t quads,
                                                           index_t count, index_t words, uint32_t* wide) {
  for (index_t j = 0; j < count / 2; ++j, in += 2, wide += words) widen_pixel_pair_s8(in, plane, quads, wide);
  if (count & 1) widen_pixel_s8(in, plane, quads, wide);
}

// col = the window whose top left tap is in (inside the input, dilation 1) in the weight layout: kC
// channels (plane bytes apart) of kKh rows (in_w apart) of kKw bytes, each row one fixed-size copy (a
// halfword and a byte for 3 taps), no test per tap.
template <index_t kC, index_t kKh, index_t kKw>
MINIML_ALWAYS_INLINE void gather_window_s8(const int8_t* in, index_t in_w, index_t plane, int8_t* col) {
  for (index_t c = 0; c < kC; ++c, in += plane) {
    const int8_t* row = in;
    for (index_t ky = 0; ky < kKh; ++ky, row += in_w, col += kKw) memcpy(col, row, kKw);
  }
}

// col = the window at (y0, x0) of a window touching the padding (or dilated), in the weight layout: taps in
// the padding read pad (the input zero point: the bias is folded). One small copy for every layer, instead
// of im2col_s8 (border windows are few).
__attribute__((noinline)) inline void gather_border_s8(const ConvShape& s, const int8_t* input, sindex_t y0,
                                                       sindex_t x0, int8_t pad, int8_t* col) {
  const sindex_t in_h = static_cast<sindex_t>(s.in_h), in_w = static_cast<sindex_t>(s.in_w);
  for (index_t c = 0; c < s.in_channels; ++c, input += s.in_h * s.in_w) {
    sindex_t iy = y0;
    for (index_t ky = 0; ky < s.kernel_h; ++ky, iy = static_cast<sindex_t>(iy + s.dilation_h)) {
      sindex_t ix = x0;
      for (index_t kx = 0; kx < s.kernel_w; ++kx, ix = static_cast<sindex_t>(ix + s.dilation_w)) {
        *col++ = iy >= 0 && iy < in_h && ix >= 0 && ix < in_w ? input[iy * in_w + ix] : pad;
      }
    }
  }
}

// Two weight rows w0, w1 of taps taps widened for dot_2x2_widened_s8: per 4 taps row 0's SXTB16 halves
// (w0 w2) (w1 w3), then row 1's; a last partial 4 padded with zero weights (which the zero-padded columns
// meet). Weights in flash or SRAM are both plain memory on the Cortex-M. Out of line: once per output
// channel pair and block, one copy for every layer (flash).
__attribute__((noinline)) inline void widen_2rows_s8(const int8_t* w0, const int8_t* w1, index_t taps, uint32_t* wide) {
  const index_t whole = static_cast<index_t>(taps & ~static_cast<index_t>(3));
  if (whole != 0) {  // 10 instructions per 4 taps (in C, gcc took 19)
    const int8_t* end = w0 + whole;
    uint32_t x, y, e, o;
    __asm__ volatile(
        "1:\n\t"
        "ldr %[x], [%[w0]], #4\n\t"
        "ldr %[y], [%[w1]], #4\n\t"
        "sxtb16 %[e], %[x]\n\t"
        "sxtb16 %[o], %[x], ror #8\n\t"
        "strd %[e], %[o], [%[wide]], #16\n\t"
        "sxtb16 %[e], %[y]\n\t"
        "sxtb16 %[o], %[y], ror #8\n\t"
        "strd %[e], %[o], [%[wide], #-8]\n\t"
        "cmp %[w0], %[end]\n\t"
        "bne 1b\n\t"
        : [w0] "+r"(w0), [w1] "+r"(w1), [wide] "+r"(wide), [x] "=&r"(x), [y] "=&r"(y), [e] "=&r"(e), [o] "=&r"(o)
        : [end] "r"(end)
        : "cc", "memory");
  }
  if (taps != whole) {  // the last partial 4, bytes little-endian
    uint32_t r0 = 0, r1 = 0;
    for (index_t i = 0; i < taps - whole; ++i) {
      r0 |= static_cast<uint32_t>(static_cast<uint8_t>(w0[i])) << (8 * i);
      r1 |= static_cast<uint32_t>(static_cast<uint8_t>(w1[i])) << (8 * i);
    }
    wide[0] = sxtb16(r0);
    wide[1] = sxtb16_ror8(r0);
    wide[2] = sxtb16(r1);
    wide[3] = sxtb16_ror8(r1);
  }
}

// a00 += w_0 . col_0, a01 += w_0 . col_1, a10 += w_1 . col_0, a11 += w_1 . col_1 over quads * 4 >= 4 taps,
// both operands widened (widen_pixel_pair_s8, widen_2rows_s8): per 4 taps four LDRDs and eight SMLADs, 12
// instructions for 16 MACs. loop: kDotAuto picks the loop from quads (a constant in the hot loops), kDotPairs
// takes an even quads, two 4s a step, kDotCompact any, one 4 a step (the rare paths: less code, 3 more
// instructions per 4).
enum DotLoop { kDotAuto, kDotPairs, kDotCompact };
MINIML_ALWAYS_INLINE void dot_2x2_widened_s8(const uint32_t* col, const uint32_t* w, index_t quads, int32_t& a00,
                                             int32_t& a01, int32_t& a10, int32_t& a11, DotLoop loop = kDotAuto) {
#define MINIML_PW_DOT_BODY                  \
  "ldrd %[x0e], %[x0o], [%[c]], #16\n\t"    \
  "ldrd %[x1e], %[x1o], [%[c], #-8]\n\t"    \
  "ldrd %[we], %[wo], [%[w]], #16\n\t"      \
  "smlad %[a00], %[x0e], %[we], %[a00]\n\t" \
  "smlad %[a00], %[x0o], %[wo], %[a00]\n\t" \
  "smlad %[a01], %[x1e], %[we], %[a01]\n\t" \
  "smlad %[a01], %[x1o], %[wo], %[a01]\n\t" \
  "ldrd %[we], %[wo], [%[w], #-8]\n\t"      \
  "smlad %[a10], %[x0e], %[we], %[a10]\n\t" \
  "smlad %[a10], %[x0o], %[wo], %[a10]\n\t" \
  "smlad %[a11], %[x1e], %[we], %[a11]\n\t" \
  "smlad %[a11], %[x1o], %[wo], %[a11]\n\t"
#define MINIML_PW_DOT_OPS                                                                                           \
  [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [c] "+r"(col), [w] "+r"(w), [x0e] "=&r"(x0e), \
      [x0o] "=&r"(x0o), [x1e] "=&r"(x1e), [x1o] "=&r"(x1o), [we] "=&r"(we), [wo] "=&r"(wo)
  uint32_t x0e, x0o, x1e, x1o, we, wo;
  const uint32_t* end;  // where a loop of BODIES (a whole number of bodies per step) stops
#define MINIML_PW_DOT_LOOP(BODIES)         \
  __asm__ volatile("1:\n\t" BODIES         \
                   "ldr %[we], %[end]\n\t" \
                   "cmp %[w], %[we]\n\t"   \
                   "bne 1b\n\t"            \
                   : MINIML_PW_DOT_OPS     \
                   : [end] "m"(end)        \
                   : "cc", "memory")
  if (loop == kDotCompact) {
    end = w + 4 * quads;
    MINIML_PW_DOT_LOOP(MINIML_PW_DOT_BODY);
  } else if (loop == kDotPairs) {
    end = w + 4 * quads;
    MINIML_PW_DOT_LOOP(MINIML_PW_DOT_BODY MINIML_PW_DOT_BODY);
  } else if (quads % 4 == 0 && quads >= 8) {  // long whole-4 runs (a constant in the hot loops): 4 per step
    end = w + 4 * quads;
    MINIML_PW_DOT_LOOP(MINIML_PW_DOT_BODY MINIML_PW_DOT_BODY MINIML_PW_DOT_BODY MINIML_PW_DOT_BODY);
  } else {
    if (quads & 1) __asm__ volatile(MINIML_PW_DOT_BODY:MINIML_PW_DOT_OPS : : "memory");
    if (quads >= 2) {
      end = w + 4 * (quads & ~static_cast<index_t>(1));
      MINIML_PW_DOT_LOOP(MINIML_PW_DOT_BODY MINIML_PW_DOT_BODY);
    }
  }
#undef MINIML_PW_DOT_LOOP
#undef MINIML_PW_DOT_BODY
#undef MINIML_PW_DOT_OPS
}

// One output channel's constants for requant_2x2_s8, as RunRequant's fast case has them, two channels
// after each other then the bounds: one LDRD and one LDR per channel in the asm.
struct PairRequant {
  int32_t multiplier0, offset0, shift0, multiplier1, offset1, shift1;
  uint32_t act_min4, act_max4;  // the bounds in all four int8 lanes
};

// out[0], out[1] = the fast requantisation of a00, a01 by channel 0 of r, out[pitch], out[pitch + 1] of a10,
// a11 by channel 1: each sum scaled and saturated to int8 (SSAT), the four packed as the bytes of a word,
// clamped together by SSUB8/SEL and stored as two halfwords (43 instructions). In asm: the GE flags SEL
// reads are not visible to the compiler.
MINIML_ALWAYS_INLINE void requant_2x2_s8(int32_t a00, int32_t a01, int32_t a10, int32_t a11, const PairRequant& r,
                                         int8_t* out, index_t pitch) {
  int32_t m, off, sh, t0, t1;
// Channel (A0, A1) with the constants at byte AT of r into the low two bytes of Y (T: scratch; A0 and T
// overwritten).
#define MINIML_PW_REQUANT(A0, A1, AT, Y, T) \
  "ldrd %[m], %[off], [%[r], #" AT          \
  "]\n\t"                                   \
  "ldr %[sh], [%[r], #" AT                  \
  "+8]\n\t"                                 \
  "asr %[" Y "], %[" A0                     \
  "], #31\n\t"                              \
  "and %[t1], %[" A0                        \
  "], #0x80000000\n\t"                      \
  "orr %[t1], %[t1], #0x40000000\n\t"       \
  "smlal %[t1], %[" Y "], %[" A0            \
  "], %[m]\n\t"                             \
  "add %[" Y "], %[" Y                      \
  "], %[off]\n\t"                           \
  "asr %[" Y "], %[" Y                      \
  "], %[sh]\n\t"                            \
  "asr %[" T "], %[" A1                     \
  "], #31\n\t"                              \
  "and %[t1], %[" A1                        \
  "], #0x80000000\n\t"                      \
  "orr %[t1], %[t1], #0x40000000\n\t"       \
  "smlal %[t1], %[" T "], %[" A1            \
  "], %[m]\n\t"                             \
  "add %[" T "], %[" T                      \
  "], %[off]\n\t"                           \
  "asr %[" T "], %[" T                      \
  "], %[sh]\n\t"                            \
  "ssat %[" Y "], #8, %[" Y                 \
  "]\n\t"                                   \
  "ssat %[" T "], #8, %[" T                 \
  "]\n\t"                                   \
  "bfi %[" Y "], %[" T "], #8, #8\n\t"
  __asm__ volatile(MINIML_PW_REQUANT("a00", "a01", "0", "t0", "a00")
                       MINIML_PW_REQUANT("a10", "a11", "12", "a01", "a10") "pkhbt %[t0], %[t0], %[a01], lsl #16\n\t"
                                                                           "ldrd %[m], %[off], [%[r], #24]\n\t"
                                                                           "ssub8 %[t1], %[t0], %[m]\n\t"
                                                                           "sel %[t0], %[t0], %[m]\n\t"
                                                                           "ssub8 %[t1], %[t0], %[off]\n\t"
                                                                           "sel %[t0], %[off], %[t0]\n\t"
                                                                           "strh %[t0], [%[out]]\n\t"
                                                                           "lsr %[t0], %[t0], #16\n\t"
                                                                           "strh %[t0], [%[out], %[pitch]]\n\t"
                   : [a00] "+&r"(a00), [a01] "+&r"(a01), [a10] "+&r"(a10), [m] "=&r"(m), [off] "=&r"(off),
                     [sh] "=&r"(sh), [t0] "=&r"(t0), [t1] "=&r"(t1)
                   : [a11] "r"(a11), [r] "r"(&r), [out] "r"(out), [pitch] "r"(pitch)
                   : "cc", "memory");
#undef MINIML_PW_REQUANT
}

// pr's channels = the fast requantisation constants of (m0, s0), (m1, s1) (see RunRequant); false when
// either channel needs the slow case.
inline bool pair_requant(int32_t m0, int8_t s0, int32_t m1, int8_t s1, int32_t output_zero_point, PairRequant& pr) {
  const bool fast = s0 <= -2 && s0 >= -23 && m0 >= 0 && s1 <= -2 && s1 >= -23 && m1 >= 0;
  if (fast) {
    pr.multiplier0 = m0;
    pr.shift0 = -s0 - 1;
    pr.offset0 = (2 * output_zero_point + 1) * (INT32_C(1) << (pr.shift0 - 1));
    pr.multiplier1 = m1;
    pr.shift1 = -s1 - 1;
    pr.offset1 = (2 * output_zero_point + 1) * (INT32_C(1) << (pr.shift1 - 1));
  }
  return fast;
}

// out[0] (and out[1] when two) = requantize_s8 of a0 (a1), out of line: the rare slow channel or last pixel.
__attribute__((noinline)) inline void requant_pixels_slow_s8(int32_t a0, int32_t a1, int32_t m, int8_t s,
                                                             int32_t output_zero_point, int32_t act_min,
                                                             int32_t act_max, bool two, int8_t* out) {
  out[0] = requantize_s8_outline(a0, m, s, output_zero_point, act_min, act_max);
  if (two) out[1] = requantize_s8_outline(a1, m, s, output_zero_point, act_min, act_max);
}

// An output channel pair's bias and requantisation as the model has them (both: not a lone last channel).
struct SlowPair {
  int32_t bias0, bias1, multiplier0, multiplier1;
  int8_t shift0, shift1;
  bool both;
};

// Output pixel pairs [j, pairs) of a block (count pixels; wide: their columns, words apart) against the
// widened rows of channels c0 (always stored) and c1 (stored when both), requantised one by one: a slow
// or lone channel, or a lone last pixel. Out of line: rare, one copy for every layer.
__attribute__((noinline)) inline void gemm_pairs_slow_s8(const uint32_t* wide, index_t words, const uint32_t* rows,
                                                         index_t j, index_t pairs, index_t count, const SlowPair& c,
                                                         int32_t output_zero_point, int32_t act_min, int32_t act_max,
                                                         int8_t* out, index_t pitch) {
  for (wide += j * words, out += 2 * j; j < pairs; ++j, wide += words, out += 2) {
    int32_t a00 = c.bias0, a01 = c.bias0, a10 = c.bias1, a11 = c.bias1;
    dot_2x2_widened_s8(wide, rows, static_cast<index_t>(words / 4), a00, a01, a10, a11, kDotCompact);
    const bool two = 2 * j + 1 < count;
    requant_pixels_slow_s8(a00, a01, c.multiplier0, c.shift0, output_zero_point, act_min, act_max, two, out);
    if (c.both) {
      requant_pixels_slow_s8(a10, a11, c.multiplier1, c.shift1, output_zero_point, act_min, act_max, two, out + pitch);
    }
  }
}

// Output channels oc and oc1 (oc1 == oc: a lone last channel) for a block: c their constants, pr their fast
// requantisation, rows their weights (w: oc's row of taps) widened; whether both are fast. Out of line: once
// per channel pair and block, one copy for every layer (flash).
template <class Mem>
__attribute__((noinline)) bool gemm_pair_setup(const int8_t* w, index_t taps, index_t oc, index_t oc1,
                                               const int32_t* bias, const int32_t* multiplier, const int8_t* shift,
                                               int32_t output_zero_point, SlowPair& c, PairRequant& pr,
                                               uint32_t* rows) {
  c.bias0 = Mem::read(bias + oc);
  c.bias1 = Mem::read(bias + oc1);
  c.multiplier0 = Mem::read(multiplier + oc);
  c.multiplier1 = Mem::read(multiplier + oc1);
  c.shift0 = Mem::read(shift + oc);
  c.shift1 = Mem::read(shift + oc1);
  c.both = oc1 != oc;
  widen_2rows_s8(w, w + (oc1 - oc) * taps, taps, rows);
  return pair_requant(c.multiplier0, c.shift0, c.multiplier1, c.shift1, output_zero_point, pr) && c.both;
}

// output[oc][p] = requant(bias[oc] + the window of output pixel p . weight[oc]) for oc < out_c, p < pixels
// (one group of kC channels, kKh x kKw kernels; out_w: the output row length). kPointwise: s is 1x1, stride
// 1, unpadded, kC a multiple of 4 (columns straight from input); otherwise windows inside the input are
// gathered by gather_window_s8 (dilation 1), the others by gather_border_s8. Pixels go in blocks of pixel pairs,
// widened once; each output channel pair's weights are widened once per block, then it runs over the
// block's pairs. (The output channel count is no template parameter: layers that differ only in it share
// the code.)
template <class Mem, index_t kC, index_t kKh, index_t kKw, bool kPointwise>
MINIML_CONV_PATH void gemm_conv2d_s8_dsp(const ConvShape& s, const int8_t* input, index_t out_w, index_t pixels,
                                         index_t out_c, int8_t pad, const int8_t* weight, const int32_t* bias,
                                         const int32_t* multiplier, const int8_t* shift, int32_t output_zero_point,
                                         int32_t act_min, int32_t act_max, int8_t* output) {
  // kC 0: a 1x1 layer of s.in_channels channels, a multiple of 8 below kSmallPointwise, the counts at run time
  // (one copy for all such layers: flash; an even number of 4s, so the dot loop is the same).
  const index_t kTaps = kC * kKh * kKw, taps = kC != 0 ? kTaps : s.in_channels;
  const index_t kQuads = (kTaps + 3) / 4, quads = static_cast<index_t>((taps + 3) / 4);
  const index_t kWords = kC != 0 ? 4 * kQuads : kSmallPointwise, words = static_cast<index_t>(4 * quads);
  // Pixel pairs per block (at least one: a dead instance for windows too large for the buffer must compile).
  const index_t kBlockPairs = kWords * 4 < MINIML_GEMM_BUFFER ? MINIML_GEMM_BUFFER / (kWords * 4) : 1;
  const index_t block_pairs = kC != 0 ? kBlockPairs : static_cast<index_t>(MINIML_GEMM_BUFFER / (words * 4));
  uint32_t wide[kC != 0 ? kBlockPairs * kWords : MINIML_GEMM_BUFFER / 4];  // the block's pixel pairs
  uint32_t rows[kWords];                                                   // an output channel pair's weights
  int8_t col[kPointwise ? 4 : 2 * kWords];  // im2col: a pair's int8 columns, zero-padded to kWords
  memset(col, 0, sizeof(col));
  PairRequant pr;
  pr.act_min4 = static_cast<uint8_t>(act_min) * UINT32_C(0x01010101);
  pr.act_max4 = static_cast<uint8_t>(act_max) * UINT32_C(0x01010101);
  index_t oy = 0, ox = 0;                                      // im2col: the next pixel
  const bool inside = s.dilation_h == 1 && s.dilation_w == 1;  // gather_window_s8 may take interior windows
  const index_t plane = static_cast<index_t>(s.in_h * s.in_w);
  for (index_t p0 = 0; p0 < pixels; p0 = static_cast<index_t>(p0 + 2 * block_pairs)) {
    const index_t left = static_cast<index_t>(pixels - p0);
    const index_t count = left < 2 * block_pairs ? left : static_cast<index_t>(2 * block_pairs);  // pixels
    const index_t pairs = static_cast<index_t>((count + 1) / 2);
    if (kPointwise) {
      widen_pixel_block_s8(input + p0, pixels, quads, count, words, wide);
    } else {
      for (index_t i = 0; i < count; ++i) {  // a lone last pixel's pair repeats it
        const sindex_t y0 = static_cast<sindex_t>(static_cast<sindex_t>(oy * s.stride_h) - s.padding_h);
        const sindex_t x0 = static_cast<sindex_t>(static_cast<sindex_t>(ox * s.stride_w) - s.padding_w);
        if (inside && y0 >= 0 && x0 >= 0 && y0 + static_cast<sindex_t>(kKh) <= static_cast<sindex_t>(s.in_h) &&
            x0 + static_cast<sindex_t>(kKw) <= static_cast<sindex_t>(s.in_w)) {
          gather_window_s8<kC, kKh, kKw>(input + y0 * static_cast<sindex_t>(s.in_w) + x0, s.in_w, plane,
                                         col + (i & 1) * kWords);
        } else {
          gather_border_s8(s, input, y0, x0, pad, col + (i & 1) * kWords);
        }
        if (++ox == out_w) {
          ox = 0;
          ++oy;
        }
        if (i + 1 == count && !(i & 1)) memcpy(col + kWords, col, kWords);
        if ((i & 1) || i + 1 == count) widen_2cols_s8(col, kWords, wide + (i / 2) * kWords);  // (core_dot.h's layout)
      }
    }
    const int8_t* w = weight;
    int8_t* out = output + p0;
    for (index_t oc = 0; oc < out_c; oc = static_cast<index_t>(oc + 2), w += 2 * taps, out += 2 * pixels) {
      // An odd count's last channel runs as a pair with itself; only its first row is stored.
      const index_t oc1 = oc + 1 < out_c ? static_cast<index_t>(oc + 1) : oc;
      SlowPair c;
      const bool fast = gemm_pair_setup<Mem>(w, taps, oc, oc1, bias, multiplier, shift, output_zero_point, c, pr, rows);
      // Whole pairs of fast channels: no test in the loop; then a lone last pixel, or every pair of a slow
      // or lone channel.
      const index_t fast_pairs = fast ? static_cast<index_t>(count / 2) : 0;
      const int32_t b0 = c.bias0, b1 = c.bias1;
      const uint32_t* wj = wide;
      int8_t* o = out;
      for (const uint32_t* end = wide + fast_pairs * words; wj != end; wj += words, o += 2) {
        int32_t a00 = b0, a01 = b0, a10 = b1, a11 = b1;
        dot_2x2_widened_s8(wj, rows, quads, a00, a01, a10, a11, kC != 0 ? kDotAuto : kDotPairs);
        requant_2x2_s8(a00, a01, a10, a11, pr, o, pixels);
      }
      if (fast_pairs < pairs) {
        gemm_pairs_slow_s8(wide, words, rows, fast_pairs, pairs, count, c, output_zero_point, act_min, act_max, out,
                           pixels);
      }
    }
  }
}
#endif

}  // namespace detail

// conv2d_s8 (the Conv2dParams overload) for a layer with p.groups == 1, kC == p.in_channels and kKh x kKw ==
// p.kernel_h x p.kernel_w: the exporter's call for such layers, so the fast path is specialised for the
// window whatever the compiler inlines.
template <class Mem, index_t kC, index_t kKh, index_t kKw>
MINIML_ALWAYS_INLINE void conv2d_s8_gemm(const int8_t* input, const int8_t* weight, const int32_t* bias,
                                         const int32_t* multiplier, const int8_t* shift, const Conv2dParams& p,
                                         int32_t input_zero_point, int32_t output_zero_point, int32_t act_min,
                                         int32_t act_max, int8_t* output) {
#if defined(__ARM_FEATURE_DSP) && !defined(MINIML_NO_DSP)
  if ((kC * kKh * kKw + 3) / 4 * 4 * 8 <= MINIML_GEMM_BUFFER && p.groups == 1 && p.in_channels == kC &&
      p.kernel_h == kKh && p.kernel_w == kKw) {
    typedef detail::sindex_t sindex_t;
    const detail::ConvShape s = {p.in_channels,
                                 p.in_h,
                                 p.in_w,
                                 p.kernel_h,
                                 p.kernel_w,
                                 p.stride_h,
                                 p.stride_w,
                                 p.dilation_h,
                                 p.dilation_w,
                                 static_cast<sindex_t>(p.pad_top),
                                 static_cast<sindex_t>(p.pad_left),
                                 1};
    const index_t pixels = static_cast<index_t>(p.out_h * p.out_w);
    const bool pointwise = kC % 4 == 0 && kKh == 1 && kKw == 1 && p.stride_h == 1 && p.stride_w == 1 &&
                           p.pad_top == 0 && p.pad_left == 0 && p.out_h == p.in_h && p.out_w == p.in_w;
    if (pointwise) {
      detail::gemm_conv2d_s8_dsp<Mem, (kC % 8 == 0 && kC < detail::kSmallPointwise ? 0 : kC), 1, 1, true>(
          s, input, p.out_w, pixels, p.out_channels, 0, weight, bias, multiplier, shift, output_zero_point, act_min,
          act_max, output);
    } else {
      detail::gemm_conv2d_s8_dsp<Mem, kC, kKh, kKw, false>(
          s, input, p.out_w, pixels, p.out_channels, static_cast<int8_t>(input_zero_point), weight, bias, multiplier,
          shift, output_zero_point, act_min, act_max, output);
    }
    return;
  }
#endif
  conv2d_s8<Mem>(input, weight, bias, multiplier, shift, p, input_zero_point, output_zero_point, act_min, act_max,
                 output);
}

// conv2d_s8_max_pool (op_conv_s8.h: the exporter's call for a convolution whose only reader is a max pool)
// for a one-group convolution whose window the exporter passes as template parameters: on the DSP extension
// conv2d_s8_gemm into conv_out, then max_pool2d_s8; elsewhere conv2d_s8_max_pool (AVR fuses the pool).
template <class Mem, index_t kC, index_t kKh, index_t kKw>
MINIML_ALWAYS_INLINE void conv2d_s8_gemm_max_pool(const int8_t* input, const int8_t* weight, const int32_t* bias,
                                                  const int32_t* multiplier, const int8_t* shift, const Conv2dParams& p,
                                                  int32_t input_zero_point, int32_t output_zero_point, int32_t act_min,
                                                  int32_t act_max, const Pool2dParams& pool, int32_t pool_min,
                                                  int32_t pool_max, int8_t* conv_out, int8_t* output) {
#if defined(__ARM_FEATURE_DSP) && !defined(MINIML_NO_DSP)
  conv2d_s8_gemm<Mem, kC, kKh, kKw>(input, weight, bias, multiplier, shift, p, input_zero_point, output_zero_point,
                                    act_min, act_max, conv_out);
  max_pool2d_s8(conv_out, output, pool, pool_min, pool_max);
#else
  conv2d_s8_max_pool<Mem>(input, weight, bias, multiplier, shift, p, input_zero_point, output_zero_point, act_min,
                          act_max, pool, pool_min, pool_max, conv_out, output);
#endif
}

}  // namespace miniml

#endif  // MINIML_OP_CONV_S8_GEMM_H_
