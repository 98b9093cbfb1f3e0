// Statistical features of one vibration window, computed on the board for the forest of model.py (which
// computes the same features with numpy, `features()`; test/python/classic/test_vibration_features.py
// checks this header against it): mean, RMS, peak |x|, kurtosis (m4 / m2^2), crest factor (peak / RMS) and
// the spectral energy sum |X_k|^2 / N^2 of four DFT bands (bins 1-4, 5-8, 9-16, 17-32). The DFT reads
// cos(2 pi m / 64) from a table in flash, so it costs no sinf/cosf call.
#ifndef VIBRATION_FEATURES_H_
#define VIBRATION_FEATURES_H_

#include <math.h>
#include <stdint.h>

#include "miniml/core_rom.h"

namespace vibration_features {

constexpr uint8_t kWindow = 64;  // samples per window (the DFT table's period)
constexpr uint8_t kCount = 9;    // features per window
static const uint8_t kBandLow[4] = {1, 5, 9, 17};
static const uint8_t kBandHigh[4] = {4, 8, 16, 32};

template <typename Unused = void>
struct TableData {
  static const float kCos[kWindow];  // cos(2 pi m / 64), m = 0..63
};
template <typename Unused>
const float TableData<Unused>::kCos[kWindow] MINIML_ROM = {
    1.0f,          0.995184727f,  0.98078528f,   0.956940336f,   0.923879533f,  0.881921264f,   0.831469612f,
    0.773010453f,  0.707106781f,  0.634393284f,  0.555570233f,   0.471396737f,  0.382683432f,   0.290284677f,
    0.195090322f,  0.0980171403f, 0.0f,          -0.0980171403f, -0.195090322f, -0.290284677f,  -0.382683432f,
    -0.471396737f, -0.555570233f, -0.634393284f, -0.707106781f,  -0.773010453f, -0.831469612f,  -0.881921264f,
    -0.923879533f, -0.956940336f, -0.98078528f,  -0.995184727f,  -1.0f,         -0.995184727f,  -0.98078528f,
    -0.956940336f, -0.923879533f, -0.881921264f, -0.831469612f,  -0.773010453f, -0.707106781f,  -0.634393284f,
    -0.555570233f, -0.471396737f, -0.382683432f, -0.290284677f,  -0.195090322f, -0.0980171403f, 0.0f,
    0.0980171403f, 0.195090322f,  0.290284677f,  0.382683432f,   0.471396737f,  0.555570233f,   0.634393284f,
    0.707106781f,  0.773010453f,  0.831469612f,  0.881921264f,   0.923879533f,  0.956940336f,   0.98078528f,
    0.995184727f};
typedef TableData<> Table;

// window: kWindow samples in RAM; features: kCount floats in RAM, in the order above.
inline void compute(const float* window, float* features) {
  const float n = static_cast<float>(kWindow);
  float sum = 0.0f, sum_sq = 0.0f, peak = 0.0f;
  for (uint8_t i = 0; i < kWindow; ++i) {
    const float x = window[i];
    const float a = x < 0.0f ? -x : x;
    sum += x;
    sum_sq += x * x;
    if (a > peak) peak = a;
  }
  const float mean = sum / n;
  const float rms = static_cast<float>(sqrtf(sum_sq / n));  // avr-libc: sqrtf is sqrt, typed double (32-bit)
  float m2 = 0.0f, m4 = 0.0f;
  for (uint8_t i = 0; i < kWindow; ++i) {
    const float d = window[i] - mean;
    m2 += d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m4 /= n;
  features[0] = mean;
  features[1] = rms;
  features[2] = peak;
  features[3] = m2 > 0.0f ? m4 / (m2 * m2) : 0.0f;
  features[4] = rms > 0.0f ? peak / rms : 0.0f;
  for (uint8_t b = 0; b < 4; ++b) {
    float energy = 0.0f;
    for (uint8_t k = kBandLow[b]; k <= kBandHigh[b]; ++k) {
      float re = 0.0f, im = 0.0f;
      for (uint8_t i = 0; i < kWindow; ++i) {
        const uint8_t m = static_cast<uint8_t>((k * i) & (kWindow - 1));
        re += window[i] * miniml::rom_read(&Table::kCos[m]);
        im -= window[i] * miniml::rom_read(&Table::kCos[(m + 48) & (kWindow - 1)]);  // sin = cos(. - pi/2)
      }
      energy += re * re + im * im;
    }
    features[5 + b] = energy / (n * n);
  }
}

}  // namespace vibration_features

#endif  // VIBRATION_FEATURES_H_
