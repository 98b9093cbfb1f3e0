// int8 models on the board reproduce the exporter's integer reference bit for bit: autoenc_s8.h (the
// test_models autoencoder architecture in int8) and mix_s8.h (a small model of #11's other int8 kernels), from
// scripts/make_test_models.py; their golden vectors are the integer reference's outputs. A suite of its own: the
// Uno's 32 KB of flash do not hold them beside test_models' float models.
#include "autoenc_s8.h"
#include "miniml/testing.h"
#include "mix_s8.h"

namespace {

// Every output of every golden vector equal to the exporter's integer reference to the bit, not just within the
// golden tolerance. Model and buffers on the stack.
template <class G, class ModelT>
void check_bit_exact(miniml::index_t count) {
  ModelT model;
  float in[G::kInputFloats];
  float out[G::kOutputFloats];
  for (miniml::index_t g = 0; g < count; ++g) {
    for (miniml::index_t i = 0; i < G::kInputFloats; ++i)
      in[i] = miniml::rom_read(&G::kInputs[g * G::kInputFloats + i]);
    G::run(model, in, out);
    for (miniml::index_t i = 0; i < G::kOutputFloats; ++i) {
      const float want = miniml::rom_read(&G::kOutputs[g * G::kOutputFloats + i]);
      TEST_ASSERT_EQUAL_MEMORY(&want, &out[i], sizeof(float));
    }
  }
}

// GroupNorm, per-channel PReLU, ConvTranspose, linear Upsample, two heads
void test_autoencoder_int8_is_bit_exact() {
  check_bit_exact<autoenc_s8::Golden, autoenc_s8::Model>(autoenc_s8::kGoldenCount);
}

// channel shuffle, LeakyReLU, bilinear, mean over channels and rows, tensor division, Hardswish, pad, sum over rows
void test_mix_int8_is_bit_exact() { check_bit_exact<mix_s8::Golden, mix_s8::Model>(mix_s8::kGoldenCount); }

int run_all_tests() {
  UNITY_BEGIN();
  RUN_TEST(test_autoencoder_int8_is_bit_exact);
  RUN_TEST(test_mix_int8_is_bit_exact);
  return UNITY_END();
}

}  // namespace

MINIML_TEST_MAIN(run_all_tests)
