// A hand-written stand-in for an exported header (design.md "Generated header contract", golden=2): y = W x + b
// with W = [[1, 2, 3], [-1, 0.5, 0]], b = [0.25, -4]. `offset` lets a test make the model deliberately wrong.
#ifndef TINY_MODEL_H_
#define TINY_MODEL_H_

#include "miniml/core_rom.h"
#include "miniml/core_types.h"

namespace tiny {

constexpr miniml::index_t kInputSize = 3;
constexpr miniml::index_t kOutputSize = 2;

class Model {
 public:
  float offset = 0.0f;
  void predict(const float* input, float* output) {
    output[0] = input[0] + 2.0f * input[1] + 3.0f * input[2] + 0.25f + offset;
    output[1] = -input[0] + 0.5f * input[1] - 4.0f + offset;
  }
};

constexpr miniml::index_t kGoldenCount = 2;

template <typename Unused = void>
struct GoldenData {
  static constexpr miniml::index_t kInputFloats = kInputSize;
  static constexpr miniml::index_t kOutputFloats = kOutputSize;
  static const float kInputs[kGoldenCount * kInputSize];
  static const float kOutputs[kGoldenCount * kOutputSize];
  static constexpr float kTolerance = 1e-5f;
  static void run(Model& model, const float* input, float* output) { model.predict(input, output); }
};
template <typename Unused>
const float GoldenData<Unused>::kInputs[kGoldenCount * kInputSize] MINIML_ROM = {1.0f, 2.0f, 3.0f, -0.5f, 0.0f, 8.0f};
template <typename Unused>
const float GoldenData<Unused>::kOutputs[kGoldenCount * kOutputSize] MINIML_ROM = {14.25f, -4.0f, 23.75f, -3.5f};
typedef GoldenData<> Golden;

}  // namespace tiny

#endif  // TINY_MODEL_H_
