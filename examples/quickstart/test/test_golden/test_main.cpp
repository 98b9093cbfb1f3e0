// `pio test -e <env>`: the board computes what PyTorch computed (golden vectors embedded by
// custom_miniml_golden in platformio.ini: PyTorch's own inputs and outputs, in flash).
#include <unity.h>

#include "miniml/testing.h"
#include "mlp.h"

static mlp::Model model;

void setUp() {}
void tearDown() {}

void test_mlp_matches_pytorch() { MINIML_CHECK_GOLDEN(mlp, model); }

static int run_tests() {
  UNITY_BEGIN();
  RUN_TEST(test_mlp_matches_pytorch);
  return UNITY_END();
}

MINIML_TEST_MAIN(run_tests)
