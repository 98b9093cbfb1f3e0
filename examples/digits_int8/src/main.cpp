// Handwritten digits on an Arduino Uno: the CNN of model.py (digits.pt2), exported as int8 at build time
// (custom_miniml_quantize = int8 with calibration.npy), classifies the test digits of samples.h.
#include "digits.h"
#include "digits_app.h"
#include "miniml/board_io.h"

static digits::Model model;

static void run() {
  miniml::io::begin();
  miniml::io::print("miniml digits: int8 CNN, sizeof(Model) = ");
  miniml::io::print_int(static_cast<int32_t>(sizeof(model)));
  miniml::io::print(" B\n");
  uint8_t correct = 0;
  for (uint8_t i = 0; i < kSampleCount; ++i) {
    const uint8_t label = miniml::rom_read(&kSampleLabels[i]);
    const uint8_t got = classify_sample(model, i);
    correct = static_cast<uint8_t>(correct + (got == label ? 1 : 0));
    miniml::io::print("digit ");
    miniml::io::print_int(label);
    miniml::io::print(" -> ");
    miniml::io::print_int(got);
    miniml::io::print(got == label ? "\n" : "  (wrong)\n");
  }
  miniml::io::print_int(correct);
  miniml::io::print(" of ");
  miniml::io::print_int(kSampleCount);
  miniml::io::print(" correct\n");
}

MINIML_MAIN(run)
