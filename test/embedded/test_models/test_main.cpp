// Exported models on the board compute PyTorch's numbers: mlp.h, cnn.h and autoenc.h (#11's new layers, two
// outputs) come from scripts/make_test_models.py (build/test_models, golden vectors = PyTorch's outputs for
// seeded random inputs), checked with miniml/testing.h. (Their int8 twins: test_int8_models.)
#include "autoenc.h"
#include "cnn.h"
#include "miniml/testing.h"
#include "mlp.h"

namespace {

mlp::Model g_mlp;
cnn::Model g_cnn;
autoenc::Model g_autoenc;

void test_mlp_matches_pytorch() { MINIML_CHECK_GOLDEN(mlp, g_mlp); }

void test_cnn_matches_pytorch() { MINIML_CHECK_GOLDEN(cnn, g_cnn); }

// both outputs (reconstruction and anomaly score) of every golden vector
void test_autoencoder_matches_pytorch() { MINIML_CHECK_GOLDEN(autoenc, g_autoenc); }

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
  RUN_TEST(test_mlp_is_repeatable);
  return UNITY_END();
}

}  // namespace

MINIML_TEST_MAIN(run_all_tests)
