// Conv learning on the board: learn_conv.h (scripts/make_test_models.py) learns output channels 0 and 2 of a
// depthwise Conv1d folded with its BatchNorm (sparse channel update) and its bias, the first conv's bias (its
// weight stays in flash), row 1 of the head's weight and the head's bias; the board replays
// PyTorch's own SGD steps on the same folded model (learning golden) and round-trips what it learned through
// the store. Its own suite: beside learn.h and learn_adam.h it would not fit the Uno's 2 KB.
#include "learn_conv.h"
#include "miniml/store_ram.h"
#include "miniml/testing.h"

namespace {

learn_conv::Model g_model;
float g_learned[learn_conv::kTrainableCount];
float g_now[learn_conv::kTrainableCount];
uint8_t g_store[learn_conv::kStoreBytes];

void test_conv_learning_matches_pytorch_sgd() { MINIML_CHECK_LEARN_GOLDEN(learn_conv, g_model); }

void test_conv_save_reset_load() {
  g_model.reset();
  for (miniml::index_t s = 0; s < learn_conv::kLearnGoldenSteps; ++s) learn_conv::LearnGolden::learn(g_model, s);
  g_model.get_trainable(g_learned);
  miniml::RamStore store(g_store, sizeof(g_store));
  store.erase();
  TEST_ASSERT_EQUAL_UINT8(miniml::kStoreOk, g_model.save(store));
  g_model.reset();
  TEST_ASSERT_EQUAL_UINT8(miniml::kStoreOk, g_model.load(store));
  g_model.get_trainable(g_now);
  TEST_ASSERT_EQUAL_MEMORY(g_learned, g_now, sizeof(g_now));
  g_model.reset();
}

int run_all_tests() {
  UNITY_BEGIN();
  RUN_TEST(test_conv_learning_matches_pytorch_sgd);
  RUN_TEST(test_conv_save_reset_load);
  return UNITY_END();
}

}  // namespace

MINIML_TEST_MAIN(run_all_tests)
