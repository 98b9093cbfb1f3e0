// The entry point every embedded suite shares: setup()/loop() under an Arduino framework (real boards, real
// Unity over Serial), main() on the bare-metal simulated boards and the host, whose exit status is the number
// of failed tests (QEMU semihosting and the native runner pass it on; simavr ends when main returns).
#ifndef MINIML_TEST_MAIN_H_
#define MINIML_TEST_MAIN_H_

#include <unity.h>

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

#endif  // MINIML_TEST_MAIN_H_
