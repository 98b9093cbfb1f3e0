// Vibration monitoring with a random forest (model.py -> forest.skops, exported by the build hook): the board
// computes 9 statistical features of each 64-sample window (include/vibration_features.h) and the forest
// classifies them as normal / imbalance / bearing fault.
#include "forest.h"
#include "forest_app.h"
#include "miniml/board_io.h"

static forest::Model model;

static void run() {
  miniml::io::begin();
  miniml::io::print("miniml vibration forest: 9 features -> RandomForest, sizeof(Model) = ");
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
