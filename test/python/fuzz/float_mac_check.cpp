// core_float_avr.h's float dot product detail::dot_f32 (the ATmega asm with -DMINIML_OPTIMIZE_SPEED, else
// dot_f32_skip_zeros where floats are soft; weights in flash and in SRAM) against the plain loop of separate
// operations, bit for bit (zero signs included; any NaN equals any NaN, see check()), on random and edge
// operands with many +-0 activations: single taps acc + a * b, chains of 1..24 taps, products alone (ties,
// products near a power of two and at the edges of the normal range) and sums of chosen operands; and ActRelu against
// the comparison it replaces on soft floats. Builds for simavr and for the host (ASan/UBSan). MACS (a -D) sets how many
// taps; prints the mismatch counts "RESULT single_ram single_rom chain_ram chain_rom product relu sum taps END" and the
// first mismatch.
#include <stdint.h>
#include <string.h>
#if defined(__AVR__)
#include <avr/pgmspace.h>
#else
#define PROGMEM
static float pgm_read_float(const float* p) { return *p; }
static uint32_t pgm_read_dword(const uint32_t* p) { return *p; }
#endif

#include "../float_operands.h"
#include "../result_line.h"
#include "../xorshift.h"
#include "miniml/board_io.h"
#include "miniml/core_float_avr.h"
#include "miniml/op_activation.h"
#include "wdata.h"  // kWeights flash floats (random and edge bit patterns, written by the test) as kWbits

using miniml::io::print_uint;
using miniml::io::put;

static uint32_t operand() {
  switch (rnd() % 12) {
    case 0:
      return rnd();
    case 1:
      return kEdges[rnd() % (sizeof(kEdges) / sizeof(kEdges[0]))];
    case 2:
      return in_binades(0, 40);
    case 3:
      return in_binades(200, 254);
    default:
      return in_binades(100, 154);
  }
}
// An addend near the product (cancellation, ties, every alignment distance) or anything.
static uint32_t addend(float a, float b) {
  const uint32_t p = bits(a * b);
  switch (rnd() % 4) {
    case 0:
      return (p ^ 0x80000000u) + (rnd() % 9) - 4;
    case 1:
      return (rnd() & 0x80000000u) | ((p & 0x7FFFFFFFu) + ((rnd() % 64) << 23) - (UINT32_C(32) << 23));
    default:
      return operand();
  }
}

// A mantissa with its lowest 0..23 bits cleared, sometimes all but the last: products of two such are often
// exact, exactly half-way between two floats (ties for the rounding) or just off half-way by their lowest bits.
static uint32_t short_mantissa() { return (rnd() & 0x7FFFFFu & (0x7FFFFFu << (rnd() % 24))) | (rnd() & 1); }
// A mantissa for y such that x's significand (made odd: *xm gets its last bit) times y's is half-way between
// two floats plus `low` in the bits below, where the product rounds (bit 22, or bit 23 when the top bit had to
// be forced): the guard bit set and sticky bits only in the lowest bytes, or none (a tie).
static uint32_t near_tie_mantissa(uint32_t* xm) {
  static const uint32_t kLow[] = {0, 0xFFu, 0xFF00u, 0x3FFFFFu};
  *xm |= 1u;
  const uint32_t x = UINT32_C(0x800000) | *xm;
  uint32_t inverse = x;  // x * inverse == 1 modulo 2^24 after four Newton steps (3 correct bits to 48)
  for (uint8_t i = 0; i < 4; ++i) inverse *= 2u - x * inverse;
  const uint32_t half = UINT32_C(0x400000) << (rnd() & 1);
  return ((half + (rnd() & kLow[rnd() % 4])) * inverse) & (half * 2u - 1u) & 0x7FFFFFu;
}
// A product x * y (ex + ey - 127 near 0 and 254, where it stops being normal, or anywhere), y's mantissa
// sometimes that of 1/x +- a few ulp: the product near a power of two (normalisation, rounding up into the next
// binade).
static void product_operands(float* x, float* y) {
  static const int16_t kSums[] = {-2, -1, 0, 1, 2, 3, 250, 251, 252, 253, 254, 255};
  uint32_t xm = (rnd() & 1) ? short_mantissa() : rnd() & 0x7FFFFFu;
  const int16_t ex = 1 + static_cast<int16_t>(rnd() % 254);
  uint32_t ym = (rnd() & 1) ? short_mantissa() : rnd() & 0x7FFFFFu;
  if ((rnd() & 3) == 0) ym = (bits(1.0f / from_bits(UINT32_C(0x3F800000) | xm)) + rnd() % 5 - 2) & 0x7FFFFFu;
  if ((rnd() & 3) == 0) ym = near_tie_mantissa(&xm);
  const int16_t sum =
      (rnd() & 1) ? kSums[rnd() % (sizeof(kSums) / sizeof(kSums[0]))] : static_cast<int16_t>(rnd() % 256);
  int16_t ey = static_cast<int16_t>(sum + 127 - ex);
  ey = ey < 1 ? 1 : ey > 254 ? 254 : ey;
  *x = from_bits((rnd() & 0x80000000u) | (static_cast<uint32_t>(ex) << 23) | xm);
  *y = from_bits((rnd() & 0x80000000u) | (static_cast<uint32_t>(ey) << 23) | ym);
}

