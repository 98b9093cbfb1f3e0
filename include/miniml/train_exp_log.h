// exp and log for the cross-entropy loss (train_loss.h), in integer arithmetic only: the same bits on every
// board by construction (no libm, no float operation a compiler could contract), within 1 ulp of the correctly
// rounded value (test/python/train/test_train_exp_log.py sweeps both domains against float64 numpy, on the host
// and in simavr). Small on AVR, where it replaces avr-libc's exp, log and their helpers: one 32x32 high
// multiply and one polynomial loop, shared, and no tables but the two polynomials' coefficients.
// Values inside are 32-bit fixed point: "Q32" is v 2^32; a normalised pair (m, e) is m 2^(e-32) with the top
// bit of m set. Each step truncates; their sum and the polynomials' own error stay near 2^-28 relative, so
// the one rounding at the end (pack_f32) is the error that shows.
#ifndef MINIML_TRAIN_EXP_LOG_H_
#define MINIML_TRAIN_EXP_LOG_H_

#include <stdint.h>
#include <string.h>

#include "core_rom.h"

namespace miniml {

// Out of line on AVR: one copy of each however many loops call them.
#if defined(__AVR__)
#define MINIML_EXP_LOG_INLINE __attribute__((noinline)) inline
#else
#define MINIML_EXP_LOG_INLINE inline
#endif

namespace detail {

// a b / 2^32, from below by less than 4 (exact off AVR). AVR: the 10 hardware muls of the product's top four
// byte columns, the lowest of them into a carry byte (the three lower columns, < 3.02 2^32, are left out),
// out of line: one copy for every caller.
#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
__attribute__((noinline)) inline uint32_t mul_hi_u32(uint32_t a, uint32_t b) {
  uint32_t h;
  uint8_t t, z;
  // clang-format off
  __asm__(
      "clr %[z]\n\tclr %[t]\n\tclr %A[h]\n\tclr %B[h]\n\tclr %C[h]\n\tclr %D[h]\n\t"
      "mul %A[a], %D[b]\n\tadd %[t], r0\n\tadc %A[h], r1\n\tadc %B[h], %[z]\n\t"
      "mul %B[a], %C[b]\n\tadd %[t], r0\n\tadc %A[h], r1\n\tadc %B[h], %[z]\n\t"
      "mul %C[a], %B[b]\n\tadd %[t], r0\n\tadc %A[h], r1\n\tadc %B[h], %[z]\n\t"
      "mul %D[a], %A[b]\n\tadd %[t], r0\n\tadc %A[h], r1\n\tadc %B[h], %[z]\n\t"
      "mul %B[a], %D[b]\n\tadd %A[h], r0\n\tadc %B[h], r1\n\tadc %C[h], %[z]\n\t"
      "mul %C[a], %C[b]\n\tadd %A[h], r0\n\tadc %B[h], r1\n\tadc %C[h], %[z]\n\t"
      "mul %D[a], %B[b]\n\tadd %A[h], r0\n\tadc %B[h], r1\n\tadc %C[h], %[z]\n\t"
      "mul %C[a], %D[b]\n\tadd %B[h], r0\n\tadc %C[h], r1\n\tadc %D[h], %[z]\n\t"
      "mul %D[a], %C[b]\n\tadd %B[h], r0\n\tadc %C[h], r1\n\tadc %D[h], %[z]\n\t"
      "mul %D[a], %D[b]\n\tadd %C[h], r0\n\tadc %D[h], r1\n\t"
      "clr __zero_reg__"
      : [h] "=&r"(h), [t] "=&r"(t), [z] "=&r"(z)
      : [a] "r"(a), [b] "r"(b)
      : "r0");
  // clang-format on
  return h;
}
#else  // the same sum: the full product less the three lowest columns
inline uint32_t mul_hi_u32(uint32_t a, uint32_t b) {
  const uint32_t a0 = a & 0xFFu, a1 = (a >> 8) & 0xFFu, a2 = (a >> 16) & 0xFFu;
  const uint32_t b0 = b & 0xFFu, b1 = (b >> 8) & 0xFFu, b2 = (b >> 16) & 0xFFu;
  const uint64_t low = a0 * b0 + ((a0 * b1 + a1 * b0) << 8) + (static_cast<uint64_t>(a0 * b2 + a1 * b1 + a2 * b0) << 16);
  return static_cast<uint32_t>((static_cast<uint64_t>(a) * b - low) >> 32);
}
#endif

// v >> n for any n (0 from 32 on), whole bytes first (AVR shifts a 32-bit value a bit at a time).
MINIML_EXP_LOG_INLINE uint32_t shr_u32(uint32_t v, uint8_t n) {
  for (; n >= 8; n = static_cast<uint8_t>(n - 8)) v >>= 8;
  return v >> n;
}

// m << 1 while its top bit is clear (m != 0), counting the shifts into *e.
inline uint32_t normalise_u32(uint32_t m, int16_t* e) {
  while ((m >> 31) == 0) {
    m <<= 1;
    --*e;
  }
  return m;
}

// The float nearest m 2^(e-32) (m normalised, e < 128), halves up; subnormal or zero below 2^-126.
inline float pack_f32(uint32_t m, int16_t e) {
  int16_t biased = static_cast<int16_t>(e + 126);  // of m 2^-31 in [1, 2)
  uint8_t shift = 8;                                // to the 24 bits of a normal float's significand
  if (biased < 1) {
    shift = static_cast<uint8_t>(9 - biased);  // onto the subnormal grid 2^-149
    biased = 1;
  }
  // The significand's top bit lands on the exponent field's lowest: biased - 1 there; a carry out of the
  // rounding steps the exponent, as it should. The exponent in the high half: byte moves, no 23-bit shift.
  const uint32_t rounded = shift == 8 ? (m >> 8) + (static_cast<uint8_t>(m) >> 7)
                                      : (shr_u32(m, static_cast<uint8_t>(shift - 1)) + 1u) >> 1;
  const uint32_t bits = (static_cast<uint32_t>(static_cast<uint16_t>((biased - 1) << 7)) << 16) + rounded;
  float f;
  memcpy(&f, &bits, sizeof(f));
  return f;
}

// c[0] x^(n-1) terms down: c[n-1] - x (c[n-2] - x (... - x c[0])) in Q32, for x in [0, 1) and the positive
// c of an alternating series (each partial value stays in (0, 1]). A c of 0 stands for 1: the result is then
// taken mod 2^32, right while x times the rest is in (0, 1).
inline uint32_t alternating_poly_q32(uint32_t x, const uint32_t* c, uint8_t n) {
  uint32_t h = rom_read(&c[0]);
  for (uint8_t i = 1; i < n; ++i) h = rom_read(&c[i]) - mul_hi_u32(x, h);
  return h;
}

// The polynomials' coefficients (Remez minimax fits), highest degree first; a class template's static members:
// one copy however many files include this.
template <typename Unused = void>
struct ExpLogCoefficients {
  static const uint32_t exp[7];  // e^-r = 1 - r + sum c_k (-r)^k, k = 2..6, r in [0, 0.698]: error < 2^-28.6
  static const uint32_t log2[11];  // log2(1 + u) / 2u = sum c_k (-u)^k, k = 0..10, u in [0, 1]: error < 2^-30.4
};
template <typename Unused>
const uint32_t ExpLogCoefficients<Unused>::exp[7] MINIML_ROM = {0x004225b5, 0x020dd905, 0x0aa2a0f1, 0x2aa92bec,
                                                                0x7fffe61a, 0,          0};
template <typename Unused>
const uint32_t ExpLogCoefficients<Unused>::log2[11] MINIML_ROM = {
    0x0064d7dd, 0x02929085, 0x07de7a3a, 0x0f7a0a74, 0x171e280e, 0x1dd3950f,
    0x24c15a90, 0x2e259100, 0x3d8dcd67, 0x5c551c3b, 0xb8aa3b29};

// floor(ln 2 2^40), as floor(ln 2 2^32) and the next 8 bits: k ln 2 from below to 2^-40 k.
constexpr uint32_t kQ32Ln2 = UINT32_C(0xB17217F7);
constexpr uint8_t kLn2Next8 = 0xD1;
constexpr uint16_t kLog2eQ15Floor = 47274;  // floor(log2(e) 2^15)

inline uint32_t float_to_bits(float x) {
  uint32_t bits;
  memcpy(&bits, &x, sizeof(bits));
  return bits;
}

inline float quiet_nan_f32() {
  const uint32_t bits = UINT32_C(0x7FC00000);
  float f;
  memcpy(&f, &bits, sizeof(f));
  return f;
}

}  // namespace detail

// e^x for x <= 0 (-0 included; -Inf gives 0), NaN for NaN and x > 0. Cody-Waite: e^-|x| = 2^-k e^-r with
// k = floor(|x| log2 e) from 8 fraction bits (a lower bound, at most 0.007 below), r = |x| - k ln 2 in
// [0, 0.698) as a Q32 fraction (x's exact fraction bits minus k ln 2 mod 1 from below: r never wraps, and it
// is at least 2^-29 for every float x), e^-r by its polynomial.
MINIML_EXP_LOG_INLINE float exp_nonpositive_f32(float x) {
  typedef detail::ExpLogCoefficients<> C;
  const uint32_t bits = detail::float_to_bits(x);
  if (static_cast<int32_t>(bits) > 0) return detail::quiet_nan_f32();  // x > 0 or +NaN
  const uint32_t magnitude = bits & UINT32_C(0x7FFFFFFF);
  const uint16_t high = static_cast<uint16_t>(magnitude >> 16);
  if (high >= 0x4300u) return magnitude > UINT32_C(0x7F800000) ? x : 0.0f;  // NaN; |x| >= 128: e^-104 is 0
  if (high < 0x3300u) return 1.0f;                                           // |x| < 2^-25: e^x rounds to 1
  const uint8_t field = static_cast<uint8_t>(high >> 7);                     // 102..133
  const uint32_t mantissa = (magnitude & UINT32_C(0x7FFFFF)) | UINT32_C(0x800000);  // |x| = mantissa 2^(field-150)
  uint8_t k = 0;  // 0 below |x| = 1/2
  uint32_t fraction;  // |x| 2^32 mod 2^32, exact from |x| >= 2^-9 on
  if (field >= 126) {
    const uint32_t in_2_24ths = mantissa << (field - 126);  // exact, < 2^31
    const uint16_t in_256ths = static_cast<uint16_t>(in_2_24ths >> 16);
    k = static_cast<uint8_t>(
        static_cast<uint16_t>((static_cast<uint32_t>(in_256ths) * detail::kLog2eQ15Floor) >> 16) >> 7);
    fraction = in_2_24ths << 8;
  } else {
    fraction = detail::shr_u32(mantissa << 8, static_cast<uint8_t>(126 - field));
  }
  const uint32_t k_ln2 = static_cast<uint32_t>(k) * detail::kQ32Ln2 +
                         (static_cast<uint16_t>(static_cast<uint16_t>(k) * detail::kLn2Next8) >> 8);
  int16_t e = static_cast<int16_t>(-k);
  const uint32_t m = detail::normalise_u32(detail::alternating_poly_q32(fraction - k_ln2, C::exp, 7), &e);
  return detail::pack_f32(m, e);
}

// ln x for x >= 1 (Inf gives Inf), NaN for NaN and x < 1. x = 2^n (1 + u), u in [0, 1) exact in Q32:
// log2 x = n + u Q(u), Q(u) = log2(1 + u) / u by its polynomial (halved to fit Q32), with u normalised first
// so that u Q(u) keeps its relative precision near x = 1; then ln x = log2 x ln 2.
MINIML_EXP_LOG_INLINE float log_at_least_one_f32(float x) {
  typedef detail::ExpLogCoefficients<> C;
  const uint32_t bits = detail::float_to_bits(x);
  const uint16_t high = static_cast<uint16_t>(static_cast<uint16_t>(bits >> 16) >> 7);  // sign and exponent field
  if (high == 255) return x;                                // +Inf, +NaN
  if (high < 127 || high > 255) return detail::quiet_nan_f32();
  uint8_t n = static_cast<uint8_t>(high - 127);
  const uint32_t u = bits << 9;
  int16_t e = 1;   // for Q's half
  uint32_t m = 0;  // log2 x = m 2^(e-32)
  if (u != 0) {
    m = detail::normalise_u32(u, &e);
    m = detail::normalise_u32(detail::mul_hi_u32(m, detail::alternating_poly_q32(u, C::log2, 11)), &e);
  } else if (n == 0) {
    return 0.0f;
  }
  if (n != 0) {  // n + u Q(u) (< 1: e <= 0), shifted down until n's bits are in m
    m = detail::shr_u32(m, static_cast<uint8_t>(-e));
    for (e = 0; n != 0; n = static_cast<uint8_t>(n >> 1), ++e) m = (m >> 1) | (static_cast<uint32_t>(n) << 31);
  }
  m = detail::normalise_u32(detail::mul_hi_u32(m, detail::kQ32Ln2), &e);
  return detail::pack_f32(m, e);
}

}  // namespace miniml

#undef MINIML_EXP_LOG_INLINE

#endif  // MINIML_TRAIN_EXP_LOG_H_
