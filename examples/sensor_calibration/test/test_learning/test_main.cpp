// On the board: the factory model matches PyTorch (golden vectors), learn() matches torch.optim.SGD step
// for step (learning golden), learning halves the new sensor's error,
// and save/load through the two-slot store restores exactly the learned model.
#include <unity.h>

#include "miniml/store_ram.h"
#include "miniml/testing.h"
#include "sensor.h"
#include "sensor_law.h"

static sensor::Model model;
static uint8_t g_store_bytes[sensor::kStoreBytes];

void setUp() { model.reset(); }
void tearDown() {}

void test_factory_model_matches_pytorch() { MINIML_CHECK_GOLDEN(sensor, model); }

// learn() on PyTorch's samples gives PyTorch's losses and, after the steps, torch.optim.SGD's weights.
void test_learning_matches_pytorch_sgd() { MINIML_CHECK_LEARN_GOLDEN(sensor, model); }

void test_learning_halves_the_error() {
  const float before = mean_error(model, 50);
  calibrate(model, 300);
  const float after = mean_error(model, 50);
  TEST_ASSERT_TRUE(before > 0.5f);
  TEST_ASSERT_TRUE(after <= 0.5f * before);
}

void test_learned_weights_survive_a_reboot() {
  miniml::RamStore store(g_store_bytes, sizeof(g_store_bytes));
  store.erase();
  calibrate(model, 100);
  const float learned = mean_error(model, 20);
  TEST_ASSERT_EQUAL_INT(miniml::kStoreOk, model.save(store));
  model.reset();
  TEST_ASSERT_TRUE(mean_error(model, 20) != learned);
  TEST_ASSERT_EQUAL_INT(miniml::kStoreOk, model.load(store));
  TEST_ASSERT_EQUAL_FLOAT(learned, mean_error(model, 20));
}

static int run_tests() {
  UNITY_BEGIN();
  RUN_TEST(test_factory_model_matches_pytorch);
  RUN_TEST(test_learning_matches_pytorch_sgd);
  RUN_TEST(test_learning_halves_the_error);
  RUN_TEST(test_learned_weights_survive_a_reboot);
  return UNITY_END();
}

MINIML_TEST_MAIN(run_tests)