// A sum acc + x * y whose product is exact (y = +-1, 2 or 4, x that much smaller), so both operands of the sum are
// chosen bit for bit: the product's exponent anywhere or near the edges (1, 25, 253), acc's 30 binades below to
// 30 above it (or 0: +-0 or subnormal), either sign; the product's lowest set bit at the sum's guard position (an
// exact half-way sum: ties, to even both ways) or one more bit only far below it (the sticky bits), all ones (carries),
// or acc the negated product give or take up to 2^j in its low bits (cancellation down to every leading-zero count, and
// exactly +-0).
static void sum_operands(float* x, float* y, float* c) {
  static const uint8_t kExps[] = {1, 2, 3, 4, 24, 25, 26, 27, 250, 251, 252, 253};
  const uint8_t ep = (rnd() & 1) ? kExps[rnd() % sizeof(kExps)] : static_cast<uint8_t>(1 + rnd() % 252);
  const int16_t d = static_cast<int16_t>(rnd() % 61) - 30;  // acc's exponent minus the product's
  uint32_t pm = rnd() & 0x7FFFFFu;
  const uint8_t kind = rnd() % 4;
  if (kind == 0 && d > 0 && d < 24) {
    pm = (pm & (0xFFFFFFFFu << d)) | (UINT32_C(1) << (d - 1));
    if (d > 9 && (rnd() & 1)) pm |= UINT32_C(1) << (rnd() % (d - 8));  // a bit below the guard byte: just off half-way
  }
  if (kind == 1) pm = 0x7FFFFFu;
  const uint32_t p = (rnd() & 0x80000000u) | (static_cast<uint32_t>(ep) << 23) | pm;
  const uint8_t k = ep > 3 ? rnd() % 3 : 0;  // y = 2^k, x = p / 2^k (both normal: the product is exact)
  *y = from_bits((rnd() & 0x80000000u) | (static_cast<uint32_t>(127 + k) << 23));
  *x = from_bits(p - (static_cast<uint32_t>(k) << 23));
  const uint32_t pb = bits(*x * *y);
  if (kind == 2) {
    const uint32_t span = UINT32_C(1) << (rnd() % 25);
    *c = from_bits((pb ^ 0x80000000u) + (rnd() % (2 * span + 1)) - span);
    return;
  }
  int16_t ec = static_cast<int16_t>(ep + d);
  ec = (rnd() & 15) == 0 ? 0 : ec < 1 ? 1 : ec > 254 ? 254 : ec;
  *c = from_bits((rnd() & 0x80000000u) | (static_cast<uint32_t>(ec) << 23) |
                 (rnd() & 0x7FFFFFu & (kind == 1 ? 0x7FFFFFu : 0xFFFFFFFFu << (rnd() % 24))));
}

// An activation: +-0 one time in four (a ReLU's zeros, and -0 from a negative product rounded to zero).
static float activation(uint32_t other) { return from_bits((rnd() & 3) == 0 ? rnd() & 0x80000000u : other); }

