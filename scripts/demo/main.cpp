// Demo firmware: runs the exported model on the inputs the demo script chose and prints every output as the
// hex bits of the float ("out <sample> <index> <hex>"), so the host compares exactly, without float formatting
// on the board. Output through miniml/board_io.h. The first predict() is a
// marked region for scripts/counters (exact AVR cycles, Cortex-M instruction count).
#include <stdint.h>

#include "demo_inputs.h"
#include "demo_model.h"
#include "miniml/board_io.h"
#include "miniml_bench.h"  // scripts/counters: marks the first predict() for the cycle/instruction counters

MINIML_BENCH_STORAGE

using miniml::io::put;

static demo_model::Model g_model;

int main() {
  static float input[demo_model::kInputSize];
  static float output[demo_model::kOutputSize];
  miniml::io::begin();
  miniml::io::print("miniml-demo model bytes ");
  miniml::io::print_uint(static_cast<uint32_t>(sizeof(g_model)));
  put('\n');
  for (miniml::index_t k = 0; k < demo_inputs::kCount; ++k) {
    for (miniml::index_t i = 0; i < demo_model::kInputSize; ++i) {
      input[i] = miniml::rom_read(&demo_inputs::Data<>::kInputs[k * demo_model::kInputSize + i]);
    }
    if (k == 0) miniml_bench_begin();
    g_model.predict(input, output);
    if (k == 0) miniml_bench_end();
    for (miniml::index_t i = 0; i < demo_model::kOutputSize; ++i) {
      miniml::io::print("out ");
      miniml::io::print_uint(k);
      put(' ');
      miniml::io::print_uint(i);
      put(' ');
      miniml::io::print_float_bits(output[i]);
      put('\n');
    }
  }
  miniml::io::print("miniml-demo done\n");
  return 0;
}
