// FNV-1a-style hash of exp_nonpositive_f32 and log_at_least_one_f32 over float bit patterns STRIDE apart and
// edge inputs: test_train_exp_log.py builds it for the host (both products of MINIML_EXP_LOG_MUL_HALVES) and
// the simulated Uno, STM32 and ESP32-C3 and wants the same two hashes everywhere.
#include <string.h>

#include "../../result_line.h"
#include "miniml/train_exp_log.h"

static uint32_t mix(uint32_t h, float y) {
  uint32_t b;
  memcpy(&b, &y, 4);
  return (h ^ b) * UINT32_C(16777619);
}

int main() {
  miniml::io::begin();
  uint32_t he = UINT32_C(2166136261), hl = UINT32_C(2166136261);
  const uint32_t stride = STRIDE;
  for (uint32_t b = UINT32_C(0x80000000); b <= UINT32_C(0xC3000000); b += stride) {
    float x;
    memcpy(&x, &b, 4);
    he = mix(he, miniml::exp_nonpositive_f32(x));
  }
  for (uint32_t b = UINT32_C(0x3F800000); b <= UINT32_C(0x7F800000); b += stride) {
    float x;
    memcpy(&x, &b, 4);
    hl = mix(hl, miniml::log_at_least_one_f32(x));
  }
  // Every exponent field with the mantissa's edges, both signs (powers of two, the range tests' boundaries).
  const uint32_t mantissas[] = {0, 1, UINT32_C(0x400000), UINT32_C(0x7FFFFF)};
  for (uint16_t field = 0; field < 256; ++field) {
    for (uint8_t i = 0; i < 8; ++i) {
      const uint32_t b =
          (static_cast<uint32_t>(i & 4u) << 29) | (static_cast<uint32_t>(field) << 23) | mantissas[i & 3u];
      float x;
      memcpy(&x, &b, 4);
      he = mix(he, miniml::exp_nonpositive_f32(x));
      hl = mix(hl, miniml::log_at_least_one_f32(x));
    }
  }
  // Special values (NaN, Inf, out of domain) through the same hashes.
  const uint32_t specials[] = {UINT32_C(0x7FC00000), UINT32_C(0xFFC00000), UINT32_C(0xFF800001), UINT32_C(0x7F800000),
                               UINT32_C(0xFF800000), UINT32_C(0x3F800000), UINT32_C(0x3F000000), UINT32_C(0xBF800000),
                               UINT32_C(0x00000000), UINT32_C(0x00000001), UINT32_C(0x80000001)};
  for (uint8_t i = 0; i < sizeof(specials) / sizeof(specials[0]); ++i) {
    float x;
    memcpy(&x, &specials[i], 4);
    he = mix(he, miniml::exp_nonpositive_f32(x));
    hl = mix(hl, miniml::log_at_least_one_f32(x));
  }
  const uint32_t counts[2] = {he, hl};
  return finish_with_result(counts);
}
