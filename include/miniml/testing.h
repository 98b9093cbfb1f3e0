// On-target checks of a generated model against the golden vectors embedded in its header (export with
// golden=N): PyTorch's own inputs and outputs in flash, read through core_rom.h. Built on Unity's
// TEST_ASSERT_* only, so a test compiles against real Unity and MiniML's offline Unity alike. A user test:
//
//   #include <unity.h>
//   #include "mlp.h"
//   #include "miniml/testing.h"
//   static mlp::Model model;
//   void test_mlp_matches_pytorch() { MINIML_CHECK_GOLDEN(mlp, model); }
//
// An output passes when |got - want| <= tol * max(|want|, 1) with tol = <ns>::Golden::kTolerance, the rule the
// exporter states in the header: relative for large outputs, an absolute floor of tol near zero (where
// cancelling sums make relative error meaningless). A failure names the vector and the output and prints both
// values.
// Not for production firmware: it pulls in Unity. Scratch buffers are static (one pair per model type).
#ifndef MINIML_TESTING_H_
#define MINIML_TESTING_H_

#include <stdint.h>
#include <unity.h>

#include "core_rom.h"
#include "core_types.h"

namespace miniml {
namespace testing {
namespace detail {

inline float abs_f32(float x) { return x < 0.0f ? -x : x; }

// Appends the decimal digits of v to buf at *pos (bounded by size - 1; buf stays NUL-terminated).
inline void append_uint(char* buf, uint16_t size, uint16_t* pos, uint32_t v) {
  char digits[10];
  uint16_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + static_cast<char>(v % 10u));
    v /= 10u;
  } while (v != 0u);
  while (n > 0 && *pos + 1u < size) buf[(*pos)++] = digits[--n];
  buf[*pos] = '\0';
}

inline void append_str(char* buf, uint16_t size, uint16_t* pos, const char* s) {
  while (*s != '\0' && *pos + 1u < size) buf[(*pos)++] = *s++;
  buf[*pos] = '\0';
}

}  // namespace detail

// The allowed |got - want| for one expected output: tol * max(|want|, 1).
inline float golden_delta(float want, float tol) {
  const float a = detail::abs_f32(want);
  return tol * (a > 1.0f ? a : 1.0f);
}

namespace detail {
// Asserts one golden output: "<what> <g>, output <i>" names it on failure.
inline void assert_golden_output(float want, float got, float tol, const char* what, uint32_t g, index_t i) {
  static char message[48];
  uint16_t pos = 0;
  append_str(message, sizeof(message), &pos, what);
  append_uint(message, sizeof(message), &pos, g);
  append_str(message, sizeof(message), &pos, ", output ");
  append_uint(message, sizeof(message), &pos, i);
  TEST_ASSERT_FLOAT_WITHIN_MESSAGE(golden_delta(want, tol), want, got, message);
}
}  // namespace detail

// Runs model.predict on every golden input and asserts every output (Unity; the first mismatch ends the test).
// Golden: a class with static MINIML_ROM arrays kInputs[count * kIn], kOutputs[count * kOut], kTolerance and
// run(model, inputs, outputs), which calls predict() with the packed vector split into the model's inputs and
// outputs (several inputs/outputs, integer indices): kIn, kOut are the packed sizes, all outputs are checked.
template <class Golden, index_t kIn, index_t kOut, class ModelT>
inline void check_golden(ModelT& model, index_t count) {
  static float input[kIn];
  static float output[kOut];
  TEST_ASSERT_GREATER_THAN_MESSAGE(0, count, "the model header has no golden vectors: export with golden=N");
  for (index_t g = 0; g < count; ++g) {
    const float* in_rom = &Golden::kInputs[static_cast<uint32_t>(g) * kIn];
    const float* want_rom = &Golden::kOutputs[static_cast<uint32_t>(g) * kOut];
    for (index_t i = 0; i < kIn; ++i) input[i] = rom_read(&in_rom[i]);
    Golden::run(model, input, output);
    for (index_t i = 0; i < kOut; ++i) {
      detail::assert_golden_output(rom_read(&want_rom[i]), output[i], Golden::kTolerance, "golden vector ", g, i);
    }
  }
}

// Streams every golden input through model.step() after model.reset_state(), one time step of kStepIn floats at a
// time, and asserts what PyTorch computed on the whole sequence: each step's output when the model outputs every
// step (kOut == steps * kStepOut), else the last step's output.
template <class Golden, index_t kIn, index_t kOut, index_t kStepIn, index_t kStepOut, class ModelT>
inline void check_stream_golden(ModelT& model, index_t count) {
  static float x_t[kStepIn];
  static float y_t[kStepOut];
  const index_t steps = kIn / kStepIn;
  const bool every_step = kOut == steps * kStepOut;
  TEST_ASSERT_GREATER_THAN_MESSAGE(0, count, "the model header has no golden vectors: export with golden=N");
  for (index_t g = 0; g < count; ++g) {
    const float* in_rom = &Golden::kInputs[static_cast<uint32_t>(g) * kIn];
    const float* want_rom = &Golden::kOutputs[static_cast<uint32_t>(g) * kOut];
    model.reset_state();
    for (index_t t = 0; t < steps; ++t) {
      for (index_t i = 0; i < kStepIn; ++i) x_t[i] = rom_read(&in_rom[static_cast<uint32_t>(t) * kStepIn + i]);
      model.step(x_t, y_t);
      if (!every_step && t + 1 < steps) continue;
      const float* want = every_step ? want_rom + static_cast<uint32_t>(t) * kStepOut : want_rom;
      for (index_t i = 0; i < kStepOut; ++i) {
        detail::assert_golden_output(rom_read(&want[i]), y_t[i], Golden::kTolerance, "streamed golden vector ", g, i);
      }
    }
  }
}

