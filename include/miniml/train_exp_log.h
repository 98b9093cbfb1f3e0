// exp and log for the cross-entropy loss (train_loss.h), in integer arithmetic only: the same bits on every
// board by construction (no libm, no float operation a compiler could fuse), within 1 ulp of the correctly
// rounded value (test/python/train/test_train_exp_log.py sweeps both domains against float64 numpy, on the
// host and in simavr), and ~4x cheaper than avr-libc's soft-float expf/logf on AVR.
// Values inside are 32-bit fixed point: "Q32" is v 2^32; a normalised pair (m, e) is m 2^(e-32) with the top
// bit of m set. Each step truncates (< 2^-32 relative); the sum of them stays under 2^-28, so the one
// rounding at the end (pack_f32) is the only error that shows (<= 1/2 ulp + 1/16).
#ifndef MINIML_TRAIN_EXP_LOG_H_
#define MINIML_TRAIN_EXP_LOG_H_

#include <stdint.h>
#include <string.h>

#include "core_rom.h"

namespace miniml {

namespace detail {

// floor(a b / 2^32), exact. AVR: 16 hardware muls into a 3-byte column window (the window holds the sum of
// every column so far, so no carry runs further; byte 0 only ever gets one product's low byte, no carry),
// ~90 cycles against ~280 for the 64-bit product gcc calls.
inline uint32_t mul_hi_u32(uint32_t a, uint32_t b) {
#if defined(__AVR__) && defined(__AVR_HAVE_MUL__)
  uint32_t h;
  uint8_t t1, t2, t3, z;
  // clang-format off
  __asm__(
      "clr %[z]\n\tclr %[t2]\n\tclr %[t3]\n\tclr %A[h]\n\tclr %B[h]\n\tclr %C[h]\n\tclr %D[h]\n\t"
      "mul %A[a], %A[b]\n\tmov %[t1], r1\n\t"
      "mul %A[a], %B[b]\n\tadd %[t1], r0\n\tadc %[t2], r1\n\tadc %[t3], %[z]\n\t"
      "mul %B[a], %A[b]\n\tadd %[t1], r0\n\tadc %[t2], r1\n\tadc %[t3], %[z]\n\t"
      "mul %A[a], %C[b]\n\tadd %[t2], r0\n\tadc %[t3], r1\n\tadc %A[h], %[z]\n\t"
      "mul %B[a], %B[b]\n\tadd %[t2], r0\n\tadc %[t3], r1\n\tadc %A[h], %[z]\n\t"
      "mul %C[a], %A[b]\n\tadd %[t2], r0\n\tadc %[t3], r1\n\tadc %A[h], %[z]\n\t"
      "mul %A[a], %D[b]\n\tadd %[t3], r0\n\tadc %A[h], r1\n\tadc %B[h], %[z]\n\t"
      "mul %B[a], %C[b]\n\tadd %[t3], r0\n\tadc %A[h], r1\n\tadc %B[h], %[z]\n\t"
      "mul %C[a], %B[b]\n\tadd %[t3], r0\n\tadc %A[h], r1\n\tadc %B[h], %[z]\n\t"
      "mul %D[a], %A[b]\n\tadd %[t3], r0\n\tadc %A[h], r1\n\tadc %B[h], %[z]\n\t"
      "mul %B[a], %D[b]\n\tadd %A[h], r0\n\tadc %B[h], r1\n\tadc %C[h], %[z]\n\t"
      "mul %C[a], %C[b]\n\tadd %A[h], r0\n\tadc %B[h], r1\n\tadc %C[h], %[z]\n\t"
      "mul %D[a], %B[b]\n\tadd %A[h], r0\n\tadc %B[h], r1\n\tadc %C[h], %[z]\n\t"
      "mul %C[a], %D[b]\n\tadd %B[h], r0\n\tadc %C[h], r1\n\tadc %D[h], %[z]\n\t"
      "mul %D[a], %C[b]\n\tadd %B[h], r0\n\tadc %C[h], r1\n\tadc %D[h], %[z]\n\t"
      "mul %D[a], %D[b]\n\tadd %C[h], r0\n\tadc %D[h], r1\n\t"
      "clr __zero_reg__"
      : [h] "=&r"(h), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [z] "=&r"(z)
      : [a] "r"(a), [b] "r"(b)
      : "r0");
  // clang-format on
  return h;
#else
  return static_cast<uint32_t>((static_cast<uint64_t>(a) * b) >> 32);
#endif
}

// v << n and v >> n, whole bytes first (AVR shifts a 32-bit value a bit at a time, in a loop).
inline uint32_t shl_u32(uint32_t v, uint8_t n) {
  for (; n >= 8; n = static_cast<uint8_t>(n - 8)) v <<= 8;
  return v << n;
}
inline uint32_t shr_u32(uint32_t v, uint8_t n) {
  for (; n >= 8; n = static_cast<uint8_t>(n - 8)) v >>= 8;
  return v >> n;
}

// The top 5 bits of a Q32 fraction: its 1/32 bin.
inline uint8_t bin32(uint32_t q32) { return static_cast<uint8_t>(static_cast<uint8_t>(q32 >> 24) >> 3); }

// m << 1 while its top bit is clear (m != 0), counting the shifts into *e: whole bytes first (AVR shifts a
// bit at a time).
inline uint32_t normalise_u32(uint32_t m, int16_t* e) {
  while ((m >> 24) == 0) {
    m <<= 8;
    *e = static_cast<int16_t>(*e - 8);
  }
  while ((m >> 31) == 0) {
    m <<= 1;
    *e = static_cast<int16_t>(*e - 1);
  }
  return m;
}

// The float nearest m 2^(e-32) (m normalised), halves up; subnormal and zero below 2^-126, Inf above.
inline float pack_f32(uint32_t m, int16_t e) {
  const int16_t biased = static_cast<int16_t>(e + 126);  // of m 2^-31 in [1, 2)
  uint32_t bits;
  if (biased >= 255) {
    bits = UINT32_C(0x7F800000);
  } else if (biased >= 1) {
    const uint32_t r = (m >> 8) + (static_cast<uint8_t>(m) >> 7);  // 24 bits, or 2^24 when rounding carried
    bits = (static_cast<uint32_t>(biased - 1) << 23) + r;  // the carry steps the exponent, as it should
  } else {
    const int16_t shift = static_cast<int16_t>(9 - biased);  // into the subnormal grid 2^-149
    bits = shift > 32 ? 0u : (shr_u32(m, static_cast<uint8_t>(shift - 1)) + 1u) >> 1;
  }
  float f;
  memcpy(&f, &bits, sizeof(f));
  return f;
}

// Q32 constants: 1/k.
constexpr uint32_t kQ32Half = UINT32_C(0x80000000), kQ32Third = UINT32_C(0x55555555),
                   kQ32Quarter = UINT32_C(0x40000000), kQ32Fifth = UINT32_C(0x33333333),
                   kQ32Sixth = UINT32_C(0x2AAAAAAB), kQ32TwentyFourth = UINT32_C(0x0AAAAAAB);
constexpr uint32_t kQ32Ln2 = UINT32_C(0xB17217F8);

// Flash tables (a class template's static members: one copy however many files include this).
template <typename Unused = void>
struct ExpLogTables {
  static const uint32_t exp_fraction[32];  // e^(-j/32), normalised: exponent 1 for j = 0, 0 to j = 22, then -1
  static const uint32_t exp_power[7];      // e^(-2^i), normalised, exponents exp_power_exp
  static const int8_t exp_power_exp[7];
  static const uint32_t log_reciprocal[32];  // round(2^32 / (1 + j/32)), j >= 1 (j = 0 unused)
  static const uint32_t log_base[32];        // round(2^32 ln(1 + j/32))
};
template <typename Unused>
const uint32_t ExpLogTables<Unused>::exp_fraction[32] MINIML_ROM = {
    0x80000000, 0xf81fab54, 0xf07d5fde, 0xe9173501, 0xe1eb5127, 0xdaf7e950, 0xd43b4096, 0xcdb3a7c8,
    0xc75f7cf5, 0xc13d2b0c, 0xbb4b2970, 0xb587fb97, 0xaff230af, 0xaa88633e, 0xa54938ca, 0xa0336180,
    0x9b4597e3, 0x967ea07c, 0x91dd4986, 0x8d606aa5, 0x8906e49a, 0x84cfa100, 0x80b991ff, 0xf987641c,
    0xf1da075f, 0xea692268, 0xe332d8f1, 0xdc355d5f, 0xd56ef04b, 0xcedde00f, 0xc880885f, 0xc25551dc};
template <typename Unused>
const uint32_t ExpLogTables<Unused>::exp_power[7] MINIML_ROM = {0xbc5ab1b1, 0x8a95551e, 0x960aadc1, 0xafe10821,
                                                                0xf1aaddd7, 0xe42327bb, 0xcb4ea399};
template <typename Unused>
const int8_t ExpLogTables<Unused>::exp_power_exp[7] MINIML_ROM = {-1, -2, -5, -11, -23, -46, -92};
template <typename Unused>
const uint32_t ExpLogTables<Unused>::log_reciprocal[32] MINIML_ROM = {
    0x00000000, 0xf83e0f84, 0xf0f0f0f1, 0xea0ea0ea, 0xe38e38e4, 0xdd67c8a6, 0xd79435e5, 0xd20d20d2,
    0xcccccccd, 0xc7ce0c7d, 0xc30c30c3, 0xbe82fa0c, 0xba2e8ba3, 0xb60b60b6, 0xb21642c8, 0xae4c415d,
    0xaaaaaaab, 0xa72f0539, 0xa3d70a3d, 0xa0a0a0a1, 0x9d89d89e, 0x9a90e7d9, 0x97b425ed, 0x94f2094f,
    0x92492492, 0x8fb823ee, 0x8d3dcb09, 0x8ad8f2fc, 0x88888889, 0x864b8a7e, 0x84210842, 0x82082082};
template <typename Unused>
const uint32_t ExpLogTables<Unused>::log_base[32] MINIML_ROM = {
    0x00000000, 0x07e0a6c4, 0x0f851860, 0x16f0d28b, 0x1e27076e, 0x252aa5f0, 0x2bfe60e1, 0x32a4b53a,
    0x391fef8f, 0x3f7230db, 0x459d72af, 0x4ba38aec, 0x51862f08, 0x5746f6fd, 0x5ce75fdb, 0x6268ce1b,
    0x67cc8fb3, 0x6d13ddef, 0x723fdf1e, 0x7751a813, 0x7c4a3d7f, 0x812a952d, 0x85f39721, 0x8aa61e98,
    0x8f42faf4, 0x93caf094, 0x983eb99a, 0x9c9f069b, 0xa0ec7f42, 0xa527c2ee, 0xa9516933, 0xad6a0262};

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

// e^x for x <= 0 (-0 included; -Inf gives 0), NaN for NaN and x > 0. |x| = i + f, i an integer (< 104: e^-104
// rounds to 0), f in [0, 1) to 2^-32: e^-|x| = e^(-j/32) e^-s prod e^(-2^k) over the bits k of i, j the top 5
// bits of f and s < 1/32 the rest, e^-s by its Taylor polynomial to s^4 (the next term is < 2^-31.9).
inline float exp_nonpositive_f32(float x) {
  typedef detail::ExpLogTables<> T;
  const uint32_t bits = detail::float_to_bits(x);
  const uint8_t field = static_cast<uint8_t>(static_cast<uint16_t>(static_cast<uint16_t>(bits >> 16) << 1) >> 8);
  if (field == 255 && (bits << 9) != 0) return x;  // NaN
  if ((bits >> 31) == 0 && (bits << 1) != 0) return detail::quiet_nan_f32();  // x > 0
  if (field < 102) return 1.0f;  // |x| < 2^-25: e^x rounds to 1
  if (field >= 127 + 7) return 0.0f;
  const uint32_t mantissa = (bits & UINT32_C(0x7FFFFF)) | UINT32_C(0x800000);
  uint8_t whole = 0;
  uint32_t fraction;  // Q32
  if (field >= 127) {
    whole = static_cast<uint8_t>(static_cast<uint8_t>(mantissa >> 16) >> (134 - field));
    fraction = detail::shl_u32(mantissa, static_cast<uint8_t>(field - 118));  // the whole part falls off the top
  } else {
    fraction = field >= 118 ? detail::shl_u32(mantissa, static_cast<uint8_t>(field - 118))
                            : detail::shr_u32(mantissa, static_cast<uint8_t>(118 - field));
  }
  if (whole >= 104) return 0.0f;
  const uint8_t j = detail::bin32(fraction);
  const uint32_t s = fraction & UINT32_C(0x07FFFFFF);
  // 1 - e^-s = s - s g, g = s (1/2 - s (1/6 - s/24)).
  uint32_t h = detail::kQ32Sixth - detail::mul_hi_u32(s, detail::kQ32TwentyFourth);
  h = detail::kQ32Half - detail::mul_hi_u32(s, h);
  const uint32_t one_minus = s - detail::mul_hi_u32(s, detail::mul_hi_u32(s, h));
  const uint32_t t = rom_read(&T::exp_fraction[j]);
  int16_t e = static_cast<int16_t>(j == 0 ? 1 : (j <= 22 ? 0 : -1));
  uint32_t m = detail::normalise_u32(t - detail::mul_hi_u32(t, one_minus), &e);
  for (uint8_t k = 0; whole != 0; ++k, whole = static_cast<uint8_t>(whole >> 1)) {
    if (whole & 1u) {
      e = static_cast<int16_t>(e + rom_read(&T::exp_power_exp[k]));
      m = detail::normalise_u32(detail::mul_hi_u32(m, rom_read(&T::exp_power[k])), &e);
    }
  }
  return detail::pack_f32(m, e);
}

// ln x for x >= 1 (Inf gives Inf), NaN for NaN and x < 1. x = 2^n (1 + t), t in [0, 1): ln x = n ln 2 +
// ln(1 + j/32) + ln(1 + u), j the top 5 bits of t and u = (t - j/32) / (1 + j/32) < 1/32 (by a reciprocal
// table), ln(1 + u) = u - u q, q = u (1/2 - u (1/3 - u (1/4 - u/5))) (the next term is < 2^-32.6). For n = 0
// and j = 0 the result is u (1 - q), normalised first, so it keeps its relative precision near x = 1.
inline float log_at_least_one_f32(float x) {
  typedef detail::ExpLogTables<> T;
  const uint32_t bits = detail::float_to_bits(x);
  const uint8_t field = static_cast<uint8_t>(static_cast<uint16_t>(static_cast<uint16_t>(bits >> 16) << 1) >> 8);
  if (field == 255 && (bits << 9) == 0 && (bits >> 31) == 0) return x;  // +Inf
  if (field == 255 || (bits >> 31) != 0 || field < 127) return detail::quiet_nan_f32();
  const uint32_t t = detail::shl_u32(bits & UINT32_C(0x7FFFFF), 9);  // Q32
  const uint8_t j = detail::bin32(t);
  const uint32_t rest = t & UINT32_C(0x07FFFFFF);
  const uint32_t u = j == 0 ? rest : detail::mul_hi_u32(rest, rom_read(&T::log_reciprocal[j]));
  uint32_t h = detail::kQ32Quarter - detail::mul_hi_u32(u, detail::kQ32Fifth);
  h = detail::kQ32Third - detail::mul_hi_u32(u, h);
  h = detail::kQ32Half - detail::mul_hi_u32(u, h);
  const uint32_t q = detail::mul_hi_u32(u, h);
  const uint8_t n = static_cast<uint8_t>(field - 127);
  int16_t e = 0;
  if (n == 0 && j == 0) {
    if (u == 0) return 0.0f;
    const uint32_t un = detail::normalise_u32(u, &e);
    const uint32_t m = detail::normalise_u32(un - detail::mul_hi_u32(un, q), &e);
    return detail::pack_f32(m, e);
  }
  // n ln 2 + ln(1 + j/32) + ln(1 + u) as a whole part and a Q32 fraction (16-bit products: n < 128).
  const uint32_t low = static_cast<uint32_t>(n) * (detail::kQ32Ln2 & 0xFFFFu);
  const uint32_t high = static_cast<uint32_t>(n) * (detail::kQ32Ln2 >> 16) + (low >> 16);
  uint32_t whole = high >> 16;
  uint32_t fraction = (high << 16) | (low & 0xFFFFu);
  const uint32_t parts[2] = {rom_read(&T::log_base[j]), u - detail::mul_hi_u32(u, q)};
  for (uint8_t k = 0; k < 2; ++k) {
    fraction += parts[k];
    if (fraction < parts[k]) ++whole;  // carry
  }
  if (whole == 0) {
    const uint32_t m = detail::normalise_u32(fraction, &e);
    return detail::pack_f32(m, e);
  }
  // whole < 128: 1..7 bits above the fraction's
  while ((whole >> 7) == 0) {
    whole = (whole << 1) | (fraction >> 31);
    fraction <<= 1;
    e = static_cast<int16_t>(e - 1);
  }
  // m = whole's 8 bits then fraction's top 24 bits, value m 2^(e + 8 - 32)
  return detail::pack_f32((whole << 24) | (fraction >> 8), static_cast<int16_t>(e + 8));
}

}  // namespace miniml

#endif  // MINIML_TRAIN_EXP_LOG_H_
