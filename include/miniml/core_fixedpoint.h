// int8 requantisation, once for the whole library: TFLite's fixed-point multiplier and rounding, bit-exact
// with TFLite Micro's reference kernels (built with TFLITE_SINGLE_ROUNDING=0, as the tflite-micro wheel is;
// test/python/quant/test_fixedpoint.py pins that). Pure integer functions, no state, no memory access.
#ifndef MINIML_CORE_FIXEDPOINT_H_
#define MINIML_CORE_FIXEDPOINT_H_

#include <stdint.h>

#include "core_types.h"

namespace miniml {

// Fused activation bounds and the int8 range. int32_t, not int: int is 16 bits on AVR.
constexpr int32_t kInt8Min = -128;
constexpr int32_t kInt8Max = 127;

namespace detail {

#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
// SaturatingRoundingDoublingHighMul with the hardware 8x8 `mul`: the unsigned 32x32 -> 64 product column by
// column (16 muls, each added into a 3-byte window, so no carry runs further), of which only bytes 3..7 are
// kept; the signed product then differs only in its high word: a b = ua ub - 2^32 ([a<0] ub + [b<0] ua)
// (mod 2^64). TFLM adds 2^30 (a b >= 0) or 1 - 2^30 (a b < 0) and divides by 2^31 truncating; for a b < 0
// that is floor((a b + 1 - 2^30 + 2^31 - 1) / 2^31), the same floor((a b + 2^30) / 2^31) as for a b >= 0:
// the result is bits 31..62 of a b + 2^30, whatever the sign. ~110 cycles against ~300 for 16x16 parts.
// Exact for all inputs except INT32_MIN * INT32_MIN (handled by the caller).
// The column-by-column unsigned product of a and b, bytes 3..7 into b3 and h; r1 not cleared. Operands:
// a, b (inputs), h, b3, t1, t2, z (outputs, early clobber).
// clang-format off
#define MINIML_AVR_MUL_HI_COLUMNS \
  "clr %[z]\n\t" \
  "clr %[t2]\n\t" \
  "clr %[b3]\n\t" \
  "clr %A[h]\n\t" \
  "clr %B[h]\n\t" \
  "clr %C[h]\n\t" \
  "clr %D[h]\n\t" \
  /* column 0: only its carry byte matters */ \
  "mul %A[a], %A[b]\n\t" \
  "mov %[t1], r1\n\t" \
  /* column 1 -> bytes 1, 2, 3 */ \
  "mul %A[a], %B[b]\n\t" \
  "add %[t1], r0\n\tadc %[t2], r1\n\tadc %[b3], %[z]\n\t" \
  "mul %B[a], %A[b]\n\t" \
  "add %[t1], r0\n\tadc %[t2], r1\n\tadc %[b3], %[z]\n\t" \
  /* column 2 -> bytes 2, 3, 4 */ \
  "mul %A[a], %C[b]\n\t" \
  "add %[t2], r0\n\tadc %[b3], r1\n\tadc %A[h], %[z]\n\t" \
  "mul %B[a], %B[b]\n\t" \
  "add %[t2], r0\n\tadc %[b3], r1\n\tadc %A[h], %[z]\n\t" \
  "mul %C[a], %A[b]\n\t" \
  "add %[t2], r0\n\tadc %[b3], r1\n\tadc %A[h], %[z]\n\t" \
  /* column 3 -> bytes 3, 4, 5 */ \
  "mul %A[a], %D[b]\n\t" \
  "add %[b3], r0\n\tadc %A[h], r1\n\tadc %B[h], %[z]\n\t" \
  "mul %B[a], %C[b]\n\t" \
  "add %[b3], r0\n\tadc %A[h], r1\n\tadc %B[h], %[z]\n\t" \
  "mul %C[a], %B[b]\n\t" \
  "add %[b3], r0\n\tadc %A[h], r1\n\tadc %B[h], %[z]\n\t" \
  "mul %D[a], %A[b]\n\t" \
  "add %[b3], r0\n\tadc %A[h], r1\n\tadc %B[h], %[z]\n\t" \
  /* column 4 -> bytes 4, 5, 6 */ \
  "mul %B[a], %D[b]\n\t" \
  "add %A[h], r0\n\tadc %B[h], r1\n\tadc %C[h], %[z]\n\t" \
  "mul %C[a], %C[b]\n\t" \
  "add %A[h], r0\n\tadc %B[h], r1\n\tadc %C[h], %[z]\n\t" \
  "mul %D[a], %B[b]\n\t" \
  "add %A[h], r0\n\tadc %B[h], r1\n\tadc %C[h], %[z]\n\t" \
  /* column 5 -> bytes 5, 6, 7 */ \
  "mul %C[a], %D[b]\n\t" \
  "add %B[h], r0\n\tadc %C[h], r1\n\tadc %D[h], %[z]\n\t" \
  "mul %D[a], %C[b]\n\t" \
  "add %B[h], r0\n\tadc %C[h], r1\n\tadc %D[h], %[z]\n\t" \
  /* column 6 -> bytes 6, 7 (the product fits 64 bits: no carry out) */ \
  "mul %D[a], %D[b]\n\t" \
  "add %C[h], r0\n\tadc %D[h], r1\n\t"
// clang-format on

// Bytes 3..7 of the signed 64-bit product a * b: returns bytes 4..7, byte 3 in b3.
__attribute__((always_inline)) inline uint32_t mul_hi_s32(int32_t a, int32_t b, uint8_t& b3) {
  uint32_t hi;
  uint8_t t1, t2, zero;
  __asm__(MINIML_AVR_MUL_HI_COLUMNS "clr __zero_reg__"
          : [h] "=&r"(hi), [b3] "=&r"(b3), [t1] "=&r"(t1), [t2] "=&r"(t2), [z] "=&r"(zero)
          : [a] "r"(a), [b] "r"(b)
          : "r0");
  if (a < 0) hi -= static_cast<uint32_t>(b);
  if (b < 0) hi -= static_cast<uint32_t>(a);
  return hi;
}
inline int32_t srdhm_mul(int32_t a, int32_t b) {
  uint8_t b3;
  uint32_t hi = mul_hi_s32(a, b, b3);
  const uint8_t low = static_cast<uint8_t>(b3 + 0x40u);  // + 2^30: bit 6 of byte 3
  if (low < 0x40u) ++hi;                                 // its carry out of byte 3
  return static_cast<int32_t>((hi << 1) | (low >> 7));
}
#else
// SaturatingRoundingDoublingHighMul without 64-bit arithmetic, for 8-bit cores where int64 operations are
// libgcc calls: |a| * |b| from four 16x16 -> 32 products, the rounding nudge added to the low word, then
// bits 31..62 of the sum. Exact for all inputs except INT32_MIN * INT32_MIN (handled by the caller).
// With p = |a b|: a b + nudge = +(p + 2^30) when a b >= 0 and -(p + 2^30 - 1) when a b < 0, and C's
// truncating division by 2^31 of a value of that sign is the floor of its magnitude, negated.
inline int32_t srdhm_parts(int32_t a, int32_t b) {
  const bool negative = (a < 0) != (b < 0);
  const uint32_t ua = a < 0 ? 0u - static_cast<uint32_t>(a) : static_cast<uint32_t>(a);
  const uint32_t ub = b < 0 ? 0u - static_cast<uint32_t>(b) : static_cast<uint32_t>(b);
  uint16_t a0 = static_cast<uint16_t>(ua), a1 = static_cast<uint16_t>(ua >> 16);
  uint16_t b0 = static_cast<uint16_t>(ub), b1 = static_cast<uint16_t>(ub >> 16);
#if defined(__AVR__)
  // Opaque 16-bit values: otherwise avr-gcc sees through the truncation and calls the 32x32 __mulsi3
  // four times instead of the 16x16 -> 32 __umulhisi3.
  __asm__("" : "+r"(a0), "+r"(a1), "+r"(b0), "+r"(b1));
#endif
  uint32_t lo = static_cast<uint32_t>(a0) * b0;
  const uint32_t m1 = static_cast<uint32_t>(a0) * b1;
  uint32_t hi = 0;
  uint32_t mid = m1;
  // Accumulators mostly fit 16 bits in magnitude: then two of the four products are zero.
  if (a1 != 0) {
    hi = static_cast<uint32_t>(a1) * b1;
    mid = m1 + static_cast<uint32_t>(a1) * b0;
    if (mid < m1) hi += UINT32_C(1) << 16;  // carry out of the middle sum
  }
  const uint32_t mid_lo = mid << 16;
  lo += mid_lo;
  if (lo < mid_lo) ++hi;
  hi += mid >> 16;
  const uint32_t nudge = negative ? (UINT32_C(1) << 30) - 1u : (UINT32_C(1) << 30);
  lo += nudge;
  if (lo < nudge) ++hi;
  const uint32_t q = (hi << 1) | (lo >> 31);
  return negative ? static_cast<int32_t>(0u - q) : static_cast<int32_t>(q);
}
#endif

}  // namespace detail

// gemmlowp SaturatingRoundingDoublingHighMul: round(a * b / 2^31), halves away from zero; the one
// overflowing case (INT32_MIN * INT32_MIN) saturates.
inline int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  if (a == b && a == INT32_MIN) return INT32_MAX;
#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
  return detail::srdhm_mul(a, b);
#elif defined(__AVR__)
  return detail::srdhm_parts(a, b);
#else
  // TFLite's (ab + nudge) / 2^31 (truncating; nudge 2^30 for ab >= 0, 1 - 2^30 below) equals
  // floor((ab + 2^30) / 2^31) in both cases: for ab < 0, trunc(t / 2^31) = floor((t + 2^31 - 1) / 2^31)
  // with t = ab + 1 - 2^30 < 0. One multiply-accumulate and a shift (smlal on Arm) instead of a
  // sign-dependent nudge and a truncating division.
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  return static_cast<int32_t>((ab + (INT64_C(1) << 30)) >> 31);
#endif
}

// gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, halves away from zero;
// 0 <= exponent <= 31.
inline int32_t rounding_divide_by_pot(int32_t x, int8_t exponent) {
#if defined(__AVR__)
  // Same value, cheaper on an 8-bit core (variable 32-bit shifts are bit loops there): with
  // q = (x - [x < 0]) >> (e - 1) (floor), (q + 1) >> 1 rounds exactly like the mask/threshold form below
  // (for x >= 0 it is floor((x + 2^(e-1)) / 2^e); for x < 0 the -1 turns a zero remainder into a round
  // toward zero). The shift goes byte-wise first. INT32_MIN and INT32_MAX, where x - 1 or q + 1 would
  // overflow, take the reference path.
  if (exponent > 0 && x != INT32_MIN && x != INT32_MAX) {
    int32_t v = x < 0 ? x - 1 : x;
    uint8_t e = static_cast<uint8_t>(exponent - 1);
    while (e >= 8) {
      v >>= 8;
      e = static_cast<uint8_t>(e - 8);
    }
    v >>= e;
    return (v + 1) >> 1;
  }
#endif
  const int32_t mask = static_cast<int32_t>((UINT32_C(1) << exponent) - 1u);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  // >> of a negative int32 is arithmetic on every compiler we target (gcc documents it).
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// TFLite MultiplyByQuantizedMultiplier: x * multiplier * 2^(shift - 31), rounded twice as TFLM does.
// multiplier in [2^30, 2^31) (or 0), shift in [-31, 30]; positive shifts scale x up first.
inline int32_t multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int8_t shift) {
  const int8_t left = shift > 0 ? shift : 0;
  const int8_t right = shift > 0 ? 0 : static_cast<int8_t>(-shift);
  // Left shift through uint32: TFLM writes x * (1 << left), which wraps the same way on its targets.
  const int32_t scaled = static_cast<int32_t>(static_cast<uint32_t>(x) << left);
#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
  // Both roundings from the top 40 bits of the product, without forming the int32 high product. With
  // Q = scaled * multiplier + 2^30, the high product h is floor(Q / 2^31) (see srdhm_mul), and
  // rounding_divide_by_pot(h, e) = ((h - [h < 0]) >> (e - 1) + 1) >> 1 (see there); h - [h < 0] =
  // floor(Q' / 2^31) with Q' = Q - 2^31 [Q < 0], so for e >= 2 the result is ((Q' >> 32) >> (e - 2) + 1) >> 1,
  // in 64-bit arithmetic where nothing overflows. INT32_MIN * INT32_MIN (saturating) takes the path below.
  if (right >= 2 && !(multiplier == INT32_MIN && scaled == INT32_MIN)) {
    uint8_t b3;
    uint32_t hi = detail::mul_hi_s32(scaled, multiplier, b3);
    const uint8_t low = static_cast<uint8_t>(b3 + 0x40u);  // + 2^30
    if (low < 0x40u) ++hi;
    if (static_cast<int32_t>(hi) < 0 && low < 0x80u) --hi;  // Q < 0: - 2^31
    int32_t v = static_cast<int32_t>(hi);
    uint8_t e = static_cast<uint8_t>(right - 2);
    while (e >= 8) {
      v >>= 8;
      e = static_cast<uint8_t>(e - 8);
    }
    v >>= e;
    return (v + 1) >> 1;
  }
#else
  // The same both-roundings-at-once form on 32-bit cores (one smlal and a few ALU ops on Arm instead of
  // the high product, then mask / threshold rounding; every requantisation of a conv output runs it).
  if (right >= 2 && !(multiplier == INT32_MIN && scaled == INT32_MIN)) {
    const int64_t q = static_cast<int64_t>(scaled) * multiplier + (INT64_C(1) << 30);
    int32_t hi = static_cast<int32_t>(q >> 32);
    if (hi < 0 && static_cast<uint32_t>(q) < UINT32_C(0x80000000)) --hi;  // Q < 0: - 2^31
    return ((hi >> (right - 2)) + 1) >> 1;
  }
#endif
  return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(scaled, multiplier), right);
}

