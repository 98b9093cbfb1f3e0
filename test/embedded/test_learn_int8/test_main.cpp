// Learning inside an int8 model on the board: learn_s8.h (scripts/make_test_models.py) keeps its first conv
// int8 before the middle conv that learns in float (from its dequantised int8 weights), and the conv and
// Linear after it int8 in flash (each between a quantize and a dequantize; learn() passes the gradient back
// through their dequantised weights). The board replays PyTorch's steps on the same mixed model (learning
// golden). Its own suite: beside the other learning models it would not fit the Uno's 2 KB.
#include "learn_s8.h"
#include "miniml/testing.h"

namespace {

learn_s8::Model g_model;

void test_int8_mixed_learning_matches_pytorch() { MINIML_CHECK_LEARN_GOLDEN(learn_s8, g_model); }

int run_all_tests() {
  UNITY_BEGIN();
  RUN_TEST(test_int8_mixed_learning_matches_pytorch);
  return UNITY_END();
}

}  // namespace

MINIML_TEST_MAIN(run_all_tests)
