// Softmax and LogSoftmax over the last dimension, float32: input/output [rows][cols] in RAM; output may
// alias input (each row is read fully before it is overwritten with values that depend only on it).
#ifndef MINIML_OP_SOFTMAX_H_
#define MINIML_OP_SOFTMAX_H_

#include "core_math.h"
#include "core_types.h"

namespace miniml {

inline void softmax_f32(const float* input, float* output, index_t rows, index_t cols) {
  for (index_t r = 0; r < rows; ++r) {
    float mx = input[0];
    for (index_t i = 1; i < cols; ++i) mx = input[i] > mx ? input[i] : mx;  // subtract max: no overflow
    float sum = 0.0f;
    for (index_t i = 0; i < cols; ++i) {
      const float e = exp_f32(input[i] - mx);
      output[i] = e;
      sum += e;
    }
    for (index_t i = 0; i < cols; ++i) output[i] /= sum;
    input += cols;
    output += cols;
  }
}

inline void log_softmax_f32(const float* input, float* output, index_t rows, index_t cols) {
  for (index_t r = 0; r < rows; ++r) {
    float mx = input[0];
    for (index_t i = 1; i < cols; ++i) mx = input[i] > mx ? input[i] : mx;
    float sum = 0.0f;
    for (index_t i = 0; i < cols; ++i) sum += exp_f32(input[i] - mx);
    const float lse = log_f32(sum);
    for (index_t i = 0; i < cols; ++i) output[i] = input[i] - mx - lse;
    input += cols;
    output += cols;
  }
}

}  // namespace miniml

#endif  // MINIML_OP_SOFTMAX_H_
