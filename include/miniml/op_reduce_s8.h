// int8 reductions over any dims (the strided loops of op_reduce.h): max and min at the input's scale (TFLM
// REDUCE_MAX / REDUCE_MIN), sum and mean as TFLM's int8 SUM / MEAN (an int32 sum of the codes, requantised once).
// Input and output int8 in RAM, no alias.
#ifndef MINIML_OP_REDUCE_S8_H_
#define MINIML_OP_REDUCE_S8_H_

#include <stdint.h>

#include "core_fixedpoint.h"
#include "core_types.h"
#include "op_reduce.h"

namespace miniml {

// Codes order as the values do, so max/min keep the input's scale and zero point.
struct ReduceMaxS8 {
  int8_t init() const { return -128; }
  int8_t step(int8_t acc, int8_t x) const { return x > acc ? x : acc; }
  int8_t finish(int8_t acc) const { return acc; }
};
struct ReduceMinS8 {
  int8_t init() const { return 127; }
  int8_t step(int8_t acc, int8_t x) const { return x < acc ? x : acc; }
  int8_t finish(int8_t acc) const { return acc; }
};

// TFLM QuantizedMeanOrSum: (sum of codes - input_zero_point * count) requantised. For a mean the exporter
// has already folded 1 / count into multiplier / shift the way TFLM does at run time (reduce.py).
// zero_sum = input_zero_point * count (|sum| <= 128 * count: int32 for any tensor that fits in RAM).
struct ReduceSumS8 {
  int32_t zero_sum;
  int32_t multiplier;
  int8_t shift;
  int32_t output_zero_point;
  ReduceSumS8(int32_t zero_sum_, int32_t multiplier_, int8_t shift_, int32_t output_zero_point_)
      : zero_sum(zero_sum_), multiplier(multiplier_), shift(shift_), output_zero_point(output_zero_point_) {}
  int32_t init() const { return 0; }
  int32_t step(int32_t acc, int8_t x) const { return acc + x; }
  int8_t finish(int32_t acc) const {
    return requantize_s8(acc - zero_sum, multiplier, shift, output_zero_point, kInt8Min, kInt8Max);
  }
};

template <class Op>
inline void reduce_s8(const int8_t* input, int8_t* output, const ReduceParams& p, Op op) {
  detail::reduce(input, output, p, op);
}

}  // namespace miniml

#endif  // MINIML_OP_REDUCE_S8_H_