// Requantise one int32 accumulator to int8: scale, add the output zero point, clamp to the fused activation.
inline int8_t requantize_s8(int32_t acc, int32_t multiplier, int8_t shift, int32_t output_zero_point, int32_t act_min,
                            int32_t act_max) {
  int32_t v = multiply_by_quantized_multiplier(acc, multiplier, shift) + output_zero_point;
  if (v < act_min) v = act_min;
  if (v > act_max) v = act_max;
  return static_cast<int8_t>(v);
}

#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
namespace detail {
inline bool fits_s8(int32_t v) { return v >= kInt8Min && v <= kInt8Max; }

// requantize_s8 for a right shift e + 2 >= 2, a multiplier >= 0 and an int8 zero point and bounds (what
// ChannelRequant checks once per channel), in one asm block: multiply_by_quantized_multiplier's
// both-roundings-at-once form (the high word v = floor(Q' / 2^32), then ((v >> e) + 1) >> 1) with v shifted
// bytewise and clamped to 24 bits before the bit steps (beyond, |v >> e| >= 2^16 and the output saturates
// whatever the int8 zero point, as it does for the clamped value), the zero point and the bounds applied in
// 24 bits. Out of line, for the conv kernels' one call site.
__attribute__((noinline)) inline int8_t requantize_s8_channel_avr(int32_t acc, int32_t multiplier, uint8_t e, int8_t zp,
                                                                  int8_t act_min, int8_t act_max) {
  uint32_t h;
  uint8_t b3, t1, t2, zero;
  __asm__(MINIML_AVR_MUL_HI_COLUMNS
          // signed product: acc < 0 takes the multiplier (>= 0) off the high word
          "sbrs %D[a], 7\n\t"
          "rjmp 1f\n\t"
          "sub %A[h], %A[b]\n\tsbc %B[h], %B[b]\n\tsbc %C[h], %C[b]\n\tsbc %D[h], %D[b]\n\t"
          "1:\n\t"
          // Q = product + 2^30 (bit 6 of byte 3, its carry into the high word)
          "ldi %[t1], 0x40\n\t"
          "add %[b3], %[t1]\n\t"
          "adc %A[h], %[z]\n\tadc %B[h], %[z]\n\tadc %C[h], %[z]\n\tadc %D[h], %[z]\n\t"
          // Q < 0: Q' = Q - 2^31, one off the high word when bit 7 of byte 3 is clear
          "sbrs %D[h], 7\n\t"
          "rjmp 2f\n\t"
          "sbrc %[b3], 7\n\t"
          "rjmp 2f\n\t"
          "sec\n\tsbc %A[h], %[z]\n\tsbc %B[h], %[z]\n\tsbc %C[h], %[z]\n\tsbc %D[h], %[z]\n\t"
          "2:\n\t"
          // v >>= 8 while e >= 8
          "cpi %[e], 8\n\t"
          "brlo 3f\n\t"
          "mov %A[h], %B[h]\n\tmov %B[h], %C[h]\n\tmov %C[h], %D[h]\n\t"
          "lsl %D[h]\n\tsbc %D[h], %D[h]\n\t"
          "subi %[e], 8\n\t"
          "rjmp 2b\n\t"
          "3:\n\t"
          // clamp v to 24 bits: when byte 3 is not byte 2's sign, 2^23 - 1 or -2^23
          "mov %[t1], %C[h]\n\tlsl %[t1]\n\tsbc %[t1], %[t1]\n\t"
          "cp %[t1], %D[h]\n\t"
          "breq 4f\n\t"
          "ldi %[t1], 0x7F\n\t"
          "sbrc %D[h], 7\n\t"
          "ldi %[t1], 0x80\n\t"
          "mov %C[h], %[t1]\n\t"
          "lsl %[t1]\n\tsbc %[t1], %[t1]\n\tcom %[t1]\n\t"
          "mov %A[h], %[t1]\n\tmov %B[h], %[t1]\n\t"
          "4:\n\t"
          // v >>= e (e < 8)
          "tst %[e]\n\t"
          "breq 6f\n\t"
          "5:\n\t"
          "asr %C[h]\n\tror %B[h]\n\tror %A[h]\n\t"
          "dec %[e]\n\t"
          "brne 5b\n\t"
          "6:\n\t"
          // r = (v + 1) >> 1 = (v >> 1) + the bit shifted out (no overflow at 2^23 - 1), + zero point
          "asr %C[h]\n\tror %B[h]\n\tror %A[h]\n\t"
          "adc %A[h], %[z]\n\tadc %B[h], %[z]\n\tadc %C[h], %[z]\n\t"
          "mov %[t1], %[zp]\n\tlsl %[t1]\n\tsbc %[t1], %[t1]\n\t"
          "add %A[h], %[zp]\n\tadc %B[h], %[t1]\n\tadc %C[h], %[t1]\n\t"
          // r < act_min: act_min
          "mov %[t1], %[lo]\n\tlsl %[t1]\n\tsbc %[t1], %[t1]\n\t"
          "cp %A[h], %[lo]\n\tcpc %B[h], %[t1]\n\tcpc %C[h], %[t1]\n\t"
          "brge 7f\n\t"
          "mov %A[h], %[lo]\n\t"
          "rjmp 8f\n\t"
          "7:\n\t"
          // act_max < r: act_max
          "mov %[t1], %[hi]\n\tlsl %[t1]\n\tsbc %[t1], %[t1]\n\t"
          "cp %[hi], %A[h]\n\tcpc %[t1], %B[h]\n\tcpc %[t1], %C[h]\n\t"
          "brge 8f\n\t"
          "mov %A[h], %[hi]\n\t"
          "8:\n\t"
          "clr __zero_reg__"
          : [h] "=&r"(h), [b3] "=&r"(b3), [t1] "=&d"(t1), [t2] "=&r"(t2), [z] "=&r"(zero), [e] "+d"(e)
          : [a] "r"(acc), [b] "r"(multiplier), [zp] "r"(zp), [lo] "r"(act_min), [hi] "r"(act_max)
          : "r0");
  return static_cast<int8_t>(h);
}
}  // namespace detail
#endif