// Largest |model - PyTorch| over all golden outputs (for demos and reports; asserts nothing).
template <class Golden, index_t kIn, index_t kOut, class ModelT>
inline float golden_max_abs_error(ModelT& model, index_t count) {
  static float input[kIn];
  static float output[kOut];
  float worst = 0.0f;
  for (index_t g = 0; g < count; ++g) {
    const float* in_rom = &Golden::kInputs[static_cast<uint32_t>(g) * kIn];
    const float* want_rom = &Golden::kOutputs[static_cast<uint32_t>(g) * kOut];
    for (index_t i = 0; i < kIn; ++i) input[i] = rom_read(&in_rom[i]);
    Golden::run(model, input, output);
    for (index_t i = 0; i < kOut; ++i) {
      const float e = detail::abs_f32(output[i] - rom_read(&want_rom[i]));
      if (e > worst) worst = e;
    }
  }
  return worst;
}

// Replays the learning golden of a header exported with golden=N and on_device_learning: model.reset(), N
// learn() calls on PyTorch's samples (each returned loss checked), then every trainable parameter against
// PyTorch's after N torch.optim steps (SGD or Adam), with the golden_delta rule; resets the model again when it
// passes.
template <class LearnGolden, index_t kCount, class ModelT>
inline void check_learn_golden(ModelT& model, index_t steps) {
  static float trained[kCount];
  static char message[48];
  TEST_ASSERT_GREATER_THAN_MESSAGE(0, steps, "no learning golden: export with golden=N and on_device_learning");
  model.reset();
  for (index_t s = 0; s < steps; ++s) {
    const float loss = LearnGolden::learn(model, s);
    const float want = rom_read(&LearnGolden::kLosses[s]);
    uint16_t pos = 0;
    detail::append_str(message, sizeof(message), &pos, "loss of learn step ");
    detail::append_uint(message, sizeof(message), &pos, s);
    TEST_ASSERT_FLOAT_WITHIN_MESSAGE(golden_delta(want, LearnGolden::kTolerance), want, loss, message);
  }
  model.get_trainable(trained);
  for (index_t i = 0; i < kCount; ++i) {
    const float want = rom_read(&LearnGolden::kTrainable[i]);
    uint16_t pos = 0;
    detail::append_str(message, sizeof(message), &pos, "trainable parameter ");
    detail::append_uint(message, sizeof(message), &pos, i);
    TEST_ASSERT_FLOAT_WITHIN_MESSAGE(golden_delta(want, LearnGolden::kTolerance), want, trained[i], message);
  }
  model.reset();
}

}  // namespace testing
}  // namespace miniml

// Checks `model` (an instance of <ns>::Model) against every golden vector in the header of namespace `ns`.
#define MINIML_CHECK_GOLDEN(ns, model)                                                                      \
  ::miniml::testing::check_golden<ns::Golden, ns::Golden::kInputFloats, ns::Golden::kOutputFloats>((model), \
                                                                                                   ns::kGoldenCount)

// Checks step() of `model` (a streaming export: streaming=True) against the same golden vectors, sample by sample.
#define MINIML_CHECK_STREAM_GOLDEN(ns, model)                                                             \
  ::miniml::testing::check_stream_golden<ns::Golden, ns::kInputSize, ns::kOutputSize, ns::kStepInputSize, \
                                         ns::kStepOutputSize>((model), ns::kGoldenCount)

// Checks on-device learning of `model` (<ns>::Model) against PyTorch's optimizer steps embedded in the header.
#define MINIML_CHECK_LEARN_GOLDEN(ns, model) \
  ::miniml::testing::check_learn_golden<ns::LearnGolden, ns::kTrainableCount>((model), ns::kLearnGoldenSteps)

// A test program's entry around `int run_all_tests()` (UNITY_BEGIN ... return UNITY_END()): setup()/loop() under
// an Arduino framework (real boards, Unity over Serial, 2 s for the monitor to attach), app_main() under ESP-IDF,
// main() on the bare-metal simulated boards and the host, whose exit status is the number of failed tests (QEMU
// semihosting and the native runner pass it on; simavr ends when main returns).
#if defined(ARDUINO)
#include <Arduino.h>
#define MINIML_TEST_MAIN(run_all_tests) \
  void setup() {                        \
    delay(2000);                        \
    (void)run_all_tests();              \
  }                                     \
  void loop() {}
#elif defined(ESP_PLATFORM)
#define MINIML_TEST_MAIN(run_all_tests) \
  extern "C" void app_main() { (void)run_all_tests(); }
#else
#define MINIML_TEST_MAIN(run_all_tests) \
  int main() { return run_all_tests(); }
#endif

#endif  // MINIML_TESTING_H_
