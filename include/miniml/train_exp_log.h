// exp and log for the cross-entropy loss (train_loss.h), in integer arithmetic: the same bits on every board by
// construction (no libm; the one float operation, exp's NaN test x == x, is exact), within 1 ulp of the correctly
// rounded value (test/python/train/test_train_exp_log.py sweeps both domains against float64 numpy, on the host
// and in simavr, and hashes them on every simulated board). Small on AVR, where it replaces avr-libc's exp, log
// and their helpers (ldexp, modf, __fp_powser, ...): one body for both, one polynomial loop (every product goes
// through it), no tables but the two polynomials' coefficients.
// Values inside are 32-bit fixed point: "Q32" is v 2^32; a normalised pair (m, e) is m 2^(e-32) with the top
// bit of m set. Each step truncates; with the polynomials' own error the sum stays under 2^-27 relative, well
// inside the 2^-25 that keeps the one rounding at the end (pack_f32) within 1 ulp of the correctly rounded value.
#ifndef MINIML_TRAIN_EXP_LOG_H_
#define MINIML_TRAIN_EXP_LOG_H_

#include <stdint.h>
#include <string.h>

#include "core_float_bits.h"
#include "core_rom.h"

namespace miniml {

// Out of line on AVR: one copy however many loops call it.
#if defined(__AVR__)
#define MINIML_EXP_LOG_INLINE __attribute__((noinline)) inline
#else
#define MINIML_EXP_LOG_INLINE inline
#endif

namespace detail {

// floor((a b - (a mod 2^16) (b mod 2^16)) / 2^32): the high half of the product without its lowest 16x16
// part (less than 1 below floor(a b / 2^32)), 12 of the 16 byte products on AVR. The plain definition; the
// code off AVR uses mul_hi_u32_fast, the same integers.
inline uint32_t mul_hi_u32(uint32_t a, uint32_t b) {
  const uint32_t low = (a & 0xFFFFu) * (b & 0xFFFFu);
  return static_cast<uint32_t>((static_cast<uint64_t>(a) * b - low) >> 32);
}

// Thumb-2 (Cortex-M3/M4/M7...): a b - (a mod 2^16) (b mod 2^16) = (a - a mod 2^16) b + (a mod 2^16) (b - b mod
// 2^16), two 32x32 products summed exactly (umull, umlal), nothing to subtract; the high word is the result.
// Elsewhere the plain product with the low word's borrow subtracted (GCC computes the 64-bit difference
// otherwise: rv32 one instruction more). MINIML_EXP_LOG_MUL_HALVES=0/1 picks one (the tests build both).
// Always inlined: -Os would call it from the loop.
#ifndef MINIML_EXP_LOG_MUL_HALVES
#if defined(__arm__) && defined(__ARM_ARCH_ISA_THUMB) && __ARM_ARCH_ISA_THUMB >= 2
#define MINIML_EXP_LOG_MUL_HALVES 1
#else
#define MINIML_EXP_LOG_MUL_HALVES 0
#endif
#endif
__attribute__((always_inline)) inline uint32_t mul_hi_u32_fast(uint32_t a, uint32_t b) {
#if MINIML_EXP_LOG_MUL_HALVES
  const uint64_t sum = static_cast<uint64_t>(a & UINT32_C(0xFFFF0000)) * b +
                       static_cast<uint64_t>(a & 0xFFFFu) * (b & UINT32_C(0xFFFF0000));
  return static_cast<uint32_t>(sum >> 32);
#else
  const uint64_t product = static_cast<uint64_t>(a) * b;
  const uint32_t borrow = static_cast<uint32_t>(product) < (a & 0xFFFFu) * (b & 0xFFFFu) ? 1u : 0u;
  return static_cast<uint32_t>(product >> 32) - borrow;
#endif
}

// n >= 1 steps h = c[i] - mul_hi_u32(x, h), i = 0..n-1, in Q32 (mod 2^32): Horner's rule for an alternating
// series c[n-1] - x (c[n-2] - x (... - x h)) with positive c, each partial value in (0, 1]; a c of 0 stands
// for 1 while x times the rest is in (0, 1). AVR: the whole loop in one block, out of line, the product's
// bytes in a window from byte 2 up (bytes 0 and 1 hold only the left-out part), c read from flash.
#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
// The routine (called from asm: no C calling convention, no saved registers). In: x r22:25, h r18:21, c Z,
// n r26. Out: h r18:21. Changes r0, r11..r17, r26, r27, Z (the product's bytes 2, 3 in r11, r27, 4..7 in
// r14..r17, zeros in r12:r13 to clear them with two movw); r1 left zero. Top-level asm in a COMDAT section, as
// requantize_s8_avr's routine.
// clang-format off
__asm__(
    ".ifndef miniml_alternating_steps_avr\n\t"
    ".pushsection .text.miniml_alternating_steps_avr,\"axG\",@progbits,miniml_alternating_steps_avr,comdat\n\t"
    ".weak miniml_alternating_steps_avr\n\t"
    ".type miniml_alternating_steps_avr, @function\n"
    "miniml_alternating_steps_avr:\n\t"
    "clr r12\n\tclr r13\n"
    "1:\n\t"
    "movw r14, r12\n\tmovw r16, r12\n\t"
    "mul r22, r20\n\tmov r11, r0\n\tmov r27, r1\n\t"
    "mul r24, r18\n\tadd r11, r0\n\tadc r27, r1\n\tadc r14, r12\n\t"
    "mul r22, r21\n\tadd r27, r0\n\tadc r14, r1\n\tadc r15, r12\n\t"
    "mul r23, r20\n\tadd r27, r0\n\tadc r14, r1\n\tadc r15, r12\n\t"
    "mul r24, r19\n\tadd r27, r0\n\tadc r14, r1\n\tadc r15, r12\n\t"
    "mul r25, r18\n\tadd r27, r0\n\tadc r14, r1\n\tadc r15, r12\n\t"
    "mul r23, r21\n\tadd r14, r0\n\tadc r15, r1\n\tadc r16, r12\n\t"
    "mul r24, r20\n\tadd r14, r0\n\tadc r15, r1\n\tadc r16, r12\n\t"
    "mul r25, r19\n\tadd r14, r0\n\tadc r15, r1\n\tadc r16, r12\n\t"
    "mul r24, r21\n\tadd r15, r0\n\tadc r16, r1\n\tadc r17, r12\n\t"
    "mul r25, r20\n\tadd r15, r0\n\tadc r16, r1\n\tadc r17, r12\n\t"
    "mul r25, r21\n\tadd r16, r0\n\tadc r17, r1\n\t"
    "lpm r18, Z+\n\tlpm r19, Z+\n\tlpm r20, Z+\n\tlpm r21, Z+\n\t"
    "sub r18, r14\n\tsbc r19, r15\n\tsbc r20, r16\n\tsbc r21, r17\n\t"
    "dec r26\n\tbrne 1b\n\t"
    "clr __zero_reg__\n\t"
    "ret\n\t"
    ".size miniml_alternating_steps_avr, .-miniml_alternating_steps_avr\n\t"
    ".popsection\n\t"
    ".endif");
// clang-format on
inline uint32_t alternating_steps_q32(uint32_t x, uint32_t h, const uint32_t* c, uint8_t n) {
  register uint32_t x_reg asm("r22") = x;
  register uint32_t h_reg asm("r18") = h;
  register const uint32_t* c_reg asm("r30") = c;
  register uint8_t n_reg asm("r26") = n;
  __asm__ volatile("%~call miniml_alternating_steps_avr"
                   : "+r"(h_reg), "+r"(c_reg), "+r"(n_reg)
                   : "r"(x_reg)
                   : "r0", "r11", "r12", "r13", "r14", "r15", "r16", "r17", "r27");
  return h_reg;
}
#else
inline uint32_t alternating_steps_q32(uint32_t x, uint32_t h, const uint32_t* c, uint8_t n) {
  const uint32_t* const end = c + n;  // no counter to decrement and mask
  do {
    h = rom_read(c++) - mul_hi_u32_fast(x, h);
  } while (c != end);
  return h;
}
#endif

// v >> n for any n (0 from 32 on). AVR: whole bytes first (it shifts a 32-bit value a bit at a time).
#if defined(__AVR__)
__attribute__((noinline)) inline uint32_t shr_u32(uint32_t v, uint8_t n) {
  for (; n >= 8; n = static_cast<uint8_t>(n - 8)) v >>= 8;
  return v >> n;
}
#else
inline uint32_t shr_u32(uint32_t v, uint8_t n) { return n >= 32 ? 0u : v >> n; }
#endif

// m << 1 while its top bit is clear (m != 0), counting the shifts into *e.
inline uint32_t normalise_u32(uint32_t m, int_fast16_t* e) {
#if defined(__AVR__)
  while ((m >> 31) == 0) {
    m <<= 1;
    --*e;
  }
  return m;
#else
  const int shift = __builtin_clz(m);
  *e = static_cast<int_fast16_t>(*e - shift);
  return m << shift;
#endif
}

// The float nearest m 2^(e-32) (m != 0, m 2^(e-32) < 2^127), halves up; subnormal or zero below 2^-126.
inline float pack_f32(uint32_t m, int_fast16_t e) {
  m = normalise_u32(m, &e);
  int_fast16_t field = static_cast<int_fast16_t>(e + 126);  // of m 2^-31 in [1, 2)
  if (field < 1) {  // onto the subnormal grid 2^-149 first (floor, then the rounding below: the same result)
    m = shr_u32(m, static_cast<uint8_t>(1 - field));
    field = 1;
  }
  // The significand's top bit lands on the exponent field's lowest: field - 1 there; a carry out of the
  // rounding steps the exponent, as it should. The exponent in the high half: byte moves, no 23-bit shift.
  const uint32_t bits = (static_cast<uint32_t>(static_cast<uint16_t>((field - 1) << 7)) << 16) + (m >> 8) +
                        (static_cast<uint8_t>(m) >> 7);
  float f;
  memcpy(&f, &bits, sizeof(f));
  return f;
}

// The polynomials' coefficients (Remez minimax fits), highest degree first; a class template's static members:
// one copy however many files include this.
template <typename Unused = void>
struct ExpLogCoefficients {
  // e^-r = 1 - r + sum c_k (-r)^k, k = 2..6, r in [0, 0.698]: error < 2^-28.6 (c_6: kExpC6)
  static const uint32_t exp[6];
  static const uint32_t all_ones[1];  // mul_hi_u32 as one step: ~alternating_steps_q32(a, b, all_ones, 1)
  // log2(1 + u) / 2u = sum c_k (-u)^k, k = 0..9, u in [0, 1]: error < 2^-27.7 relative (c_9: kLog2C9)
  static const uint32_t log2[9];
};
template <typename Unused>
const uint32_t ExpLogCoefficients<Unused>::exp[6] MINIML_ROM = {0x020dd905, 0x0aa2a0f1, 0x2aa92bec, 0x7fffe61a, 0, 0};
constexpr uint32_t kExpC6 = UINT32_C(0x004225b5);
template <typename Unused>
const uint32_t ExpLogCoefficients<Unused>::all_ones[1] MINIML_ROM = {UINT32_C(0xFFFFFFFF)};
template <typename Unused>
const uint32_t ExpLogCoefficients<Unused>::log2[9] MINIML_ROM = {
    0x03cf4a32, 0x0acb7146, 0x13de8108, 0x1c70c98e, 0x24662818, 0x2e185876, 0x3d8cddc8, 0x5c55166c, 0xb8aa3b29};
constexpr uint32_t kLog2C9 = UINT32_C(0x00a1629c);

// floor(ln 2 2^40), as floor(ln 2 2^32) and the next 8 bits: k ln 2 from below to 2^-40 k.
constexpr uint32_t kQ32Ln2 = UINT32_C(0xB17217F7);
constexpr uint8_t kLn2Next8 = 0xD1;
constexpr uint16_t kLog2eQ15Floor = 47274;  // floor(log2(e) 2^15)

// n + m 2^(e-32) for n >= 1 and m 2^(e-32) < 1 (e <= 0): m shifted down until n's bits are in it.
inline uint32_t add_integer_part(uint32_t m, uint8_t n, int_fast16_t* e) {
  m = shr_u32(m, static_cast<uint8_t>(-*e));
  for (*e = 0; n != 0; n = static_cast<uint8_t>(n >> 1), ++*e) {
    m >>= 1;
    if (n & 1u) m |= UINT32_C(0x80000000);
  }
  return m;
}

// e^x for x <= 0 (-0 included; -Inf gives 0), NaN for NaN and x > 0. Cody-Waite: e^-|x| = 2^-k e^-r with
// k = floor(|x| log2 e) from 8 fraction bits (a lower bound, at most 0.007 below), r = |x| - k ln 2 in
// [0, 0.698) as a Q32 fraction (x's exact fraction bits minus k ln 2 mod 1 from below: r never wraps, and it
// is at least 2^-29 for every float x), e^-r by its polynomial.
// ln x for x >= 1 (Inf gives Inf), NaN for NaN and x < 1. x = 2^n (1 + u), u in [0, 1) exact in Q32:
// log2 x = n + u Q(u), Q(u) = log2(1 + u) / u by its polynomial (halved to fit Q32), with u normalised first
// so that u Q(u) keeps its relative precision near x = 1; then ln x = log2 x ln 2 (one more product; on AVR
// through the loop: ~(all ones - m ln 2)).
// Both in one body: on AVR one prologue, one set of special returns and one tail (the loop's last call, pack);
// elsewhere one loop site for both polynomials (inlined) and the log's two products after it.
MINIML_EXP_LOG_INLINE float exp_or_log_f32(float x, bool log) {
  typedef ExpLogCoefficients<> C;
  const uint32_t bits = float_bits(x);
  const uint16_t high = static_cast<uint16_t>(bits >> 16);
  const uint8_t field = static_cast<uint8_t>(static_cast<uint16_t>(high << 1) >> 8);
  // The tail, shared: pack_f32(alternating_steps_q32(m, h, c, steps) ^ flip, e).
  uint32_t m;
  uint32_t h;
  const uint32_t* c;
  uint8_t steps;
  int_fast16_t e;
#if defined(__AVR__)
  uint32_t flip = 0;
#endif
  if (!log) {
    if (static_cast<int32_t>(bits) > 0) return nan_f32();  // x > 0 or +NaN
    if (field >= 134) return x == x ? 0.0f : x;            // |x| >= 128 (e^-104 already rounds to 0); NaN
    if (field < 102) return 1.0f;                          // |x| < 2^-25: e^x rounds to 1
    // |x| = mantissa 2^(field - 150); k = 0 below |x| = 1/2; fraction = |x| 2^32 mod 2^32, exact from 2^-9 on.
    const uint32_t mantissa = (bits & UINT32_C(0x7FFFFF)) | UINT32_C(0x800000);
    uint8_t k = 0;
    uint32_t fraction;
    if (field >= 126) {
      const uint32_t in_2_24ths = mantissa << (field - 126);  // exact, < 2^31
      const uint16_t in_256ths = static_cast<uint16_t>(in_2_24ths >> 16);
      k = static_cast<uint8_t>(static_cast<uint16_t>((static_cast<uint32_t>(in_256ths) * kLog2eQ15Floor) >> 16) >> 7);
      fraction = in_2_24ths << 8;
    } else {
      fraction = shr_u32(mantissa << 8, static_cast<uint8_t>(126 - field));
    }
    m = fraction -
        (static_cast<uint32_t>(k) * kQ32Ln2 + (static_cast<uint16_t>(static_cast<uint16_t>(k) * kLn2Next8) >> 8));
    h = kExpC6;
    c = C::exp;
    steps = 6;
    e = static_cast<int_fast16_t>(-k);
  } else {
    if (high >= 0x7F80u) return (high >> 15) == 0 ? x : nan_f32();  // +Inf, +NaN; negative
    if (field < 127) return nan_f32();
    uint8_t n = static_cast<uint8_t>(field - 127);
    const uint32_t u = bits << 9;  // the significand's 23 bits, as a Q32 fraction
#if defined(__AVR__)
    e = 1;  // for Q's half
    m = 0;  // log2 x = m 2^(e-32)
    if (u != 0) {
      m = normalise_u32(u, &e);
      m = normalise_u32(~alternating_steps_q32(m, alternating_steps_q32(u, kLog2C9, C::log2, 9), C::all_ones, 1), &e);
    } else if (n == 0) {
      return 0.0f;
    }
    if (n != 0) m = add_integer_part(m, n, &e);
    h = kQ32Ln2;
    c = C::all_ones;
    steps = 1;
    flip = ~UINT32_C(0);
  }
  return pack_f32(alternating_steps_q32(m, h, c, steps) ^ flip, e);
#else
    // Off AVR the same integers with the two products as products (on AVR they are loop steps, its one
    // multiplier): Q(u) at the one loop below (inlined there: no call), the rest after it.
    if (u == 0 && n == 0) return 0.0f;
    m = u;
    h = kLog2C9;
    c = C::log2;
    steps = 9;
  }
  h = alternating_steps_q32(m, h, c, steps);
  if (log) {  // m is still u; n from field again
    const uint32_t u = m;
    const uint8_t n = static_cast<uint8_t>(field - 127);
    e = 1;
    m = 0;
    if (u != 0) {
      m = normalise_u32(u, &e);
      m = normalise_u32(mul_hi_u32_fast(m, h), &e);
    }
    if (n != 0) m = add_integer_part(m, n, &e);
    h = mul_hi_u32_fast(kQ32Ln2, m);
  }
  return pack_f32(h, e);
#endif
}

}  // namespace detail

// e^x for x <= 0 and ln x for x >= 1 (exp_or_log_f32 says how, and what other inputs give).
inline float exp_nonpositive_f32(float x) { return detail::exp_or_log_f32(x, false); }
inline float log_at_least_one_f32(float x) { return detail::exp_or_log_f32(x, true); }

}  // namespace miniml

#undef MINIML_EXP_LOG_INLINE

#endif  // MINIML_TRAIN_EXP_LOG_H_
