// On the board: the CNN computes what PyTorch computed (golden vectors) and classifies the sample windows
// as PyTorch does.
#include <unity.h>

#include "miniml/testing.h"
#include "vibration.h"
#include "vibration_app.h"

static vibration::Model model;

void setUp() {}
void tearDown() {}

void test_vibration_matches_pytorch() { MINIML_CHECK_GOLDEN(vibration, model); }

void test_predictions_match_pytorch() {
  for (uint8_t i = 0; i < kSampleCount; ++i) {
    TEST_ASSERT_EQUAL_UINT8(miniml::rom_read(&kSamplePredicted[i]), classify_window(model, i));
  }
}

static int run_tests() {
  UNITY_BEGIN();
  RUN_TEST(test_vibration_matches_pytorch);
  RUN_TEST(test_predictions_match_pytorch);
  return UNITY_END();
}

MINIML_TEST_MAIN(run_tests)
