// Exported models on the board compute PyTorch's numbers: mlp.h, cnn.h and autoenc.h (#11's new layers, two
// outputs) come from scripts/make_test_models.py (build/test_models, golden vectors = PyTorch's outputs for
// seeded random inputs), checked with miniml/testing.h. autoenc_s8.h is that autoencoder in int8: its golden
// vectors are the integer reference's outputs, which the board must reproduce bit for bit.
#include "autoenc.h"
#include "autoenc_s8.h"
#include "cnn.h"
#include "miniml/testing.h"
#include "miniml_test_main.h"
#include "mlp.h"

namespace {

mlp::Model g_mlp;
cnn::Model g_cnn;
autoenc::Model g_autoenc;
autoenc_s8::Model g_autoenc_s8;

void test_mlp_matches_pytorch() { MINIML_CHECK_GOLDEN(mlp, g_mlp); }

void test_cnn_matches_pytorch() { MINIML_CHECK_GOLDEN(cnn, g_cnn); }

// both outputs (reconstruction and anomaly score) of every golden vector
void test_autoencoder_matches_pytorch() { MINIML_CHECK_GOLDEN(autoenc, g_autoenc); }

// int8 (GroupNorm, per-channel PReLU, ConvTranspose, linear Upsample, two heads): every output of every golden
// vector equal to the exporter's integer reference to the bit, not just within the golden tolerance.
void test_autoencoder_int8_is_bit_exact() {
  typedef autoenc_s8::Golden G;
  static float in[G::kInputFloats];
  static float out[G::kOutputFloats];
  for (miniml::index_t g = 0; g < autoenc_s8::kGoldenCount; ++g) {
    for (miniml::index_t i = 0; i < G::kInputFloats; ++i) {
      in[i] = miniml::rom_read(&G::kInputs[g * G::kInputFloats + i]);
    }
    G::run(g_autoenc_s8, in, out);
    for (miniml::index_t i = 0; i < G::kOutputFloats; ++i) {
      const float want = miniml::rom_read(&G::kOutputs[g * G::kOutputFloats + i]);
      TEST_ASSERT_EQUAL_MEMORY(&want, &out[i], sizeof(float));
    }
  }
}

// The same input twice gives the same bits (no state leaks between predict calls).
void test_mlp_is_repeatable() {
  float in[mlp::kInputSize];
  float other[mlp::kInputSize];
  float a[mlp::kOutputSize];
  float b[mlp::kOutputSize];
  for (miniml::index_t i = 0; i < mlp::kInputSize; ++i) {
    in[i] = miniml::rom_read(&mlp::Golden::kInputs[i]);
    other[i] = miniml::rom_read(&mlp::Golden::kInputs[mlp::kInputSize + i]);
  }
  g_mlp.predict(in, a);
  g_mlp.predict(other, b);  // a different input in between
  g_mlp.predict(in, b);
  TEST_ASSERT_EQUAL_MEMORY(a, b, sizeof(a));
}

int run_all_tests() {
  UNITY_BEGIN();
  RUN_TEST(test_mlp_matches_pytorch);
  RUN_TEST(test_cnn_matches_pytorch);
  RUN_TEST(test_autoencoder_matches_pytorch);
  RUN_TEST(test_autoencoder_int8_is_bit_exact);
  RUN_TEST(test_mlp_is_repeatable);
  return UNITY_END();
}

}  // namespace

MINIML_TEST_MAIN(run_all_tests)
