// Shared by the firmware and its test: classify sample i of samples.h with the int8 model, end to end in int8
// (pixels quantised with the header's input scale and zero point, argmax taken on the int8 scores).
#ifndef DIGITS_APP_H_
#define DIGITS_APP_H_

#include <stdint.h>

#include "digits.h"
#include "miniml/core_rom.h"
#include "samples.h"

template <class ModelT>
uint8_t classify_sample(ModelT& model, uint8_t i) {
  int8_t input[digits::kInputSize];
  int8_t scores[digits::kOutputSize];
  for (uint8_t p = 0; p < 64; ++p) {
    const float pixel = static_cast<float>(miniml::rom_read(&kSamplePixels[i][p])) / 16.0f;  // [0, 1]
    int32_t q = static_cast<int32_t>(pixel / digits::kInputScale + 0.5f) + digits::kInputZeroPoint;
    input[p] = static_cast<int8_t>(q < -128 ? -128 : (q > 127 ? 127 : q));
  }
  model.predict_int8(input, scores);
  uint8_t best = 0;
  for (uint8_t k = 1; k < digits::kOutputSize; ++k) {
    if (scores[k] > scores[best]) best = k;
  }
  return best;
}

#endif  // DIGITS_APP_H_
