// On the board: the int8 model computes what the exporter's int8 reference computed for PyTorch's golden
// inputs, and predicts the sample digits as PyTorch's float model does.
#include <unity.h>

#include "digits.h"
#include "digits_app.h"
#include "miniml/testing.h"

static digits::Model model;

void setUp() {}
void tearDown() {}

void test_digits_matches_reference() { MINIML_CHECK_GOLDEN(digits, model); }

void test_predictions_match_pytorch() {
  for (uint8_t i = 0; i < kSampleCount; ++i) {
    TEST_ASSERT_EQUAL_UINT8(miniml::rom_read(&kSamplePredicted[i]), classify_sample(model, i));
  }
}

static int run_tests() {
  UNITY_BEGIN();
  RUN_TEST(test_digits_matches_reference);
  RUN_TEST(test_predictions_match_pytorch);
  return UNITY_END();
}

MINIML_TEST_MAIN(run_tests)
