// Smoke test for every board: the runtime's basics (index_t width, flash reads through core_rom.h, float
// arithmetic without fused multiply-add) give the same numbers on the host, AVR, Cortex-M4F and RISC-V.
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "miniml/core_rom.h"
#include "miniml/core_types.h"
#include "miniml/testing.h"

namespace {

template <typename Unused = void>
struct Table {
  static const float kFloats[4];
  static const int8_t kInt8[4];
  static const int32_t kInt32[3];
};
template <typename Unused>
const float Table<Unused>::kFloats[4] MINIML_ROM = {1.5f, -2.25f, 3.0e-7f, 65504.0f};
template <typename Unused>
const int8_t Table<Unused>::kInt8[4] MINIML_ROM = {-128, -1, 0, 127};
template <typename Unused>
const int32_t Table<Unused>::kInt32[3] MINIML_ROM = {-2147483647 - 1, 123456789, 2147483647};

// Defeats constant folding, so the target's own arithmetic is tested.
volatile float g_a = 1.1f;
volatile float g_b = 3.3f;
volatile float g_c = -0.7f;

void test_index_t_width() {
#if defined(__AVR__)
  TEST_ASSERT_EQUAL_UINT(2, sizeof(miniml::index_t));
#else
  TEST_ASSERT_EQUAL_UINT(4, sizeof(miniml::index_t));
#endif
}

void test_rom_read_float() {
  TEST_ASSERT_EQUAL_FLOAT(1.5f, miniml::rom_read(&Table<>::kFloats[0]));
  TEST_ASSERT_EQUAL_FLOAT(-2.25f, miniml::rom_read(&Table<>::kFloats[1]));
  TEST_ASSERT_EQUAL_FLOAT(3.0e-7f, miniml::rom_read(&Table<>::kFloats[2]));
  TEST_ASSERT_EQUAL_FLOAT(65504.0f, miniml::Rom::read(&Table<>::kFloats[3]));
}

void test_rom_read_int() {
  TEST_ASSERT_EQUAL_INT8(-128, miniml::rom_read(&Table<>::kInt8[0]));
  TEST_ASSERT_EQUAL_INT8(-1, miniml::rom_read(&Table<>::kInt8[1]));
  TEST_ASSERT_EQUAL_INT8(127, miniml::Rom::read(&Table<>::kInt8[3]));
  TEST_ASSERT_EQUAL_INT32(-2147483647 - 1, miniml::rom_read(&Table<>::kInt32[0]));
  TEST_ASSERT_EQUAL_INT32(123456789, miniml::rom_read(&Table<>::kInt32[1]));
  TEST_ASSERT_EQUAL_INT32(2147483647, miniml::Rom::read(&Table<>::kInt32[2]));
}

void test_rom_copy() {
  float copy[4];
  miniml::rom_copy(copy, Table<>::kFloats, sizeof(copy));
  TEST_ASSERT_EQUAL_FLOAT(-2.25f, copy[1]);
  TEST_ASSERT_EQUAL_FLOAT(65504.0f, copy[3]);
}

// a * b + c rounded twice (no FMA); the bit pattern was computed on the host with -ffp-contract=off.
// avr-libc maps expf/tanhf to exp/tanh (double is float there): the casts keep -Wdouble-promotion quiet.
void test_float_bits_without_fma() {
  float r = g_a * g_b + g_c;
  uint32_t bits;
  memcpy(&bits, &r, sizeof(bits));
  TEST_ASSERT_EQUAL_HEX32(0x403b851fu, bits);
}

void test_libm() {
  TEST_ASSERT_FLOAT_WITHIN(1e-6f, 0.7615942f, static_cast<float>(tanhf(1.0f)));
  TEST_ASSERT_FLOAT_WITHIN(1e-6f, 2.7182817f, static_cast<float>(expf(1.0f)));
  TEST_ASSERT_FLOAT_WITHIN(1e-7f, 0.2689414f, 1.0f / (1.0f + static_cast<float>(expf(1.0f))));
  // Exactly 1 (train_loss.h's cross_entropy_f32 skips the call for the max logit on this).
  volatile float zero = 0.0f;
  TEST_ASSERT_TRUE(static_cast<float>(expf(zero)) == 1.0f);
  TEST_ASSERT_TRUE(static_cast<float>(expf(-zero)) == 1.0f);
}

int run_all_tests() {
  UNITY_BEGIN();
  RUN_TEST(test_index_t_width);
  RUN_TEST(test_rom_read_float);
  RUN_TEST(test_rom_read_int);
  RUN_TEST(test_rom_copy);
  RUN_TEST(test_float_bits_without_fma);
  RUN_TEST(test_libm);
  return UNITY_END();
}

}  // namespace

MINIML_TEST_MAIN(run_all_tests)
