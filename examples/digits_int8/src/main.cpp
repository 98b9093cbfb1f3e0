// Handwritten digits on an Arduino Uno: the CNN of model.py (digits.pt2), exported as int8 at build time
// (custom_miniml_quantize = int8 with calibration.npy), classifies the test digits of samples.h.
#include "console.h"
#include "digits.h"
#include "digits_app.h"

static digits::Model model;

static void run() {
  console_begin();
  console_print("miniml digits: int8 CNN, sizeof(Model) = ");
  console_int(static_cast<int32_t>(sizeof(model)));
  console_print(" B\n");
  uint8_t correct = 0;
  for (uint8_t i = 0; i < kSampleCount; ++i) {
    const uint8_t label = miniml::rom_read(&kSampleLabels[i]);
    const uint8_t got = classify_sample(model, i);
    correct = static_cast<uint8_t>(correct + (got == label ? 1 : 0));
    console_print("digit ");
    console_int(label);
    console_print(" -> ");
    console_int(got);
    console_print(got == label ? "\n" : "  (wrong)\n");
  }
  console_int(correct);
  console_print(" of ");
  console_int(kSampleCount);
  console_print(" correct\n");
}

#if defined(ARDUINO)
void setup() { run(); }
void loop() {}
#else
int main() {
  run();
  return 0;
}
#endif
