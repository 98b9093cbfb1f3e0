// miniml/testing.h against a hand-written model header: the golden check passes for the right model, and its
// error measure and tolerance are the documented numbers.
#include "miniml/testing.h"
#include "tiny_model.h"

namespace {

tiny::Model g_model;

void test_check_golden_passes_for_the_right_model() {
  g_model.offset = 0.0f;
  MINIML_CHECK_GOLDEN(tiny, g_model);
}

void test_max_abs_error_is_the_offset() {
  g_model.offset = 0.5f;
  TEST_ASSERT_EQUAL_FLOAT(
      0.5f, (miniml::testing::golden_max_abs_error<tiny::Golden, tiny::kInputSize, tiny::kOutputSize>(g_model, 2)));
  g_model.offset = 0.0f;
  TEST_ASSERT_EQUAL_FLOAT(
      0.0f, (miniml::testing::golden_max_abs_error<tiny::Golden, tiny::kInputSize, tiny::kOutputSize>(g_model, 2)));
}

// tol * max(|want|, 1): relative above 1, absolute tol below.
void test_delta_is_relative_with_a_floor() {
  TEST_ASSERT_EQUAL_FLOAT(4e-5f, miniml::testing::golden_delta(-4.0f, 1e-5f));
  TEST_ASSERT_EQUAL_FLOAT(1e-5f, miniml::testing::golden_delta(0.001f, 1e-5f));
  TEST_ASSERT_EQUAL_FLOAT(1e-5f, miniml::testing::golden_delta(-1.0f, 1e-5f));
}

int run_all_tests() {
  UNITY_BEGIN();
  RUN_TEST(test_check_golden_passes_for_the_right_model);
  RUN_TEST(test_max_abs_error_is_the_offset);
  RUN_TEST(test_delta_is_relative_with_a_floor);
  return UNITY_END();
}

}  // namespace

MINIML_TEST_MAIN(run_all_tests)
