// Shared by the firmware and its test: classify window i of samples.h (copied from flash to RAM first).
#ifndef VIBRATION_APP_H_
#define VIBRATION_APP_H_

#include <stdint.h>

#include "miniml/core_rom.h"
#include "samples.h"
#include "vibration.h"

static const char* const kClassNames[3] = {"normal", "imbalance", "bearing fault"};

template <class ModelT>
uint8_t classify_window(ModelT& model, uint8_t i) {
  float window[vibration::kInputSize];
  float scores[vibration::kOutputSize];
  miniml::rom_copy(window, kSampleWindows[i], sizeof(window));
  model.predict(window, scores);
  uint8_t best = 0;
  for (uint8_t k = 1; k < vibration::kOutputSize; ++k) {
    if (scores[k] > scores[best]) best = k;
  }
  return best;
}

#endif  // VIBRATION_APP_H_
