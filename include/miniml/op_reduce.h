// Reductions over any dims of an activation in RAM: float32 sum, mean, max, min (int8 ones in op_reduce_s8.h).
// The kept and the reduced dims are each up to 4 (strided loops, leading 1s); output is dense in the kept dims'
// order. Output must not alias input.
#ifndef MINIML_OP_REDUCE_H_
#define MINIML_OP_REDUCE_H_

#include <math.h>

#include "core_types.h"

namespace miniml {

struct ReduceParams {
  index_t out_shape[4];    // kept dims
  index_t out_strides[4];  // their input strides (floats)
  index_t red_shape[4];    // reduced dims
  index_t red_strides[4];
};

struct ReduceSum {
  float init() const { return 0.0f; }
  float step(float acc, float x) const { return acc + x; }
  float finish(float acc) const { return acc; }
};
// torch's mean: the sum divided by the count (a division, not a multiply by 1 / count).
struct ReduceMean {
  float count;
  explicit ReduceMean(float count_) : count(count_) {}
  float init() const { return 0.0f; }
  float step(float acc, float x) const { return acc + x; }
  float finish(float acc) const { return acc / count; }
};
struct ReduceMax {
  float init() const { return -INFINITY; }
  float step(float acc, float x) const { return x > acc ? x : acc; }
  float finish(float acc) const { return acc; }
};
struct ReduceMin {
  float init() const { return INFINITY; }
  float step(float acc, float x) const { return x < acc ? x : acc; }
  float finish(float acc) const { return acc; }
};

namespace detail {
// Op: init() -> the accumulator (its type: float, int8_t, int32_t), step(acc, x), finish(acc) -> T.
template <typename T, class Op>
inline void reduce(const T* input, T* output, const ReduceParams& p, Op op) {
  for (index_t a = 0; a < p.out_shape[0]; ++a)
    for (index_t b = 0; b < p.out_shape[1]; ++b)
      for (index_t c = 0; c < p.out_shape[2]; ++c)
        for (index_t d = 0; d < p.out_shape[3]; ++d) {
          const T* base = input + static_cast<uint32_t>(a) * p.out_strides[0] +
                          static_cast<uint32_t>(b) * p.out_strides[1] + static_cast<uint32_t>(c) * p.out_strides[2] +
                          static_cast<uint32_t>(d) * p.out_strides[3];
          auto acc = op.init();
          for (index_t e = 0; e < p.red_shape[0]; ++e)
            for (index_t f = 0; f < p.red_shape[1]; ++f)
              for (index_t g = 0; g < p.red_shape[2]; ++g) {
                const T* in = base + static_cast<uint32_t>(e) * p.red_strides[0] +
                              static_cast<uint32_t>(f) * p.red_strides[1] + static_cast<uint32_t>(g) * p.red_strides[2];
                for (index_t h = 0; h < p.red_shape[3]; ++h) {
                  acc = op.step(acc, *in);
                  in += p.red_strides[3];
                }
              }
          *output++ = op.finish(acc);
        }
}
}  // namespace detail

template <class Op>
inline void reduce_f32(const float* input, float* output, const ReduceParams& p, Op op) {
  detail::reduce(input, output, p, op);
}

}  // namespace miniml

#endif  // MINIML_OP_REDUCE_H_