// requantize_s8 for one output channel's many outputs (the conv kernels' hot loops): the channel's
// constants are looked at once. On 32-bit cores the common case (shift <= -2, any multiplier below 1/2)
// runs inline in the both-roundings-at-once form of multiply_by_quantized_multiplier, with the sign of
// acc for the sign of Q (equal for multiplier >= 0: Q = acc m + 2^30 is >= 2^30 for acc >= 0 and <= 0
// for acc < 0, and Q = 0 rounds to 0 either way); on AVR the same case (with int8 zero point and bounds)
// takes requantize_s8_channel_avr; everything else calls requantize_s8.
struct ChannelRequant {
  int32_t multiplier, output_zero_point, act_min, act_max;
  int8_t shift;
  bool fast;
  ChannelRequant(int32_t m, int8_t s, int32_t zp, int32_t lo, int32_t hi)
      : multiplier(m), output_zero_point(zp), act_min(lo), act_max(hi), shift(s), fast(false) {
#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
    fast = s <= -2 && m >= 0 && detail::fits_s8(zp) && detail::fits_s8(lo) && detail::fits_s8(hi);
#elif !defined(__AVR__)
    fast = s <= -2 && m >= 0;
#endif
  }
#if defined(__GNUC__) && !defined(__AVR__)
  __attribute__((always_inline))
#endif
  int8_t
  operator()(int32_t acc) const {
#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
    if (fast) {
      return detail::requantize_s8_channel_avr(acc, multiplier, static_cast<uint8_t>(-shift - 2),
                                               static_cast<int8_t>(output_zero_point), static_cast<int8_t>(act_min),
                                               static_cast<int8_t>(act_max));
    }
#elif !defined(__AVR__)
    if (fast) {
      const int64_t nudge = acc < 0 ? -(INT64_C(1) << 30) : (INT64_C(1) << 30);  // - 2^31 [Q < 0] folded in
      const int32_t hi = static_cast<int32_t>((static_cast<int64_t>(acc) * multiplier + nudge) >> 32);
      int32_t v = (((hi >> (-shift - 2)) + 1) >> 1) + output_zero_point;
      if (v < act_min) v = act_min;
      if (v > act_max) v = act_max;
      return static_cast<int8_t>(v);
    }
#endif
    return requantize_s8(acc, multiplier, shift, output_zero_point, act_min, act_max);
  }
};

}  // namespace miniml

#endif  // MINIML_CORE_FIXEDPOINT_H_