static uint32_t bad[7];
static bool shown;
static bool is_nan(uint32_t v) { return (v & 0x7FFFFFFFu) > 0x7F800000u; }
// Bit for bit, except between two NaNs: their payload and sign are not a property of the arithmetic even in the
// plain loop, they change with the compiler's register allocation. avr-libc's __fp_nan sets only the high two
// bytes (0xFFC0) and leaves in the low two whatever the caller's registers held; on x86 an operation on two NaNs
// returns its first operand, and GCC orders the operands of a commutative + or * as it likes.
static void check(uint8_t kind, uint32_t got, uint32_t want, uint32_t a, uint32_t b, uint32_t c) {
  if (got == want || (is_nan(got) && is_nan(want))) return;
  ++bad[kind];
  if (shown) return;
  shown = true;
  miniml::io::print("FIRST kind ");
  print_uint(kind);
  const uint32_t v[5] = {a, b, c, got, want};
  for (uint8_t i = 0; i < 5; ++i) {
    put(' ');
    miniml::io::print_hex32(v[i]);
  }
  put('\n');
}

#if defined(__AVR__)
static const float* const kW = reinterpret_cast<const float*>(kWbits);
#else
static float kW[kWeights];
#endif

int main() {
  using miniml::Ram;
  using miniml::Rom;
  using miniml::detail::dot_f32;
  using miniml::detail::dot_f32_plain;
  uint32_t taps = 0;
#if !defined(__AVR__)
  memcpy(kW, kWbits, sizeof(kW));
#endif
  float a[24], b[24];
  while (taps < (uint32_t)MACS) {
    // Single taps, then a chain through the same state the asm carries between taps.
    const float x = activation(operand()), y = from_bits(operand());
    const float c = from_bits(addend(x, y));
    check(0, bits(dot_f32<Ram>(&x, &y, 1, c)), bits(dot_f32_plain<Ram>(&x, &y, 1, c)), bits(x), bits(y), bits(c));
    const uint16_t k = rnd() % kWeights;
    const float wk = pgm_read_float(kW + k);
    const float ck = from_bits(addend(x, wk));
    check(1, bits(dot_f32<Rom>(&x, kW + k, 1, ck)), bits(dot_f32_plain<Rom>(&x, kW + k, 1, ck)), bits(x), bits(wk),
          bits(ck));
    const uint8_t n = 1 + rnd() % 24;
    const bool wide = (rnd() & 7) == 0;  // mostly one range of magnitudes, as in a layer; sometimes any
    for (uint8_t i = 0; i < n; ++i) {
      a[i] = activation(wide ? operand() : in_binades(120, 130));
      b[i] = from_bits(wide ? operand() : in_binades(118, 128));
    }
    // The bias: sometimes an edge (+-0, subnormal, Inf, NaN) that the first taps carry.
    const float c0 = from_bits((rnd() & 7) == 0 ? kEdges[rnd() % (sizeof(kEdges) / sizeof(kEdges[0]))]
                               : wide           ? operand()
                                                : in_binades(115, 131));
    check(2, bits(dot_f32<Ram>(a, b, n, c0)), bits(dot_f32_plain<Ram>(a, b, n, c0)), bits(a[0]), bits(b[0]), bits(c0));
    const uint16_t o = rnd() % (kWeights - 24);
    check(3, bits(dot_f32<Rom>(a, kW + o, n, c0)), bits(dot_f32_plain<Rom>(a, kW + o, n, c0)), bits(a[0]),
          pgm_read_dword(kWbits + o), bits(c0));
    // A product alone: a +-0 sum leaves it as it was rounded.
    float px, py;
    product_operands(&px, &py);
    const float zero = from_bits(rnd() & 0x80000000u);
    check(4, bits(dot_f32<Ram>(&px, &py, 1, zero)), bits(dot_f32_plain<Ram>(&px, &py, 1, zero)), bits(px), bits(py),
          bits(zero));
    // Sums of chosen operands (the SGD build's own add: every alignment, ties, carries, cancellation, edges).
    for (uint8_t i = 0; i < 4; ++i) {
      float sx, sy, sc;
      sum_operands(&sx, &sy, &sc);
      check(6, bits(dot_f32<Ram>(&sx, &sy, 1, sc)), bits(dot_f32_plain<Ram>(&sx, &sy, 1, sc)), bits(sx), bits(sy),
            bits(sc));
    }
    // ReLU, which reads the bits where floats are soft.
    const float r = from_bits(operand());
    check(5, bits(miniml::ActRelu()(r)), bits(r < 0.0f ? 0.0f : r), bits(r), 0, 0);
    taps += 7u + 2u * n;
  }
  const uint32_t result[] = {bad[0], bad[1], bad[2], bad[3], bad[4], bad[5], bad[6], taps};
  return finish_with_result(result);
}
