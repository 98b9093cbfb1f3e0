// Benchmark firmware for one exported model (scripts/bench.py): marks predict(), predict_int8(), learn() (right
// after predict() of the same input: it may reuse that forward pass) and learn_after_predict() (after an
// unmeasured predict() of the same input) as counter regions (scripts/counters/miniml_bench.h) in that order, and
// measures the peak stack by painting. Built with -DBENCH_HEADER="<name>.h" -DBENCH_NS=<name> [-DBENCH_INT8
// [-DBENCH_INT8_ONLY]] [-DBENCH_LEARN_MSE | -DBENCH_LEARN_CE [-DBENCH_FRESH]] [-DBENCH_STEP] (BENCH_FRESH: learn()
// on a fresh input, the predicted one rotated by one, in a second build so that the first keeps its size and stack;
// BENCH_INT8_ONLY: predict_int8() alone, no float buffers;
// BENCH_STEP, streaming: one step() after reset_state(), on the input's first time step, is the last region);
// bench_data.h (generated) holds the input (and target) in flash. Prints "bench: stack N out HEX" at the end.
#include <stdint.h>
#include <string.h>

#include "miniml/board_io.h"
#include "miniml_bench.h"
#include BENCH_HEADER
#include "bench_data.h"

MINIML_BENCH_STORAGE

#if defined(__AVR__)
#include <avr/io.h>
extern "C" char __heap_start;  // avr-libc: first byte after .bss/.noinit
#define BENCH_STACK_TOP (static_cast<uintptr_t>(RAMEND) + 1u)
#else
extern "C" char __heap_start;  // picolibc: first byte after .bss
extern "C" char __stack;       // picolibc: initial stack pointer (top of RAM)
#define BENCH_STACK_TOP (reinterpret_cast<uintptr_t>(&__stack))
#endif

static const uint8_t kPaint = 0xA5;

static BENCH_NS::Model model;
#if !defined(BENCH_INT8_ONLY)
static float input[BENCH_NS::kInputSize];
static float output[BENCH_NS::kOutputSize];
#endif
#if defined(BENCH_INT8)
static int8_t input_s8[BENCH_NS::kInputSize];
static int8_t output_s8[BENCH_NS::kOutputSize];
#endif
#if defined(BENCH_LEARN_MSE)
static float target[BENCH_NS::kOutputSize];
#endif
#if defined(BENCH_STEP)
static float step_output[BENCH_NS::kStepOutputSize];
#endif

// The stack pointer: every byte below it is free (no interrupts run in the benchmark).
static inline uintptr_t stack_pointer() {
  uintptr_t sp;
#if defined(__AVR__)
  sp = SP;
#elif defined(__riscv)
  __asm__ volatile("mv %0, sp" : "=r"(sp));
#elif defined(__arm__)
  __asm__ volatile("mov %0, sp" : "=r"(sp));
#else
#error "bench_main.cpp: no stack pointer read for this core"
#endif
  return sp;
}

// Fills the free RAM between the end of .bss and this function's stack pointer with kPaint: the stack
// counted is exactly what the run used (this call's frame included), with no margin that would hide it.
__attribute__((noinline)) static void paint_stack() {
  const uintptr_t end = stack_pointer();
  for (uintptr_t a = reinterpret_cast<uintptr_t>(&__heap_start); a < end; ++a) {
    *reinterpret_cast<volatile uint8_t*>(a) = kPaint;
  }
}

// Bytes of stack ever used: from the top of RAM down to the lowest byte no longer holding kPaint.
__attribute__((noinline)) static uint32_t stack_used() {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(&__heap_start);
  while (*p == kPaint) ++p;
  return static_cast<uint32_t>(BENCH_STACK_TOP - reinterpret_cast<uintptr_t>(p));
}

int main() {
  paint_stack();
#if !defined(BENCH_INT8_ONLY)
  miniml::rom_copy(input, kBenchInput, sizeof(input));
  miniml_bench_begin();
  model.predict(input, output);
  miniml_bench_end();
#endif
#if defined(BENCH_INT8)
  miniml::rom_copy(input_s8, kBenchInputS8, sizeof(input_s8));
  miniml_bench_begin();
  model.predict_int8(input_s8, output_s8);
  miniml_bench_end();
#endif
#if defined(BENCH_FRESH)
  const float first = input[0];
  for (miniml::index_t i = 1; i < BENCH_NS::kInputSize; ++i) input[i - 1] = input[i];
  input[BENCH_NS::kInputSize - 1] = first;
#endif
#if defined(BENCH_LEARN_MSE)
  miniml::rom_copy(target, kBenchTarget, sizeof(target));
  miniml_bench_begin();
  const float loss = model.learn(input, target);
  miniml_bench_end();
#elif defined(BENCH_LEARN_CE)
  miniml_bench_begin();
  const float loss = model.learn(input, kBenchLabel);
  miniml_bench_end();
#else
  const float loss = 0.0f;
#endif
#if defined(BENCH_LEARN_MSE) || defined(BENCH_LEARN_CE)
  model.predict(input, output);
  miniml_bench_begin();
#if defined(BENCH_LEARN_MSE)
  const float loss_after = model.learn_after_predict(target);
#else
  const float loss_after = model.learn_after_predict(kBenchLabel);
#endif
  miniml_bench_end();
#else
  const float loss_after = 0.0f;
#endif
#if defined(BENCH_STEP)
  model.reset_state();
  miniml_bench_begin();
  model.step(input, step_output);
  miniml_bench_end();
  memcpy(output, step_output, sizeof(step_output) < sizeof(output) ? sizeof(step_output) : sizeof(output));
#endif
  const uint32_t used = stack_used();
  // A checksum of the outputs and the loss, so two runs (and two targets) can be compared.
  uint32_t sum = 2166136261u;
#if defined(BENCH_INT8_ONLY)
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(output_s8);
  const uint32_t out_bytes = sizeof(output_s8);
#else
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(output);
  const uint32_t out_bytes = sizeof(output);
#endif
  for (uint32_t i = 0; i < out_bytes; ++i) sum = (sum ^ bytes[i]) * 16777619u;
  bytes = reinterpret_cast<const uint8_t*>(&loss);
  for (uint32_t i = 0; i < sizeof(loss); ++i) sum = (sum ^ bytes[i]) * 16777619u;
  bytes = reinterpret_cast<const uint8_t*>(&loss_after);
  for (uint32_t i = 0; i < sizeof(loss_after); ++i) sum = (sum ^ bytes[i]) * 16777619u;
  miniml::io::begin();  // after the measured regions and the stack count
  miniml::io::print("bench: stack ");
  miniml::io::print_uint(used);
  miniml::io::print(" sum ");
  miniml::io::print_uint(sum);
  miniml::io::put('\n');
  return 0;
}
