// conv2d_s8_pointwise: conv2d_s8 for a 1x1 convolution whose channel counts the exporter passes as template
// parameters (compile-time constants however many layers call it). On the Cortex-M4/M7/M33 DSP extension,
// for unpadded stride-1 layers with a multiple of 4 input channels, a matrix product straight from the
// [C][H][W] activations: two output channels x two output pixels per inner loop (SMLAD on columns widened
// once per pixel pair). Every other case, and every other core, runs conv2d_s8: the same integers.
#ifndef MINIML_OP_CONV_S8_PW_DSP_H_
#define MINIML_OP_CONV_S8_PW_DSP_H_

#include <stdint.h>
#include <string.h>

#include "op_conv_s8.h"

namespace miniml {
namespace detail {

#if defined(__ARM_FEATURE_DSP) && !defined(MINIML_NO_DSP)
// Bytes of widened pixel pairs on the stack (kIn * 4 per pair): the pairs of a block share one read of
// each output channel pair's bias and requantisation constants.
#ifndef MINIML_POINTWISE_BUFFER
#define MINIML_POINTWISE_BUFFER 2048
#endif

// Pixels p and p + 1 (in: pixel p of channel 0, plane bytes per channel) of channels [0, quads * 4) in
// dot_2x2_wide_s8's column layout: per 4 channels (a0 a2) (a1 a3) (b0 b2) (b1 b3) as int16 lanes (a: pixel
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
    const uint32_t even = static_cast<uint8_t>(in[0]) | static_cast<uint32_t>(static_cast<uint8_t>(in[2 * plane])) << 16;
    const uint32_t odd = static_cast<uint8_t>(in[plane]) | static_cast<uint32_t>(static_cast<uint8_t>(in[3 * plane])) << 16;
    wide[0] = wide[2] = sxtb16(even);
    wide[1] = wide[3] = sxtb16(odd);
  }
}

// a0, a1 += one weight row w (kIn taps) . the pair's two widened columns (an odd channel count's last
// channel, which has no second row to pair with).
template <class Mem, index_t kIn>
MINIML_ALWAYS_INLINE void dot_1x2_wide_s8(const uint32_t* wide, const int8_t* w, int32_t& a0, int32_t& a1) {
  for (index_t q = 0; q < kIn / 4; ++q, wide += 4, w += 4) {
    uint32_t word;
    memcpy(&word, w, 4);
    const uint32_t even = sxtb16(word), odd = sxtb16_ror8(word);
    a0 = smlad(wide[0], even, smlad(wide[1], odd, a0));
    a1 = smlad(wide[2], even, smlad(wide[3], odd, a1));
  }
}

// Two weight rows (w, w + kIn) widened once per block for dot_2x2_widened_s8: per 4 taps row 0's SXTB16
// halves (w0 w2) (w1 w3), then row 1's.
template <class Mem, index_t kIn>
MINIML_ALWAYS_INLINE void widen_2rows_s8(const int8_t* w, uint32_t* wide) {
  for (index_t q = 0; q < kIn / 4; ++q, w += 4, wide += 4) {
    uint32_t r0, r1;
    memcpy(&r0, w, 4);  // (weights in flash on the Cortex-M: Mem reads them as memory)
    memcpy(&r1, w + kIn, 4);
    wide[0] = sxtb16(r0);
    wide[1] = sxtb16_ror8(r0);
    wide[2] = sxtb16(r1);
    wide[3] = sxtb16_ror8(r1);
  }
}

