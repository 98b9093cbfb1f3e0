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
// SaturatingRoundingDoublingHighMul with the hardware 8x8 `mul`: the product of a (signed) and b (unsigned)
// column by column, each byte product added into a 3-byte window (so no carry runs further), of which only
// bytes 3..7 are kept; the signed product then differs only in its high word: a b = a ub - 2^32 [b<0] a
// (mod 2^64). a ub comes from the unsigned ua ub: when a fits 24 bits (accumulators mostly do), its byte 3 is
// left out, 4 of the 16 muls, and a ub = (a mod 2^24) ub - 2^24 ub [a<0]; otherwise byte 3's products are
// added with their carries and a ub = ua ub - 2^32 ub [a<0]. TFLM adds 2^30 (a b >= 0) or 1 - 2^30 (a b < 0)
// and divides by 2^31 truncating; for a b < 0 that is floor((a b + 1 - 2^30 + 2^31 - 1) / 2^31), the same
// floor((a b + 2^30) / 2^31) as for a b >= 0: the result is bits 31..62 of a b + 2^30, whatever the sign.
// ~100 cycles against ~300 for 16x16 parts. Exact for all inputs except INT32_MIN * INT32_MIN (handled by the
// caller). Bytes 3..7 of a ub into b3 and h; r1 not cleared. Operands: a, b (inputs), h, b3, t1, t2, z
// (outputs, early clobber). Labels 11, 12.
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
  /* column 3 -> bytes 3, 4, 5 (without byte 3 of a) */ \
  "mul %A[a], %D[b]\n\t" \
  "add %[b3], r0\n\tadc %A[h], r1\n\tadc %B[h], %[z]\n\t" \
  "mul %B[a], %C[b]\n\t" \
  "add %[b3], r0\n\tadc %A[h], r1\n\tadc %B[h], %[z]\n\t" \
  "mul %C[a], %B[b]\n\t" \
  "add %[b3], r0\n\tadc %A[h], r1\n\tadc %B[h], %[z]\n\t" \
  /* column 4 -> bytes 4, 5, 6 */ \
  "mul %B[a], %D[b]\n\t" \
  "add %A[h], r0\n\tadc %B[h], r1\n\tadc %C[h], %[z]\n\t" \
  "mul %C[a], %C[b]\n\t" \
  "add %A[h], r0\n\tadc %B[h], r1\n\tadc %C[h], %[z]\n\t" \
  /* column 5 -> bytes 5, 6, 7 */ \
  "mul %C[a], %D[b]\n\t" \
  "add %B[h], r0\n\tadc %C[h], r1\n\tadc %D[h], %[z]\n\t" \
  /* a fits 24 bits (byte 3 is byte 2's sign): a < 0 takes ub off bytes 3..7 */ \
  "mov %[t1], %C[a]\n\tlsl %[t1]\n\tsbc %[t1], %[t1]\n\t" \
  "cp %[t1], %D[a]\n\t" \
  "brne 11f\n\t" \
  "sbrs %D[a], 7\n\t" \
  "rjmp 12f\n\t" \
  "sub %[b3], %A[b]\n\tsbc %A[h], %B[b]\n\tsbc %B[h], %C[b]\n\tsbc %C[h], %D[b]\n\tsbc %D[h], %[z]\n\t" \
  "rjmp 12f\n\t" \
  /* otherwise byte 3 of a times each byte of b, carried up (the product fits 64 bits: no carry out), and */ \
  /* a < 0 takes ub off bytes 4..7 */ \
  "11:\n\t" \
  "mul %D[a], %A[b]\n\t" \
  "add %[b3], r0\n\tadc %A[h], r1\n\tadc %B[h], %[z]\n\tadc %C[h], %[z]\n\tadc %D[h], %[z]\n\t" \
  "mul %D[a], %B[b]\n\t" \
  "add %A[h], r0\n\tadc %B[h], r1\n\tadc %C[h], %[z]\n\tadc %D[h], %[z]\n\t" \
  "mul %D[a], %C[b]\n\t" \
  "add %B[h], r0\n\tadc %C[h], r1\n\tadc %D[h], %[z]\n\t" \
  "mul %D[a], %D[b]\n\t" \
  "add %C[h], r0\n\tadc %D[h], r1\n\t" \
  "sbrs %D[a], 7\n\t" \
  "rjmp 12f\n\t" \
  "sub %A[h], %A[b]\n\tsbc %B[h], %B[b]\n\tsbc %C[h], %C[b]\n\tsbc %D[h], %D[b]\n\t" \
  "12:\n\t"
