// Shared by the firmware and its test: stream window i of samples.h through the GRU one IMU sample at a
// time (Model::step, after reset_state), as a board reading its accelerometer would.
#ifndef GESTURE_APP_H_
#define GESTURE_APP_H_

#include <stdint.h>

#include "gesture.h"
#include "miniml/core_rom.h"
#include "samples.h"

static const char* const kClassNames[3] = {"rest", "shake", "circle"};

inline uint8_t best_class(const float* scores) {
  uint8_t best = 0;
  for (uint8_t k = 1; k < gesture::kStepOutputSize; ++k) {
    if (scores[k] > scores[best]) best = k;
  }
  return best;
}

// scores: kStepOutputSize floats, the answer after the window's last sample.
template <class ModelT>
uint8_t classify_stream(ModelT& model, uint8_t i, float* scores) {
  float sample[gesture::kStepInputSize];
  model.reset_state();
  for (miniml::index_t t = 0; t < gesture::kInputSize / gesture::kStepInputSize; ++t) {
    miniml::rom_copy(sample, &kSampleWindows[i][t * gesture::kStepInputSize], sizeof(sample));
    model.step(sample, scores);
  }
  return best_class(scores);
}

#endif  // GESTURE_APP_H_
