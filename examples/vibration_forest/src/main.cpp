// Vibration monitoring with a random forest (model.py -> forest.skops, exported by the build hook): the board
// computes 9 statistical features of each 64-sample window (include/vibration_features.h) and the forest
// classifies them as normal / imbalance / bearing fault.
#include "console.h"
#include "forest.h"
#include "forest_app.h"

static forest::Model model;

static void run() {
  console_begin();
  console_print("miniml vibration forest: 9 features -> RandomForest, sizeof(Model) = ");
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