// clang-format on

// Bytes 3..7 of the signed 64-bit product a * b: returns bytes 4..7, byte 3 in b3.
__attribute__((always_inline)) inline uint32_t mul_hi_s32(int32_t a, int32_t b, uint8_t& b3) {
  uint32_t hi;
  uint8_t t1, t2, zero;
  __asm__(MINIML_AVR_MUL_HI_COLUMNS "clr __zero_reg__"
          : [h] "=&r"(hi), [b3] "=&r"(b3), [t1] "=&r"(t1), [t2] "=&r"(t2), [z] "=&r"(zero)
          : [a] "r"(a), [b] "r"(b)
          : "r0");
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
  // One high product for every shift (mul_hi_s32 is most of the code; this runs where requantize_s8_avr does
  // not). With Q = scaled * multiplier + 2^30, the high product h is floor(Q / 2^31) (see srdhm_mul); for
  // right <= 1 it is rounded directly; for right = e >= 2, rounding_divide_by_pot(h, e) = ((h - [h < 0]) >>
  // (e - 1) + 1) >> 1 (see there), h - [h < 0] = floor(Q' / 2^31) with Q' = Q - 2^31 [Q < 0], so the result
  // is ((Q' >> 32) >> (e - 2) + 1) >> 1, in 64-bit arithmetic where nothing overflows.
  // The product is exact for every input (INT32_MIN * INT32_MIN = 2^62); the high product of that one
  // saturates to 2^31 - 1 (h = 2^31 below), which for right >= 2 rounds to 2^(31 - right) like 2^31 does.
  uint8_t b3;
  uint32_t hi = detail::mul_hi_s32(scaled, multiplier, b3);
  const uint8_t low = static_cast<uint8_t>(b3 + 0x40u);  // + 2^30
  if (low < 0x40u) ++hi;
  if (right < 2) {
    uint32_t h = (hi << 1) | (low >> 7);
    if (h == UINT32_C(0x80000000)) --h;
    // right 1: rounding_divide_by_pot's mask / threshold for exponent 1 (odd h >= 0 rounds up)
    const int32_t v = static_cast<int32_t>(h);
    return right == 0 ? v : (v >> 1) + ((v & 1) != 0 && v >= 0 ? 1 : 0);
  }
  if (static_cast<int32_t>(hi) < 0 && low < 0x80u) --hi;  // Q < 0: - 2^31
  int32_t v = static_cast<int32_t>(hi);
  uint8_t e = static_cast<uint8_t>(right - 2);
  while (e >= 8) {
    v >>= 8;
    e = static_cast<uint8_t>(e - 8);
  }
  v >>= e;
  return (v + 1) >> 1;
#else
  // The same both-roundings-at-once form on 32-bit cores (one smlal and a few ALU ops on Arm instead of
  // the high product, then mask / threshold rounding; every requantisation of a conv output runs it).
  if (right >= 2 && !(multiplier == INT32_MIN && scaled == INT32_MIN)) {
    const int64_t q = static_cast<int64_t>(scaled) * multiplier + (INT64_C(1) << 30);
    int32_t hi = static_cast<int32_t>(q >> 32);
    if (hi < 0 && static_cast<uint32_t>(q) < UINT32_C(0x80000000)) --hi;  // Q < 0: - 2^31
    return ((hi >> (right - 2)) + 1) >> 1;
  }
  return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(scaled, multiplier), right);
#endif
}

namespace detail {
// requantize_s8 as TFLM writes it (the reference the fast forms are checked against): scale, add the output
// zero point, clamp to the fused activation. Inline: out of line it costs AVR callers more flash (its own
// prologue and the call's arguments) than it saves.
inline int8_t requantize_s8_ref(int32_t acc, int32_t multiplier, int8_t shift, int32_t output_zero_point,
                                int32_t act_min, int32_t act_max) {
  int32_t v = multiply_by_quantized_multiplier(acc, multiplier, shift) + output_zero_point;
  if (v < act_min) v = act_min;
  if (v > act_max) v = act_max;
  return static_cast<int8_t>(v);
}
}  // namespace detail

