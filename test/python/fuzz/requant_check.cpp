// requantize_s8 and requantize_s16 on AVR (core_fixedpoint.h) against the plain int64 references
// (requant_ref.h). One program, two builds:
//   host (ASan + UBSan): requant_formula(_x), the arithmetic of the asm routines requantize_s8_avr and
//     requantize_s16_avr written out in C (one rounding on |acc|, the columns below byte 3 left out and added
//     back exactly when byte 3 is near overflow, the shift as a multiply by 2^(7-e), the int8 clamp on
//     |X| <= 255 or the int16 saturation), on the routines' domain;
//   AVR (simavr): the routine itself (detail::requantize_s8_avr) on its domain, and the generic entries
//     requantize_s8 and requantize_s16 (the routines or the references, whichever the operands take) on any
//     operands.
// Cases: a sweep of edges (acc at 0, +-1, the 16- and 24-bit ends; multipliers 0, 1, 2^30, 2^30 + 1, 2^31 - 1
// and others; every shift -2..-31; zero points and bounds at the int8 ends), then CASES random ones (from -D,
// default 20000). Prints "RESULT bad_formula bad_routine bad_generic bad_s16 exact_carries cases END"
// (exact_carries: how many cases the formula had to add the left-out columns back; must be > 0).
#include <stdint.h>

#include "../quant/requant_ref.h"
#include "../result_line.h"
#include "../xorshift.h"
#include "miniml/core_fixedpoint.h"
#if defined(__AVR__)
#include "miniml/board_io.h"
#else
#include <stdio.h>
#endif

#ifndef CASES
#define CASES 20000UL
#endif

static uint32_t exact_carries = 0;

// What the routines compute (requantize_s8_avr, requantize_s16_avr), for acc in 24 bits, m >= 0, e = -shift - 2
// >= 0: X = |TFLM's result| (the sign in *neg).
static uint32_t requant_formula_x(int32_t acc, int32_t m, uint8_t e, bool* neg) {
  *neg = acc < 0;
  const uint32_t n = *neg ? 1u : 0u;
  const uint32_t ua = n ? 0u - (uint32_t)acc : (uint32_t)acc;  // <= 2^23
  const uint32_t a0 = ua & 255u, a1 = (ua >> 8) & 255u, a2 = ua >> 16;
  const uint32_t um = (uint32_t)m;
  const uint32_t m0 = um & 255u, m1 = (um >> 8) & 255u, m2 = (um >> 16) & 255u, m3 = um >> 24;
  // Z = |acc| m + 2^30 - neg in units of 2^24, without the columns below byte 3 and column 2's low bytes
  uint64_t z = 0x40u - n + ((a0 * m2) >> 8) + ((a1 * m1) >> 8) + ((a2 * m0) >> 8) + a0 * m3 + a1 * m2 + a2 * m1 +
               ((uint64_t)(a1 * m3 + a2 * m2) << 8) + ((uint64_t)(a2 * m3) << 16);
  if ((z & 255u) >= 0xFBu) {  // the left-out part (< 6 * 2^24 with Z's 0xFFFFFF) may carry into byte 4
    ++exact_carries;
    uint32_t r =
        a0 * m0 + ((a0 * m1 + a1 * m0) << 8) + ((((a0 * m2) & 255u) + ((a1 * m1) & 255u) + ((a2 * m0) & 255u)) << 16);
    if (n) r += 0xFFFFFFu;
    z += r >> 24;
  }
  uint32_t h = (uint32_t)(z >> 8);  // H = floor(Z / 2^32) < 2^23
  while (e >= 8) {
    h >>= 8;
    e = (uint8_t)(e - 8);
  }
  return (h * (1u << (7 - e)) + 128u) >> 8;  // X = floor((H + 2^e) / 2^(e+1))
}
static int8_t requant_formula(int32_t acc, int32_t m, uint8_t e, int8_t zp, int8_t lo, int8_t hi) {
  bool neg;
  uint32_t x = requant_formula_x(acc, m, e, &neg);
  if (x > 255u) x = 255u;  // from 256 on every int8 zero point and bound saturates alike
  int32_t v = neg ? (int32_t)zp - (int32_t)x : (int32_t)zp + (int32_t)x;
  if (v < lo) v = lo;
  if (v > hi) v = hi;
  return (int8_t)v;
}
static int32_t requant_s16_formula(int32_t acc, int32_t m, uint8_t e) {
  bool neg;
  const int32_t x = (int32_t)requant_formula_x(acc, m, e, &neg);
  const int32_t v = neg ? -x : x;
  return v < -32768 ? -32768 : (v > 32767 ? 32767 : v);
}
static int32_t ref_requantize_s16(int32_t acc, int32_t m, int8_t shift) {
  const int32_t v = ref_rdbpot(ref_srdhm(acc, m), (int8_t)-shift);
  return v < -32768 ? -32768 : (v > 32767 ? 32767 : v);
}

static const int32_t kEdgeAcc[] = {0,        1,       -1,       2,       -2,       127,     -128,    255,    -256,
                                   32767,    -32768,  32768,    -32769,  65535,    -65536,  65536,   -65537, 8388607,
                                   -8388608, 8388606, -8388607, 4194304, -4194304, 1000000, -1000000};
static const int32_t kEdgeMul[] = {0,          1,          INT32_C(1) << 30, (INT32_C(1) << 30) + 1,
                                   INT32_MAX,  0x7FFFFFFE, 0x5A827999,       0x40000100,
                                   0x7F000000, 0x60000000};
static const int8_t kEdgeBounds[][3] = {
    {0, -128, 127}, {-128, -128, 127}, {127, -128, 127}, {-5, -20, 30}, {3, 40, 10}};

