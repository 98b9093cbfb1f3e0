// Vibration monitoring: the 1-D residual CNN of model.py (vibration.pt2) classifies 64-sample accelerometer
// windows as normal / imbalance / bearing fault. Float on 32-bit boards; int8 on the Uno (see platformio.ini).
#include "console.h"
#include "vibration.h"
#include "vibration_app.h"

static vibration::Model model;

static void run() {
  console_begin();
  console_print("miniml vibration: 1-D residual CNN, sizeof(Model) = ");
  console_int(static_cast<int32_t>(sizeof(model)));
  console_print(" B\n");
  for (uint8_t i = 0; i < kSampleCount; ++i) {
    const uint8_t label = miniml::rom_read(&kSampleLabels[i]);
    const uint8_t got = classify_window(model, i);
    console_print("window ");
    console_int(i);
    console_print(": ");
    console_print(kClassNames[got]);
    console_print(got == label ? "\n" : "  (expected ");
    if (got != label) {
      console_print(kClassNames[label]);
      console_print(")\n");
    }
  }
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