// a00 += w_0 . col_0, a01 += w_0 . col_1, a10 += w_1 . col_0, a11 += w_1 . col_1 over kQuads * 4 taps, both
// operands widened (widen_pixel_pair_s8, widen_2rows_s8): per 4 taps four LDRDs and eight SMLADs, 12
// instructions for 16 MACs.
template <index_t kQuads>
MINIML_ALWAYS_INLINE void dot_2x2_widened_s8(const uint32_t* col, const uint32_t* w, int32_t& a00, int32_t& a01,
                                             int32_t& a10, int32_t& a11) {
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
#define MINIML_PW_DOT_OPS                                                                                         \
  [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [c] "+r"(col), [w] "+r"(w), [x0e] "=&r"(x0e), \
      [x0o] "=&r"(x0o), [x1e] "=&r"(x1e), [x1o] "=&r"(x1o), [we] "=&r"(we), [wo] "=&r"(wo)
  uint32_t x0e, x0o, x1e, x1o, we, wo;
  if (kQuads & 1) __asm__ volatile(MINIML_PW_DOT_BODY : MINIML_PW_DOT_OPS : : "memory");
  if (kQuads >= 2) {
    const uint32_t* end = w + 4 * (kQuads & ~static_cast<index_t>(1));
    __asm__ volatile("1:\n\t" MINIML_PW_DOT_BODY MINIML_PW_DOT_BODY
                     "ldr %[we], %[end]\n\t"
                     "cmp %[w], %[we]\n\t"
                     "bne 1b\n\t"
                     : MINIML_PW_DOT_OPS
                     : [end] "m"(end)
                     : "cc", "memory");
  }
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
// a11 by channel 1: per channel two scaled sums saturated to int8 (SSAT), packed as bytes, clamped by
// SSUB8/SEL and stored as one halfword (23 instructions per output pair). In asm: the GE flags SEL reads are
// not visible to the compiler.
MINIML_ALWAYS_INLINE void requant_2x2_s8(int32_t a00, int32_t a01, int32_t a10, int32_t a11, const PairRequant& r,
                                         int8_t* out, index_t pitch) {
  int32_t m, off, sh, t0, t1;
#define MINIML_PW_REQUANT(A0, A1, AT, OUT)     \
  "ldrd %[m], %[off], [%[r], #" AT "]\n\t"     \
  "ldr %[sh], [%[r], #" AT "+8]\n\t"           \
  "asr %[t0], %[" A0 "], #31\n\t"              \
  "and %[t1], %[" A0 "], #0x80000000\n\t"      \
  "orr %[t1], %[t1], #0x40000000\n\t"          \
  "smlal %[t1], %[t0], %[" A0 "], %[m]\n\t"    \
  "add %[t0], %[t0], %[off]\n\t"               \
  "asr %[t0], %[t0], %[sh]\n\t"                \
  "asr %[" A0 "], %[" A1 "], #31\n\t"          \
  "and %[t1], %[" A1 "], #0x80000000\n\t"      \
  "orr %[t1], %[t1], #0x40000000\n\t"          \
  "smlal %[t1], %[" A0 "], %[" A1 "], %[m]\n\t" \
  "add %[" A0 "], %[" A0 "], %[off]\n\t"       \
  "asr %[" A0 "], %[" A0 "], %[sh]\n\t"        \
  "ssat %[t0], #8, %[t0]\n\t"                  \
  "ssat %[" A0 "], #8, %[" A0 "]\n\t"          \
  "bfi %[t0], %[" A0 "], #8, #8\n\t"           \
  "ldrd %[m], %[off], [%[r], #24]\n\t"         \
  "ssub8 %[t1], %[t0], %[m]\n\t"               \
  "sel %[t0], %[t0], %[m]\n\t"                 \
  "ssub8 %[t1], %[t0], %[off]\n\t"             \
  "sel %[t0], %[off], %[t0]\n\t"               \
  "strh %[t0], " OUT "\n\t"
  __asm__ volatile(MINIML_PW_REQUANT("a00", "a01", "0", "[%[out]]")
                   MINIML_PW_REQUANT("a10", "a11", "12", "[%[out], %[pitch]]")
                   : [a00] "+&r"(a00), [a10] "+&r"(a10), [m] "=&r"(m), [off] "=&r"(off), [sh] "=&r"(sh),
                     [t0] "=&r"(t0), [t1] "=&r"(t1)
                   : [a01] "r"(a01), [a11] "r"(a11), [r] "r"(&r), [out] "r"(out), [pitch] "r"(pitch)
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
inline void requant_pixels_slow_s8(int32_t a0, int32_t a1, int32_t m, int8_t s, int32_t output_zero_point,
                                   int32_t act_min, int32_t act_max, bool two, int8_t* out) {
  out[0] = requantize_s8_outline(a0, m, s, output_zero_point, act_min, act_max);
  if (two) out[1] = requantize_s8_outline(a1, m, s, output_zero_point, act_min, act_max);
}

// output[oc][p] = requant(bias[oc] + sum_ic weight[oc][ic] input[ic][p]) for p < pixels, kIn % 4 == 0,
// kIn * 4 <= MINIML_POINTWISE_BUFFER. Pixels go in blocks of pixel pairs, widened once; each output channel
// pair then runs over the block (its constants read once per block).
template <class Mem, index_t kIn, index_t kOut>
MINIML_CONV_PATH void pointwise_conv2d_s8_dsp(const int8_t* input, index_t pixels, const int8_t* weight,
                                              const int32_t* bias, const int32_t* multiplier, const int8_t* shift,
                                              int32_t output_zero_point, int32_t act_min, int32_t act_max,
                                              int8_t* output) {
  const index_t kQuads = kIn / 4;
  const index_t kBlockPairs = MINIML_POINTWISE_BUFFER / (kIn * 4);
  uint32_t wide[kBlockPairs * kIn], rows[kIn];  // the block's pixel pairs, an output channel pair's weights
  PairRequant pr;
  pr.act_min4 = static_cast<uint8_t>(act_min) * UINT32_C(0x01010101);
  pr.act_max4 = static_cast<uint8_t>(act_max) * UINT32_C(0x01010101);
  for (index_t p0 = 0; p0 < pixels; p0 = static_cast<index_t>(p0 + 2 * kBlockPairs)) {
    const index_t left = static_cast<index_t>(pixels - p0);
    const index_t count = left < 2 * kBlockPairs ? left : static_cast<index_t>(2 * kBlockPairs);  // pixels
    const index_t pairs = static_cast<index_t>((count + 1) / 2);
    for (index_t j = 0; j < count / 2; ++j) widen_pixel_pair_s8(input + p0 + 2 * j, pixels, kQuads, wide + j * kIn);
    if (count & 1) widen_pixel_s8(input + p0 + count - 1, pixels, kQuads, wide + (pairs - 1) * kIn);
    const int8_t* w = weight;
    int8_t* out = output + p0;
    index_t oc = 0;
    for (; oc + 2 <= kOut; oc = static_cast<index_t>(oc + 2), w += 2 * kIn, out += 2 * pixels) {
      const int32_t b0 = Mem::read(bias + oc), b1 = Mem::read(bias + oc + 1);
      const bool fast = pair_requant(Mem::read(multiplier + oc), Mem::read(shift + oc), Mem::read(multiplier + oc + 1),
                                     Mem::read(shift + oc + 1), output_zero_point, pr);
      widen_2rows_s8<Mem, kIn>(w, rows);
      const uint32_t* wj = wide;
      int8_t* o = out;
      for (index_t j = 0; j < pairs; ++j, wj += kIn, o += 2) {
        int32_t a00 = b0, a01 = b0, a10 = b1, a11 = b1;
        dot_2x2_widened_s8<kQuads>(wj, rows, a00, a01, a10, a11);
        if (fast && 2 * j + 1 < count) {
          requant_2x2_s8(a00, a01, a10, a11, pr, o, pixels);
        } else {  // a slow channel, or the last pixel alone
          const bool two = 2 * j + 1 < count;
          requant_pixels_slow_s8(a00, a01, Mem::read(multiplier + oc), Mem::read(shift + oc), output_zero_point,
                                 act_min, act_max, two, o);
          requant_pixels_slow_s8(a10, a11, Mem::read(multiplier + oc + 1), Mem::read(shift + oc + 1),
                                 output_zero_point, act_min, act_max, two, o + pixels);
        }
      }
    }
    if (oc < kOut) {  // an odd count's last channel
      const int32_t b = Mem::read(bias + oc), m = Mem::read(multiplier + oc);
      const int8_t sh = Mem::read(shift + oc);
      const uint32_t* wj = wide;
      for (index_t j = 0; j < pairs; ++j, wj += kIn) {
        int32_t a0 = b, a1 = b;
        dot_1x2_wide_s8<Mem, kIn>(wj, w, a0, a1);
        requant_pixels_slow_s8(a0, a1, m, sh, output_zero_point, act_min, act_max, 2 * j + 1 < count, out + 2 * j);
      }
    }
  }
}
#endif

}  // namespace detail

// conv2d_s8 (the Conv2dParams overload) for a layer with p.kernel_h == p.kernel_w == 1, kIn == p.in_channels
// and kOut == p.out_channels: the exporter's choice for 1x1 layers, so the fast path is specialised for the
// channel counts whatever the compiler inlines.
template <class Mem, index_t kIn, index_t kOut>
MINIML_ALWAYS_INLINE void conv2d_s8_pointwise(const int8_t* input, const int8_t* weight, const int32_t* bias,
                                              const int32_t* multiplier, const int8_t* shift, const Conv2dParams& p,
                                              int32_t input_zero_point, int32_t output_zero_point, int32_t act_min,
                                              int32_t act_max, int8_t* output) {
#if defined(__ARM_FEATURE_DSP) && !defined(MINIML_NO_DSP)
  if (kIn % 4 == 0 && kIn * 4 <= MINIML_POINTWISE_BUFFER && p.in_channels == kIn && p.out_channels == kOut &&
      p.groups == 1 && p.kernel_h == 1 && p.kernel_w == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 &&
      p.pad_left == 0 && p.out_h == p.in_h && p.out_w == p.in_w) {
    detail::pointwise_conv2d_s8_dsp<Mem, kIn, kOut>(input, static_cast<index_t>(p.in_h * p.in_w), weight, bias,
                                                    multiplier, shift, output_zero_point, act_min, act_max, output);
    return;
  }
#endif
  conv2d_s8<Mem>(input, weight, bias, multiplier, shift, p, input_zero_point, output_zero_point, act_min, act_max,
                 output);
}

}  // namespace miniml

#endif  // MINIML_OP_CONV_S8_PW_DSP_H_
