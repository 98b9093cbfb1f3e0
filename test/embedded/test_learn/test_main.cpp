// On-device learning on the board: learn.h (scripts/make_test_models.py) trains its final Linear; the board
// replays PyTorch's own SGD steps (learning golden), refuses a non-finite step, and round-trips the learned
// weights through the two-slot store in RAM. learn_adam.h (Adam, weight decay, two layers) replays PyTorch's
// torch.optim.Adam steps the same way.
#include "learn.h"
#include "learn_adam.h"
#include "miniml/store_ram.h"
#include "miniml/testing.h"

namespace {

learn::Model g_model;
learn_adam::Model g_adam;
float g_learned[learn::kTrainableCount];
float g_now[learn::kTrainableCount];
uint8_t g_store[learn::kStoreBytes];

void test_learn_matches_pytorch_sgd() { MINIML_CHECK_LEARN_GOLDEN(learn, g_model); }

void test_learn_matches_pytorch_adam() { MINIML_CHECK_LEARN_GOLDEN(learn_adam, g_adam); }

void test_refuses_non_finite_input() {
  g_model.reset();
  float x[learn::kInputSize] = {0.0f};
  float t[learn::kOutputSize] = {0.0f};
  g_model.get_trainable(g_learned);
  x[0] = miniml::nan_f32();
  TEST_ASSERT_FALSE(miniml::is_finite_f32(g_model.learn(x, t)));
  TEST_ASSERT_EQUAL_UINT32(1, g_model.refused_steps());
  g_model.get_trainable(g_now);
  TEST_ASSERT_EQUAL_MEMORY(g_learned, g_now, sizeof(g_now));
}

void test_save_reset_load() {
  g_model.reset();
  for (miniml::index_t s = 0; s < learn::kLearnGoldenSteps; ++s) learn::LearnGolden::learn(g_model, s);
  g_model.get_trainable(g_learned);
  miniml::RamStore store(g_store, sizeof(g_store));
  store.erase();
  TEST_ASSERT_EQUAL_UINT8(miniml::kStoreEmpty, g_model.load(store));
  TEST_ASSERT_EQUAL_UINT8(miniml::kStoreOk, g_model.save(store));
  g_model.reset();
  g_model.get_trainable(g_now);
  TEST_ASSERT_TRUE(memcmp(g_learned, g_now, sizeof(g_now)) != 0);
  TEST_ASSERT_EQUAL_UINT8(miniml::kStoreOk, g_model.load(store));
  g_model.get_trainable(g_now);
  TEST_ASSERT_EQUAL_MEMORY(g_learned, g_now, sizeof(g_now));
  g_model.reset();
}

int run_all_tests() {
  UNITY_BEGIN();
  RUN_TEST(test_learn_matches_pytorch_sgd);
  RUN_TEST(test_learn_matches_pytorch_adam);
  RUN_TEST(test_refuses_non_finite_input);
  RUN_TEST(test_save_reset_load);
  return UNITY_END();
}

}  // namespace

MINIML_TEST_MAIN(run_all_tests)
