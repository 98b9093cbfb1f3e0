// quantize_s8's float -> int8 edge against the division it stands for: detail::quantize_by_reciprocal
// (AVR's integer multiply-by-1/scale path, compiled everywhere) and quantize_s8 itself vs clamp(round(x / scale) +
// zero point) in float compares, and detail::round_to_s8_by_bits (AVR's round_to_s8) vs the same, on random
// scales over 2^-24..2^12, values around every rounding step (k + 1/2 a few ulps either side, where the
// reciprocal alone would round wrongly), zeros, subnormals, Inf, NaN and huge values; and the mantissa product
// behind it (AVR: asm) against the 64-bit one; quantize_s8_keep and quantize_s8_matches (learn()'s) against
// quantize_s8; dequantize_s8 (AVR: dequantize_by_bits, tested everywhere) against the float multiply, bit for bit.
// Prints "quantize_check: N cases, M mismatches, B near halves, D codes dequantized" (B: values the fast path must
// hand to the division; the test asserts there are many). Run on the host (ASan/UBSan) and in simavr.
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "../xorshift.h"
#include "miniml/board_io.h"
#include "miniml/op_quantize.h"
#include "round_ref.h"

namespace {

float from_bits(uint32_t b) {
  float f;
  memcpy(&f, &b, sizeof(f));
  return f;
}
// A value for scale: the product of the scale and k + 1/2 (k up to +-300), a few ulps off, or random bits
// around the int8 range, or an edge value.
float pick_x(float scale) {
  const uint32_t r = rnd() % 8;
  if (r == 0) {
    const uint32_t special[] = {0u,          0x80000000u, 1u,          0x807FFFFFu, 0x7F800000u,
                                0xFF800000u, 0x7FC00000u, 0xFFC00001u, 0x7F7FFFFFu, 0xFF7FFFFFu};
    return from_bits(special[rnd() % 10]);
  }
  if (r <= 4) {
    const int32_t k = static_cast<int32_t>(rnd() % 601) - 300;
    const float half = static_cast<float>(k) + (k < 0 ? -0.5f : 0.5f);
    uint32_t b;
    const float x = half * scale;
    memcpy(&b, &x, sizeof(b));
    return from_bits(b + (rnd() % 9) - 4);
  }
  const float t = from_bits((rnd() & 0x807FFFFFu) | ((118u + rnd() % 18u) << 23));  // |t| in [2^-9, 2^9)
  return t * scale;
}

}  // namespace

int main() {
  miniml::io::begin();
  uint32_t cases = 0, bad = 0, near = 0, dequantized = 0;
  float xs[16];
  int8_t out[16], again[16], kept[16];
  for (uint16_t it = 0; it < CASES; ++it) {
    // scale = mantissa 2^e, e in -24..12; zero points over int8, now and then (bits path only) beyond.
    const float scale = from_bits((rnd() & 0x007FFFFFu) | ((103u + rnd() % 37u) << 23));
    const int32_t zp = static_cast<int32_t>(rnd() % 256) - 128;
    const miniml::detail::Reciprocal rec(scale);
    for (uint8_t i = 0; i < 16; ++i) {
      const float x = pick_x(scale);
      xs[i] = x;
      const int8_t want = ref_round_to_s8(x / scale, zp);
      // The fast path must leave this to the division: 1/2 within 32/65536 (as quantize_by_reciprocal).
      const uint32_t fixed = miniml::detail::reciprocal_fixed16(miniml::detail::float_bits(x), rec);
      if (fixed != UINT32_MAX && static_cast<uint16_t>(static_cast<uint16_t>(fixed) - 0x8000u + 32u) <= 64u) ++near;
      if (miniml::detail::quantize_by_reciprocal(x, rec, static_cast<int8_t>(zp)) != want) ++bad;
      const int32_t wide = it % 16 == 0 ? static_cast<int32_t>(rnd() % 2000) - 1000 : zp;
      if (miniml::detail::round_to_s8_by_bits(x / scale, wide) != ref_round_to_s8(x / scale, wide)) ++bad;
      cases += 2;
    }
    miniml::quantize_s8(xs, 16, scale, zp, out);
    for (uint8_t i = 0; i < 16; ++i, ++cases) {
      if (out[i] != ref_round_to_s8(xs[i] / scale, zp)) ++bad;
    }
    // quantize_s8_keep (predict() of a model that learns) writes quantize_s8's codes twice; quantize_s8_matches
    // recognises them and no others.
    miniml::quantize_s8_keep(xs, 16, scale, zp, again, kept);
    if (memcmp(again, out, sizeof(out)) != 0 || memcmp(kept, out, sizeof(out)) != 0) ++bad;
    if (!miniml::quantize_s8_matches(xs, 16, scale, zp, kept)) ++bad;
    kept[it % 16] = static_cast<int8_t>(kept[it % 16] ^ 1);
    if (miniml::quantize_s8_matches(xs, 16, scale, zp, kept)) ++bad;
    cases += 3;
  }
  // dequantize_s8 (AVR: dequantize_by_bits) and dequantize_by_bits itself bit for bit against the float multiply,
  // every code, scales of either sign over the whole range it takes (and beyond: the float path).
  for (uint16_t it = 0; it < CASES / 4; ++it) {
    const uint32_t edges[8] = {1u, 7u, 8u, 9u, 239u, 240u, 241u, 254u};  // around bits_dequantize_ok's range
    const uint32_t field = it < 8 ? edges[it] : 1u + rnd() % 254u;
    const float scale = from_bits((rnd() & 0x807FFFFFu) | (field << 23));
    const int32_t zp = static_cast<int32_t>(rnd() % 256) - 128;
    int8_t codes[256];
    float got[256];
    for (uint16_t q = 0; q < 256; ++q) codes[q] = static_cast<int8_t>(q - 128);
    miniml::dequantize_s8(codes, 256, scale, zp, got);
    const bool by_bits = miniml::detail::bits_dequantize_ok(scale, zp);
    for (uint16_t q = 0; q < 256; ++q, ++dequantized) {
      const float want = scale * static_cast<float>(static_cast<int32_t>(codes[q]) - zp);
      if (memcmp(&got[q], &want, sizeof(want)) != 0) ++bad;
      const float bits = by_bits ? miniml::detail::dequantize_by_bits(static_cast<int16_t>(codes[q] - zp),
                                                                      miniml::detail::float_bits(scale))
                                 : want;
      if (memcmp(&bits, &want, sizeof(want)) != 0) ++bad;
    }
  }
  // The mantissa product (AVR: its asm) exact: against the 64-bit product, random and extreme mantissas.
  for (uint16_t it = 0; it < 2000; ++it, ++cases) {
    uint32_t mx = (rnd() & 0x7FFFFFu) | 0x800000u, mi = (rnd() & 0x7FFFFFu) | 0x800000u;
    if (it < 4) {
      mx = it & 1 ? 0xFFFFFFu : 0x800000u;
      mi = it & 2 ? 0xFFFFFFu : 0x800000u;
    }
    if (miniml::detail::mantissa_product_hi(mx, mi) != static_cast<uint32_t>((static_cast<uint64_t>(mx) * mi) >> 16)) {
      ++bad;
    }
  }
  miniml::io::print("quantize_check: ");
  miniml::io::print_uint(cases);
  miniml::io::print(" cases, ");
  miniml::io::print_uint(bad);
  miniml::io::print(" mismatches, ");
  miniml::io::print_uint(near);
  miniml::io::print(" near halves, ");
  miniml::io::print_uint(dequantized);
  miniml::io::print(" codes dequantized\n");
  return miniml::io::finish(bad == 0 ? 0 : 1);
}
