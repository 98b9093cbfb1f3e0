// AVR asm kernels (core_fixedpoint.h requantisation, requantize_s8 and requantize_s8_avr; core_dot.h dot_s8,
// dot_rows_s8, dot_window_s8 and dot_window_avr, Rom and Ram) and op_quantize.h's round_to_s8 against int64 /
// plain-loop / float references, op_recurrent_s8.h's round_q15 against the plain shift, on random and edge operands;
// prints the mismatch counts "RESULT a b c d e f g h END". Built at several optimisation levels by test_avr_asm.py and
// run in simavr.
#include <avr/pgmspace.h>
#include <math.h>
#include <string.h>

#include "../result_line.h"
#include "../xorshift.h"
#include "miniml/board_io.h"
#include "miniml/core_dot.h"
#include "miniml/core_fixedpoint.h"
#include "miniml/op_quantize.h"
#include "miniml/op_recurrent_s8.h"
#include "requant_ref.h"
#include "round_ref.h"
#include "wdata.h"
using miniml::io::print_uint;
using miniml::io::put;
static int32_t rval() {
  uint32_t r = rnd();
  uint8_t k = rnd() % 33;
  int32_t v = k == 32 ? 0 : (int32_t)(r >> k);
  if (rnd() & 1) v = -v;
  uint8_t e = rnd() % 16;
  if (e == 0)
    v = INT32_MIN;
  else if (e == 1)
    v = INT32_MAX;
  else if (e == 2)
    v = (int32_t)rnd();
  return v;
}
// Floats for it: exponents around the int8 range, halves, zeros, subnormals, Inf and NaN.
static float rfloat() {
  uint32_t r = rnd();
  switch (r % 9) {
    case 0:
      return (float)((int32_t)(rnd() % 1200) - 600) * 0.5f;
    case 1: {
      const uint32_t special[] = {0u, 0x80000000u, 1u, 0x807FFFFFu, 0x7F800000u, 0xFF800000u, 0x7FC00000u, 0xFFC00001u};
      r = special[rnd() % 8];
      break;
    }
    default:
      r = (r & 0x807FFFFFu) | ((uint32_t)(118 + rnd() % 24) << 23);
  }
  float f;
  memcpy(&f, &r, sizeof(f));
  return f;
}
// requantize_s16 (its own asm for shift <= -2, multiplier >= 0) against the reference saturated to int16,
// on random and edge operands; out of line: main is at the edge of what -O2 can register-allocate.
static __attribute__((noinline)) uint32_t requantize_s16_mismatches() {
  const int32_t edge_m[] = {0, 1, INT32_C(1) << 30, INT32_MAX, 0x40000001, 0x5A827999};
  uint32_t bad = 0;
  for (uint16_t it = 0; it < 6000; ++it) {
    const int32_t a = rval();
    int32_t b = (it & 1) ? (int32_t)((rnd() >> 1) | 0x40000000u) : (int32_t)(rnd() >> 1);
    if (it % 5 == 0) b = edge_m[rnd() % 6];
    int8_t sh = (int8_t)(rnd() % 32) - 31;
    if ((rnd() & 7) == 0) sh = (int8_t)(rnd() % 5) - 2;
    const int8_t left = sh > 0 ? sh : 0, right = sh > 0 ? 0 : -sh;
    const int32_t want = ref_rdbpot(ref_srdhm((int32_t)((uint32_t)a << left), b), right);
    if (miniml::requantize_s16(a, b, sh) != (want < -32768 ? -32768 : (want > 32767 ? 32767 : want))) ++bad;
  }
  return bad;
}
// requantize_s8 (requantize_s8_avr for shift <= -2, multiplier >= 0, acc in 24 bits, int8 zero point and
// bounds) and ChannelRequant, for valid multipliers (>= 0): against the reference's value `want` plus zero
// point, clamped; bounds now and then outside int8. Out of line, as the others: main is at the edge of what
// -O2 can register-allocate.
static __attribute__((noinline)) uint8_t requantize_s8_mismatches(int32_t a, int32_t b, int8_t sh, int32_t want) {
  const int32_t zp = (int32_t)(rnd() % 256) - 128;
  int32_t lo = -128 + (int32_t)(rnd() % 64), hi = 127 - (int32_t)(rnd() % 64);
  if ((rnd() & 15) == 0) lo = -1000;
  int32_t clamped = want > INT32_MAX - 200 ? INT32_MAX - 200 : want < INT32_MIN + 200 ? INT32_MIN + 200 : want;
  clamped += zp;
  if (clamped < lo) clamped = lo;
  if (clamped > hi) clamped = hi;
  if (b < 0) return 0;
  return (uint8_t)((miniml::requantize_s8(a, b, sh, zp, lo, hi) != (int8_t)clamped) +
                   (miniml::ChannelRequant(b, sh, zp, lo, hi)(a) != (int8_t)clamped));
}
// requantize_s8_avr (the routine behind ChannelRequant and linear_s8: acc in 24 bits, multiplier >= 0, shift
// <= -2, int8 zero point and bounds) called directly, on the edges of its domain: acc at the 24-bit ends, the
// multipliers' (0, 1, 2^30, 2^31 - 1), every shift to -31 (the byte steps), every zero point sign, tight bounds.
static __attribute__((noinline)) uint32_t requantize_s8_avr_mismatches() {
  const int32_t edge_a[] = {0, 1, -1, 2, -2, 8388607, -8388608, 8388606, -8388607, 65535, -65536, 127, -128};
  const int32_t edge_m[] = {0, 1, INT32_C(1) << 30, INT32_MAX, 0x40000001, 0x5A827999, 0x7FFFFFFE};
  uint32_t bad = 0;
  for (uint16_t it = 0; it < 8000; ++it) {
    int32_t a = (int32_t)(rnd() << 8) >> (8 + rnd() % 20);  // 24-bit, magnitudes 2^4..2^23
    if (it % 3 == 0) a = edge_a[rnd() % 13];
    int32_t b = (int32_t)((rnd() >> 1) | 0x40000000u);
    if (it % 4 == 0) b = edge_m[rnd() % 7];
    const int8_t sh = -(int8_t)(2 + rnd() % 30);
    const int8_t zp = (int8_t)rnd(), lo = (int8_t)(-128 + rnd() % 100), hi = (int8_t)(127 - rnd() % 100);
    int32_t want = ref_rdbpot(ref_srdhm(a, b), -sh) + zp;
    want = want < lo ? lo : (want > hi ? hi : want);
    if (miniml::detail::requantize_s8_avr(a, b, (uint8_t)(-sh - 2), zp, lo, hi) != (int8_t)want) ++bad;
  }
  return bad;
}
// round_q15 (byte moves on AVR) against (p + 2^14) >> 15 over its domain (p + 2^14 fits int32).
static __attribute__((noinline)) uint32_t round_q15_mismatches() {
  const int32_t edge[] = {0,     -1,     1,         (1 << 14) - 1,         1 << 14, -(1 << 14), -(1 << 14) - 1,
                          32767, -32768, INT32_MIN, INT32_MAX - (1 << 14), 1 << 15, -(1 << 15), 65535,
                          -65536};
  uint32_t bad = 0;
  for (uint16_t it = 0; it < 6000 + 15; ++it) {
    int32_t p = it < 15 ? edge[it] : rval();
    if (p > INT32_MAX - (1 << 14)) p = INT32_MAX - (1 << 14);
    if (miniml::detail::round_q15(p) != ((p + (1 << 14)) >> 15)) ++bad;
  }
  return bad;
}
static int8_t act[1200];
int main() {
  miniml::io::begin();
  uint32_t bad6 = 0, bad5 = 0, bad1 = 0, bad2 = 0, bad3 = 0, bad4 = 0;
  const int32_t edge[] = {0,      1,     -1,     INT32_MAX, INT32_MIN, INT32_C(1) << 30, -(INT32_C(1) << 30), 65536,
                          -65536, 65535, -65535, 255,       -256,      0x40000000,       (int32_t)0xC0000001};
  for (uint8_t i = 0; i < 15; ++i)
    for (uint8_t j = 0; j < 15; ++j)
      if (miniml::saturating_rounding_doubling_high_mul(edge[i], edge[j]) != ref_srdhm(edge[i], edge[j])) ++bad1;
  for (uint16_t it = 0; it < 6000; ++it) {
    int32_t a = rval(), b = rval();
    if (it & 1) b = (int32_t)((rnd() >> 1) | 0x40000000u);
    if (miniml::saturating_rounding_doubling_high_mul(a, b) != ref_srdhm(a, b)) ++bad1;
    int8_t e = rnd() % 32;
    if (miniml::rounding_divide_by_pot(a, e) != ref_rdbpot(a, e)) ++bad2;
    int8_t sh = (int8_t)(rnd() % 32) - 31;
    if ((rnd() & 7) == 0) {
      sh = rnd() % 4;
      a = (int32_t)(a >> 4);
    }
    if (it & 2) b = -b;
    if (it % 97 == 0) {
      a = INT32_MIN;
      b = INT32_MIN;
      sh = -(int8_t)(rnd() % 31);
    }
    const int8_t left = sh > 0 ? sh : 0, right = sh > 0 ? 0 : -sh;
    const int32_t want = ref_rdbpot(ref_srdhm((int32_t)((uint32_t)a << left), b), right);
    if (miniml::multiply_by_quantized_multiplier(a, b, sh) != want) ++bad5;
    bad6 += requantize_s8_mismatches(a, b, sh, want);
  }
  bad6 += requantize_s16_mismatches();
  bad6 += requantize_s8_avr_mismatches();
  uint32_t bad7 = 0;
  for (uint16_t it = 0; it < 6000; ++it) {
    const float f = rfloat();
    const int32_t zp = it % 50 == 0 ? (int32_t)(rnd() % 1000) - 500 : (int32_t)(rnd() % 256) - 128;
    if (miniml::round_to_s8(f, zp) != ref_round_to_s8(f, zp)) ++bad7;
  }
  for (uint8_t i = 0; i < 15; ++i)
    for (int8_t e = 0; e < 32; ++e)
      if (miniml::rounding_divide_by_pot(edge[i], e) != ref_rdbpot(edge[i], e)) ++bad2;
  for (uint16_t i = 0; i < 1200; ++i) {
    act[i] = (int8_t)rnd();
  }
  for (uint16_t i = 0; i < 40; ++i) {
    act[i] = -128;
  }
  for (uint16_t it = 0; it < 300; ++it) {
    uint16_t n = it < 20 ? it : (it < 40 ? 1100 + it : rnd() % 300);
    uint16_t oa = it < 40 ? 0 : rnd() % 100, ob = it < 40 ? 0 : rnd() % 100;
    int32_t acc = rval();
    int32_t ref = acc, refr = acc;
    for (uint16_t i = 0; i < n; ++i) {
      ref += (int16_t)act[oa + i] * (int16_t)(int8_t)pgm_read_byte(&kW[ob + i]);
      refr += (int16_t)act[oa + i] * (int16_t)act[ob + i];
    }
    if (miniml::detail::dot_s8<miniml::Rom>(act + oa, kW + ob, n, acc) != ref) ++bad3;
    if (miniml::detail::dot_s8<miniml::Ram>(act + oa, act + ob, n, acc) != refr) ++bad4;
    {
      uint16_t run = rnd() % 6, rows = rnd() % 5, as = run + rnd() % 9, bs = run + rnd() % 3;
      if (it < 20) {
        run = 1 + it % 5;
        rows = 1 + it % 4;
        as = run;
        bs = run;
      }
      int32_t r1 = acc, r2 = acc;
      for (uint16_t r = 0; r < rows; ++r)
        for (uint16_t k = 0; k < run; ++k) {
          r1 += (int16_t)act[oa + r * as + k] * (int16_t)(int8_t)pgm_read_byte(&kW[ob + r * bs + k]);
          r2 += (int16_t)act[oa + r * as + k] * (int16_t)act[ob + r * bs + k];
        }
      {
        uint16_t ch = 1 + rnd() % 4, ac = as * rows + rnd() % 7, bc = bs * rows + rnd() % 3;
        if (it < 20) {
          ac = as * rows;
          bc = bs * rows;
        }
        if (it % 50 == 7) {
          ac = as * rows + 300;
        }
        int32_t w1 = acc, w2 = acc;
        for (uint16_t q = 0; q < ch; ++q)
          for (uint16_t r = 0; r < rows; ++r)
            for (uint16_t k = 0; k < run; ++k) {
              w1 += (int16_t)act[oa + q * ac + r * as + k] *
                    (int16_t)(int8_t)pgm_read_byte(&kW[ob + q * bc + r * bs + k]);
              w2 += (int16_t)act[oa + q * ac + r * as + k] * (int16_t)act[ob + q * bc + r * bs + k];
            }
        if (miniml::detail::dot_window_s8<miniml::Rom>(act + oa, as, ac, kW + ob, bs, bc, run, rows, ch, acc) != w1)
          ++bad3;
        if (miniml::detail::dot_window_s8<miniml::Ram>(act + oa, as, ac, act + ob, bs, bc, run, rows, ch, acc) != w2)
          ++bad4;
        if (run != 0 && rows != 0) {  // dot_window_avr: the same window as strides, 24-bit sum (< 512 taps)
          miniml::detail::AvrWindow w;
          w.run = (uint8_t)run;
          w.rows = (uint8_t)rows;
          w.chans = (uint8_t)ch;
          w.a_skip = (uint16_t)(as - run);
          w.b_skip = (uint8_t)(bs - run);
          w.a_next = (uint16_t)(ac - rows * as);
          w.b_next = (uint8_t)(bc - rows * bs);
          if (acc + miniml::detail::dot_window_avr<miniml::Rom>(act + oa, kW + ob, w) != w1) ++bad3;
          if (acc + miniml::detail::dot_window_avr<miniml::Ram>(act + oa, act + ob, w) != w2) ++bad4;
        }
      }
      if (miniml::detail::dot_rows_s8<miniml::Rom>(act + oa, as, kW + ob, bs, run, rows, acc) != r1) ++bad3;
      if (miniml::detail::dot_rows_s8<miniml::Ram>(act + oa, as, act + ob, bs, run, rows, acc) != r2) ++bad4;
    }
  }
  const uint32_t result[] = {bad1, bad2, bad3, bad4, bad5, bad6, bad7, round_q15_mismatches()};
  return finish_with_result(result);
}
