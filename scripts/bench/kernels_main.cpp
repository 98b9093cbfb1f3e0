// Kernel micro-benchmark (scripts/bench.py): the hot loops' cost per multiply-accumulate and per requantisation.
// Regions, in order: dot_s8<Rom> over 64 taps, over 0 taps (call overhead), requantize_s8 once,
// linear_f32<Rom> 8 -> 8 (64 MACs), linear_f32<Rom> 0 -> 8 (overhead without MACs).
#include <stdint.h>
#include <string.h>

#include "miniml/core_dot.h"
#include "miniml/core_fixedpoint.h"
#include "miniml/core_rom.h"
#include "miniml/op_activation.h"
#include "miniml/op_linear.h"
#include "miniml_bench.h"

MINIML_BENCH_STORAGE

template <typename Unused = void>
struct KernelData {
  static const int8_t kW[64];
  static const float kWf[64];
  static const float kBf[8];
};
template <typename Unused>
const int8_t KernelData<Unused>::kW[64] MINIML_ROM = {
    17,  -3,  88,   -120, 5,  64,  -77, 3,    101,  -9, 45,  -66, 12,  127,  -128, 33,  17,  -3,  88,   -120, 5,  64,
    -77, 3,   101,  -9,   45, -66, 12,  127,  -128, 33, 17,  -3,  88,  -120, 5,    64,  -77, 3,   101,  -9,   45, -66,
    12,  127, -128, 33,   17, -3,  88,  -120, 5,    64, -77, 3,   101, -9,   45,   -66, 12,  127, -128, 33};
template <typename Unused>
const float KernelData<Unused>::kWf[64] MINIML_ROM = {
    0.11f,  -0.52f, 0.33f,  0.91f,  -0.25f, 0.07f,  0.66f, -0.48f, 0.11f,  -0.52f, 0.33f,  0.91f, -0.25f,
    0.07f,  0.66f,  -0.48f, 0.11f,  -0.52f, 0.33f,  0.91f, -0.25f, 0.07f,  0.66f,  -0.48f, 0.11f, -0.52f,
    0.33f,  0.91f,  -0.25f, 0.07f,  0.66f,  -0.48f, 0.11f, -0.52f, 0.33f,  0.91f,  -0.25f, 0.07f, 0.66f,
    -0.48f, 0.11f,  -0.52f, 0.33f,  0.91f,  -0.25f, 0.07f, 0.66f,  -0.48f, 0.11f,  -0.52f, 0.33f, 0.91f,
    -0.25f, 0.07f,  0.66f,  -0.48f, 0.11f,  -0.52f, 0.33f, 0.91f,  -0.25f, 0.07f,  0.66f,  -0.48f};
template <typename Unused>
const float KernelData<Unused>::kBf[8] MINIML_ROM = {0.1f, -0.2f, 0.3f, 0.0f, 0.5f, -0.6f, 0.7f, 0.05f};

static int8_t act_s8[64];
static float act_f[8];
static float out_f[8];
volatile int32_t sink32;
volatile int8_t sink8;
volatile int32_t acc_in = 12345;
volatile int32_t mult_in = 1518500250;
volatile int8_t shift_in = -7;
volatile miniml::index_t n64 = 64;
volatile miniml::index_t n0 = 0;

int main() {
  for (int i = 0; i < 64; ++i) act_s8[i] = static_cast<int8_t>(i * 37 - 100);
  for (int i = 0; i < 8; ++i) act_f[i] = static_cast<float>(i) * 0.37f - 1.1f;
  const miniml::index_t a = n64, b = n0;
  miniml_bench_begin();
  int32_t r = miniml::detail::dot_s8<miniml::Rom>(act_s8, KernelData<>::kW, a, 0);
  miniml_bench_end();
  sink32 = r;
  miniml_bench_begin();
  r = miniml::detail::dot_s8<miniml::Rom>(act_s8, KernelData<>::kW, b, 0);
  miniml_bench_end();
  sink32 = r;
  const int32_t acc = acc_in, mult = mult_in;
  const int8_t sh = shift_in;
  miniml_bench_begin();
  const int8_t q = miniml::requantize_s8(acc, mult, sh, 3, -128, 127);
  miniml_bench_end();
  sink8 = q;
  const miniml::index_t eight = static_cast<miniml::index_t>(a / 8);
  miniml_bench_begin();
  miniml::linear_f32<miniml::Rom>(act_f, KernelData<>::kWf, KernelData<>::kBf, out_f, eight, eight, miniml::ActNone());
  miniml_bench_end();
  miniml_bench_begin();
  miniml::linear_f32<miniml::Rom>(act_f, KernelData<>::kWf, KernelData<>::kBf, out_f, b, eight, miniml::ActNone());
  miniml_bench_end();
  sink32 = static_cast<int32_t>(out_f[3] * 1000.0f);
  return 0;
}
