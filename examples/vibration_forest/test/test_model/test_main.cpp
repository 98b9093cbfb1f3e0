// On the board: the forest computes what scikit-learn computed (golden vectors of predict_proba), and the
// features computed here classify the sample windows as scikit-learn did from numpy's features.
#include <unity.h>

#include "forest.h"
#include "forest_app.h"
#include "miniml/testing.h"

static forest::Model model;

void setUp() {}
void tearDown() {}

void test_forest_matches_sklearn() { MINIML_CHECK_GOLDEN(forest, model); }

void test_predictions_match_sklearn() {
  for (uint8_t i = 0; i < kSampleCount; ++i) {
    TEST_ASSERT_EQUAL_UINT8(miniml::rom_read(&kSamplePredicted[i]), classify_window(model, i));
  }
}

static int run_tests() {
  UNITY_BEGIN();
  RUN_TEST(test_forest_matches_sklearn);
  RUN_TEST(test_predictions_match_sklearn);
  return UNITY_END();
}

MINIML_TEST_MAIN(run_tests)
