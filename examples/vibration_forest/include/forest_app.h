// Shared by the firmware and its test: features of window i of samples.h (copied from flash to RAM), then the
// forest's class.
#ifndef FOREST_APP_H_
#define FOREST_APP_H_

#include <stdint.h>

#include "forest.h"
#include "miniml/core_rom.h"
#include "samples.h"
#include "vibration_features.h"

static const char* const kClassNames[3] = {"normal", "imbalance", "bearing fault"};

static_assert(forest::kInputSize == vibration_features::kCount, "the forest takes the 9 window features");

template <class ModelT>
uint8_t classify_window(ModelT& model, uint8_t i) {
  float window[vibration_features::kWindow];
  float features[vibration_features::kCount];
  miniml::rom_copy(window, kSampleWindows[i], sizeof(window));
  vibration_features::compute(window, features);
  return static_cast<uint8_t>(model.predict_class(features));
}

#endif  // FOREST_APP_H_
