// On the board: step() streams to what PyTorch computed on whole windows (golden vectors), equals this
// board's own predict() on the same window bit for bit, and classifies the sample windows as PyTorch does.
#include <string.h>
#include <unity.h>

#include "gesture.h"
#include "gesture_app.h"
#include "miniml/testing.h"

static gesture::Model model;

void setUp() {}
void tearDown() {}

void test_predict_matches_pytorch() { MINIML_CHECK_GOLDEN(gesture, model); }

void test_stream_matches_pytorch() { MINIML_CHECK_STREAM_GOLDEN(gesture, model); }

void test_stream_equals_predict() {
  static float window[gesture::kInputSize];
  float whole[gesture::kOutputSize];
  float streamed[gesture::kStepOutputSize];
  for (uint8_t i = 0; i < kSampleCount; ++i) {
    miniml::rom_copy(window, kSampleWindows[i], sizeof(window));
    model.predict(window, whole);
    classify_stream(model, i, streamed);
    TEST_ASSERT_EQUAL_MEMORY(whole, streamed, sizeof(streamed));
  }
}

void test_predictions_match_pytorch() {
  float scores[gesture::kStepOutputSize];
  for (uint8_t i = 0; i < kSampleCount; ++i) {
    TEST_ASSERT_EQUAL_UINT8(miniml::rom_read(&kSamplePredicted[i]), classify_stream(model, i, scores));
  }
}

static int run_tests() {
  UNITY_BEGIN();
  RUN_TEST(test_predict_matches_pytorch);
  RUN_TEST(test_stream_matches_pytorch);
  RUN_TEST(test_stream_equals_predict);
  RUN_TEST(test_predictions_match_pytorch);
  return UNITY_END();
}

MINIML_TEST_MAIN(run_tests)