struct Case {
  int32_t acc, m;
  int8_t shift, zp, lo, hi;
};

// Case i: the edge sweep first, then random operands on the routine's domain (magnitudes of every size,
// shifts weighted to the usual -6..-12).
static Case make_case(uint32_t i) {
  const uint32_t n_acc = sizeof(kEdgeAcc) / sizeof(kEdgeAcc[0]), n_mul = sizeof(kEdgeMul) / sizeof(kEdgeMul[0]);
  const uint32_t n_bounds = sizeof(kEdgeBounds) / sizeof(kEdgeBounds[0]);
  const uint32_t sweep = n_acc * n_mul * 30u;
  Case c;
  if (i < sweep) {
    c.acc = kEdgeAcc[i % n_acc];
    c.m = kEdgeMul[(i / n_acc) % n_mul];
    c.shift = (int8_t)(-2 - (int8_t)(i / (n_acc * n_mul)));
    const int8_t* b = kEdgeBounds[i % n_bounds];
    c.zp = b[0];
    c.lo = b[1];
    c.hi = b[2];
    return c;
  }
  c.acc = (int32_t)(rnd() << 8) >> (8 + rnd() % 24);
  c.m = (rnd() & 3) == 0 ? (int32_t)(rnd() >> 1) : (int32_t)((rnd() >> 1) | 0x40000000u);
  c.shift = (rnd() & 3) == 0 ? (int8_t)(-2 - (int8_t)(rnd() % 30)) : (int8_t)(-6 - (int8_t)(rnd() % 7));
  c.zp = (int8_t)rnd();
  c.lo = (int8_t)rnd();
  c.hi = (int8_t)rnd();
  if (rnd() & 1) {
    if (c.lo > c.hi) {
      const int8_t t = c.lo;
      c.lo = c.hi;
      c.hi = t;
    }
  }
  if ((rnd() & 7) == 0) {
    c.lo = -128;
    c.hi = 127;
  }
  return c;
}

#if defined(__AVR__)
// Any operands for the generic entry: accumulators beyond 24 bits, negative multipliers, shifts above -2,
// bounds outside int8.
static uint8_t generic_mismatch(const Case& c) {
  int32_t acc = c.acc, m = c.m, zp = c.zp, lo = c.lo, hi = c.hi;
  int8_t shift = c.shift;
  const uint8_t k = (uint8_t)(rnd() % 8);
  if (k == 0) acc = (int32_t)rnd();
  if (k == 1) m = -m;
  if (k == 2) shift = (int8_t)(rnd() % 10) - 3;
  if (k == 3) lo = -1000;
  if (k == 4) zp = 200;
  if (k == 5) acc = INT32_MIN;
  return miniml::requantize_s8(acc, m, shift, zp, lo, hi) != ref_requantize_s8(acc, m, shift, zp, lo, hi);
}
// requantize_s16 (requantize_s16_avr or the reference) on the same operands, shifts <= 0.
static uint8_t s16_mismatch(const Case& c) {
  int32_t acc = c.acc, m = c.m;
  const uint8_t k = (uint8_t)(rnd() % 8);
  if (k == 0) acc = (int32_t)rnd();
  if (k == 1) m = -m;
  const int8_t shift = k == 2 ? (int8_t)(-(int8_t)(rnd() % 2)) : c.shift;
  return miniml::requantize_s16(acc, m, shift) != ref_requantize_s16(acc, m, shift);
}
#endif

int main() {
  uint32_t bad_formula = 0, bad_routine = 0, bad_generic = 0, bad_s16 = 0, cases = 0;
  const uint32_t sweep = (sizeof(kEdgeAcc) / sizeof(kEdgeAcc[0])) * (sizeof(kEdgeMul) / sizeof(kEdgeMul[0])) * 30u;
  for (uint32_t i = 0; i < sweep + CASES; ++i, ++cases) {
    const Case c = make_case(i);
    const int8_t want = ref_requantize_s8(c.acc, c.m, c.shift, c.zp, c.lo, c.hi);
    const uint8_t e = (uint8_t)(-c.shift - 2);
    if (requant_formula(c.acc, c.m, e, c.zp, c.lo, c.hi) != want) ++bad_formula;
    if (requant_s16_formula(c.acc, c.m, e) != ref_requantize_s16(c.acc, c.m, c.shift)) ++bad_formula;
#if defined(__AVR__)
    if (miniml::detail::requantize_s8_avr(c.acc, c.m, e, c.zp, c.lo, c.hi) != want) ++bad_routine;
    bad_generic += generic_mismatch(c);
    bad_s16 += s16_mismatch(c);
#endif
  }
  // requantize_s16's saturation edges: X = 32767, 32768, 32769 from either sign (m = 2^30, shift -2: acc / 8)
  for (int32_t d = -40; d <= 40; ++d, ++cases) {
    const int32_t acc = (d < 0 ? -262144 : 262144) + d, m = INT32_C(1) << 30;
    const int32_t want = ref_requantize_s16(acc, m, -2);
    if (requant_s16_formula(acc, m, 0) != want) ++bad_formula;
#if defined(__AVR__)
    if (miniml::requantize_s16(acc, m, -2) != want) ++bad_s16;
#endif
  }
#if defined(__AVR__)
  miniml::io::begin();
  const uint32_t result[] = {bad_formula, bad_routine, bad_generic, bad_s16, exact_carries, cases};
  return finish_with_result(result);
#else
  printf("RESULT %lu %lu %lu %lu %lu %lu END\n", (unsigned long)bad_formula, (unsigned long)bad_routine,
         (unsigned long)bad_generic, (unsigned long)bad_s16, (unsigned long)exact_carries, (unsigned long)cases);
  return 0;
#endif
}