#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
// A call from top-level asm (where %~ is not available).
#if defined(__AVR_HAVE_JMP_CALL__)
#define MINIML_AVR_CALL "call "
#else
#define MINIML_AVR_CALL "rcall "
#endif
namespace detail {
inline bool fits_s8(int32_t v) { return v >= kInt8Min && v <= kInt8Max; }
// acc in [-2^23, 2^23): what requantize_s8_avr takes (small layers' accumulators mostly are).
inline bool fits_s24(int32_t v) { return static_cast<uint32_t>(v) + UINT32_C(0x800000) < UINT32_C(0x1000000); }

// requantize_s8 for acc in 24 bits (fits_s24), a multiplier >= 0, a right shift s = e + 2 >= 2 and an int8 zero
// point and bounds (what requantize_s8 and ChannelRequant check), as one asm routine on fixed registers (acc
// r22-r25, multiplier r18-r21, e r16, zp r14, act_min r12, act_max r10; it changes only r0, r18-r27, r30, r31 and
// the flags, r1 left zero) called from asm: no calling convention, so a call saves nothing per output and the
// zero point and bounds stay in place across a row. The result is TFLM's, worked out on |acc| (with P = acc m, m >= 0):
//   TFLM rounds twice: h = floor((P + 2^30) / 2^31), then h / 2^s rounded half away from zero. For P <= 0,
//   h = -floor((|P| + 2^30 - 1) / 2^31), and a halves-away rounding of -x is minus that of x, so the result is
//   sign(acc) X with X = floor((Z + 2^(30+s)) / 2^(31+s)), Z = |P| + 2^30 - [acc < 0] (nested floors merge):
//   X = floor((H + 2^e) / 2^(e+1)) with H = floor(Z / 2^32).
//   1. H from bytes 3..6 of Z: each byte product added at its column, except the columns below byte 3 and the
//      low bytes of column 2 (6 of the 9 to 12 products, together below 4.98 * 2^24), and Z's -1 as 0xFFFFFF
//      below byte 3 (byte 3 starts at 0x40 - [acc < 0]): what they carry into byte 3 is at most 5, so while byte
//      3 stays below 0xFB nothing reaches byte 4; from 0xFB (2% of outputs) the left-out part is summed exactly
//      (out of line). |acc|'s byte 2 is mostly 0 (its 4 products skipped).
//   2. H >>= 8 while e >= 8; H >= 2^16 saturates (X >= 2^8: beyond any int8 zero point and bound); else X =
//      (H 2^(7-e) + 2^7) >> 8 by two 8-bit muls, X >= 2^8 saturates.
//   3. zp + X or zp - X, biased by 128 so that leaving int8 is the carry, clamped to [act_min, act_max] in 8 bits.
// Registers: a = |acc| r22-r24, r25 zero, m r18-r21, bytes 3..6 of Z in r26, r30, r31, r27, T the sign.
// Result in r22. About 78 cycles with the call for |acc| < 2^16 and e < 8 (most outputs), 8 more per byte of
// shift, 24 more for |acc| >= 2^16 (simavr).
// clang-format off
#define MINIML_AVR_REQUANT_HEAD \
  /* T = acc < 0, a = |acc|, byte 3 of Z = 0x40 - T */ \
  "bst r24, 7\n\t" \
  "ldi r26, 0x40\n\t" \
  "brtc 1f\n\t" \
  "com r24\n\tcom r23\n\tneg r22\n\tsbci r23, 0xFF\n\tsbci r24, 0xFF\n\t" \
  "dec r26\n\t" \
  "1:\n\t" \
  "clr r25\n\t" \
  /* 1. a1 m3, a0 m3, a1 m2 at their columns; the high bytes of a0 m2, a1 m1 */ \
  "mul r23, r21\n\tmovw r30, r0\n\t" \
  "mul r22, r21\n\tadd r26, r0\n\tadc r30, r1\n\tadc r31, r25\n\t" \
  "mul r23, r20\n\tadd r26, r0\n\tadc r30, r1\n\tadc r31, r25\n\t" \
  "mul r22, r20\n\tadd r26, r1\n\tadc r30, r25\n\tadc r31, r25\n\t" \
  "mul r23, r19\n\tadd r26, r1\n\tadc r30, r25\n\tadc r31, r25\n\t" \
  "clr r27\n\t" \
  "cpse r24, r25\n\t" \
  "rjmp 8f\n\t" \
  "2:\n\t" \
  "cpi r26, 0xFB\n\t" \
  "brsh 9f\n\t" \
  /* 2. H = r27:r31:r30 >>= 8 while e (counted down in r21) >= 8 */ \
  "3:\n\t" \
  "cpi r16, 8\n\t" \
  "brlo 5f\n\t" \
  "mov r21, r16\n\t" \
  "4:\n\t" \
  "mov r30, r31\n\tmov r31, r27\n\tclr r27\n\t" \
  "subi r21, 8\n\t" \
  "cpi r21, 8\n\t" \
  "brsh 4b\n\t" \
  "5:\n\t" \
  /* g = 2^(7 - e mod 8) in r20 from e's low bits: 7 - (e mod 8) is their complement */ \
  "ldi r20, 1\n\t" \
  "sbrs r16, 1\n\tldi r20, 4\n\t" \
  "sbrs r16, 0\n\tlsl r20\n\t" \
  "sbrs r16, 2\n\tswap r20\n\t"
// The out-of-line parts of the head, placed after the routine's ret.
#define MINIML_AVR_REQUANT_HEAD_BLOCKS \
  /* byte 3 >= 0xFB: the left-out products' sum R (bytes 0..3 in r0, r19, r20, r21, each multiplier byte's */ \
  /* register reused once its last product is taken), rounded up to a multiple of 2^24 when acc < 0 (Z's */ \
  /* 0xFFFFFF), its byte 3 carried into Z */ \
  "9:\n\t" \
  "mul r22, r20\n\tmov r20, r0\n\tclr r21\n\t" \
  "mul r23, r19\n\tadd r20, r0\n\tadc r21, r25\n\t" \
  "mul r24, r18\n\tadd r20, r0\n\tadc r21, r25\n\t" \
  "mul r22, r19\n\tmov r19, r0\n\tadd r20, r1\n\tadc r21, r25\n\t" \
  "mul r23, r18\n\tadd r19, r0\n\tadc r20, r1\n\tadc r21, r25\n\t" \
  "mul r22, r18\n\tadd r19, r1\n\tadc r20, r25\n\tadc r21, r25\n\t" \
  "brtc 15f\n\t" \
  "cp r25, r0\n\tcpc r25, r19\n\tcpc r25, r20\n\tadc r21, r25\n\t" \
  "15:\n\t" \
  "add r26, r21\n\tadc r30, r25\n\tadc r31, r25\n\tadc r27, r25\n\t" \
  "rjmp 3b\n\t" \
  /* |acc| >= 2^16: a2 m0 (high byte), a2 m1, a2 m2, a2 m3 */ \
  "8:\n\t" \
  "mul r24, r18\n\tadd r26, r1\n\tadc r30, r25\n\tadc r31, r25\n\tadc r27, r25\n\t" \
  "mul r24, r19\n\tadd r26, r0\n\tadc r30, r1\n\tadc r31, r25\n\tadc r27, r25\n\t" \
  "mul r24, r20\n\tadd r30, r0\n\tadc r31, r1\n\tadc r27, r25\n\t" \
  "mul r24, r21\n\tadd r31, r0\n\tadc r27, r1\n\t" \
  "rjmp 2b\n\t"
// requantize_s8_avr: H >= 2^16 or X >= 2^8 saturate; zp +- X clamped to [act_min, act_max]. Result in r22.
#define MINIML_AVR_REQUANT_S8_BODY \
  MINIML_AVR_REQUANT_HEAD \
  /* H >= 2^16: X >= 2^8 */ \
  "cpse r27, r25\n\t" \
  "rjmp 7f\n\t" \
  /* X = (H g + 2^7) >> 8 in r19:r18 (bit 7 of the low byte is the rounding carry) */ \
  "mul r31, r20\n\tmovw r18, r0\n\t" \
  "mul r30, r20\n\tlsl r0\n\tadc r18, r1\n\tadc r19, r25\n\t" \
  "cpse r19, r25\n\t" \
  "rjmp 7f\n\t" \
  /* 3. zp + 128 +- X: a carry leaves int8 */ \
  "mov r22, r14\n\tsubi r22, 0x80\n\t" \
  "brts 6f\n\t" \
  "add r22, r18\n\t" \
  "brcs 11f\n\t" \
  "10:\n\t" \
  "subi r22, 0x80\n\t" \
  "cp r22, r12\n\t" \
  "brge 13f\n\t" \
  "12:\n\t" \
  "mov r22, r12\n\t" \
  "13:\n\t" \
  "cp r10, r22\n\t" \
  "brge 14f\n\t" \
  "11:\n\t" \
  "mov r22, r10\n\t" \
  "14:\n\t" \
  "clr __zero_reg__\n\t" \
  "ret\n\t" \
  /* X >= 2^8: act_min (then act_max if lower) or act_max */ \
  "7:\n\t" \
  "brts 12b\n\t" \
  "rjmp 11b\n\t" \
  /* acc < 0: zp + 128 - X */ \
  "6:\n\t" \
  "sub r22, r18\n\t" \
  "brcs 12b\n\t" \
  "rjmp 10b\n\t" \
  MINIML_AVR_REQUANT_HEAD_BLOCKS
// clang-format on

// The routine: the body above, called from asm (so no C calling convention applies: the callers'
// values stay in registers the routine leaves alone). Top-level asm in a COMDAT section: every translation
// unit including this header emits it, the linker keeps one (and --gc-sections drops it when unused).
__asm__(
    ".ifndef miniml_requantize_s8_avr\n\t"  // once per assembly file: LTO joins translation units into one
    ".pushsection .text.miniml_requantize_s8_avr,\"axG\",@progbits,miniml_requantize_s8_avr,comdat\n\t"
    ".weak miniml_requantize_s8_avr\n\t"
    ".type miniml_requantize_s8_avr, @function\n"
    "miniml_requantize_s8_avr:\n\t" MINIML_AVR_REQUANT_S8_BODY
    ".size miniml_requantize_s8_avr, .-miniml_requantize_s8_avr\n\t"
    ".popsection\n\t"
    ".endif");

// One call of the routine: its inputs pinned to its registers; the loop-invariant zero point and bounds stay
// where they are between calls, and the caller saves the scratch registers once, not per call.
__attribute__((always_inline)) inline int8_t requantize_s8_avr(int32_t acc, int32_t multiplier, uint8_t e, int8_t zp,
                                                               int8_t act_min, int8_t act_max) {
  register int32_t a asm("r22") = acc;
  register int32_t m asm("r18") = multiplier;
  register uint8_t shift asm("r16") = e;
  register int8_t z asm("r14") = zp;
  register int8_t lo asm("r12") = act_min;
  register int8_t hi asm("r10") = act_max;
  __asm__ volatile("%~call miniml_requantize_s8_avr"
                   : "+r"(a), "+r"(m)
                   : "r"(shift), "r"(z), "r"(lo), "r"(hi)
                   : "r0", "r26", "r27", "r30", "r31");
  return static_cast<int8_t>(a);
}

// requantize_s16's common case (acc in 24 bits, multiplier >= 0, right shift e + 2 >= 2) on the same head as
// requantize_s8_avr, then X = (H 2^(7-e) + 2^7) >> 8 in 24 bits (three 8-bit muls) and +-X saturated to int16.
// A C-callable function (extern "C" miniml_requantize_s16_avr: acc r22-r25, multiplier r18-r21, e r16, result
// r24:r25; it writes only call-clobbered registers): GRU gates call it per output, where inlining would not pay
// for the call it saves.
// clang-format off
#define MINIML_AVR_REQUANT_S16_BODY \
  MINIML_AVR_REQUANT_HEAD \
  /* X in r26:r19:r18 */ \
  "mul r31, r20\n\tmovw r18, r0\n\t" \
  "mul r27, r20\n\tadd r19, r0\n\tmov r26, r1\n\tadc r26, r25\n\t" \
  "mul r30, r20\n\tlsl r0\n\tadc r18, r1\n\tadc r19, r25\n\tadc r26, r25\n\t" \
  "cpse r26, r25\n\t" \
  "rjmp 6f\n\t" \
  "brts 7f\n\t" \
  "sbrc r19, 7\n\t" \
  "rjmp 6f\n\t" \
  "10:\n\t" \
  "movw r24, r18\n\t" \
  "clr __zero_reg__\n\t" \
  "ret\n\t" \
  /* acc < 0: -X, or -2^15 from X > 2^15 on */ \
  "7:\n\t" \
  "cpi r18, 1\n\tldi r20, 0x80\n\tcpc r19, r20\n\t" \
  "brsh 6f\n\t" \
  "com r19\n\tneg r18\n\tsbci r19, 0xFF\n\t" \
  "rjmp 10b\n\t" \
  /* saturated: 0x7FFF, or 0x8000 when acc < 0 */ \
  "6:\n\t" \
  "ldi r18, 0xFF\n\tldi r19, 0x7F\n\t" \
  "brtc 10b\n\t" \
  "ldi r18, 0\n\tldi r19, 0x80\n\t" \
  "rjmp 10b\n\t" \
  MINIML_AVR_REQUANT_HEAD_BLOCKS
// clang-format on
__asm__(
    ".ifndef miniml_requantize_s16_avr\n\t"
    ".pushsection .text.miniml_requantize_s16_avr,\"axG\",@progbits,miniml_requantize_s16_avr,comdat\n\t"
    ".weak miniml_requantize_s16_avr\n\t"
    ".type miniml_requantize_s16_avr, @function\n"
    "miniml_requantize_s16_avr:\n\t" MINIML_AVR_REQUANT_S16_BODY
    ".size miniml_requantize_s16_avr, .-miniml_requantize_s16_avr\n\t"
    ".popsection\n\t"
    ".endif");
}  // namespace detail
}  // namespace miniml
extern "C" int16_t miniml_requantize_s16_avr(int32_t acc, int32_t multiplier, uint8_t e);
namespace miniml {
namespace detail {
inline int16_t requantize_s16_avr(int32_t acc, int32_t multiplier, uint8_t e) {
  return miniml_requantize_s16_avr(acc, multiplier, e);
}
}  // namespace detail
#endif

// Requantise one int32 accumulator to int8 (requantize_s8_ref's integers). AVR: the common case (shift <= -2,
// multiplier >= 0, acc in 24 bits, int8 zero point and bounds) in requantize_s8_avr, the rest out of line.
inline int8_t requantize_s8(int32_t acc, int32_t multiplier, int8_t shift, int32_t output_zero_point, int32_t act_min,
                            int32_t act_max) {
#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
  if (shift <= -2 && multiplier >= 0 && detail::fits_s24(acc) && detail::fits_s8(output_zero_point) &&
      detail::fits_s8(act_min) && detail::fits_s8(act_max)) {
    return detail::requantize_s8_avr(acc, multiplier, static_cast<uint8_t>(-shift - 2),
                                     static_cast<int8_t>(output_zero_point), static_cast<int8_t>(act_min),
                                     static_cast<int8_t>(act_max));
  }
#endif
  return detail::requantize_s8_ref(acc, multiplier, shift, output_zero_point, act_min, act_max);
}

namespace detail {
// On AVR the rare case stays out of the callers' loops (and their registers).
#if defined(__AVR__)
#define MINIML_REQUANT_S16_REF __attribute__((noinline)) inline
#else
#define MINIML_REQUANT_S16_REF inline
#endif
MINIML_REQUANT_S16_REF int32_t requantize_s16_ref(int32_t x, int32_t multiplier, int8_t shift) {
  const int32_t v = multiply_by_quantized_multiplier(x, multiplier, shift);
  return v < -32768 ? -32768 : (v > 32767 ? 32767 : v);
}
}  // namespace detail

// multiply_by_quantized_multiplier saturated to int16 (GRU / RNN / LSTM gate sums in Q3.12). AVR: the
// common case in requantize_s16_avr, the rest out of line.
inline int32_t requantize_s16(int32_t x, int32_t multiplier, int8_t shift) {
#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
  if (shift <= -2 && multiplier >= 0 && detail::fits_s24(x)) {
    return detail::requantize_s16_avr(x, multiplier, static_cast<uint8_t>(-shift - 2));
  }
#endif
  return detail::requantize_s16_ref(x, multiplier, shift);
}

// requantize_s8 for one output channel's many outputs (the conv kernels' hot loops): the channel's
// constants are looked at once. On 32-bit cores the common case (shift <= -2, any multiplier below 1/2)
// runs inline in the both-roundings-at-once form of multiply_by_quantized_multiplier, with the sign of
// acc for the sign of Q (equal for multiplier >= 0: Q = acc m + 2^30 is >= 2^30 for acc >= 0 and <= 0
// for acc < 0, and Q = 0 rounds to 0 either way); on AVR the same case with int8 zero point and bounds
// and acc in 24 bits takes requantize_s8_avr; everything else calls requantize_s8_ref.
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
    if (fast && detail::fits_s24(acc)) {
      return detail::requantize_s8_avr(acc, multiplier, static_cast<uint8_t>(-shift - 2),
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
    return detail::requantize_s8_ref(acc, multiplier, shift, output_zero_point, act_min, act_max);
  }
};

}  // namespace miniml

#endif  // MINIML_CORE_FIXEDPOINT_H_
