// Vibration monitoring: the 1-D residual CNN of model.py (vibration.pt2) classifies 64-sample accelerometer
// windows as normal / imbalance / bearing fault. Float on 32-bit boards; int8 on the Uno (see platformio.ini).
#include "miniml/board_io.h"
#include "vibration.h"
#include "vibration_app.h"

static vibration::Model model;

static void run() {
  miniml::io::begin();
  miniml::io::print("miniml vibration: 1-D residual CNN, sizeof(Model) = ");
  miniml::io::print_int(static_cast<int32_t>(sizeof(model)));
  miniml::io::print(" B\n");
  for (uint8_t i = 0; i < kSampleCount; ++i) {
    const uint8_t label = miniml::rom_read(&kSampleLabels[i]);
    const uint8_t got = classify_window(model, i);
    miniml::io::print("window ");
    miniml::io::print_int(i);
    miniml::io::print(": ");
    miniml::io::print(kClassNames[got]);
    miniml::io::print(got == label ? "\n" : "  (expected ");
    if (got != label) {
      miniml::io::print(kClassNames[label]);
      miniml::io::print(")\n");
    }
  }
}

MINIML_MAIN(run)
