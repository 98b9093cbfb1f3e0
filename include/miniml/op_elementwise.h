// Elementwise float32 kernels on flat activations in RAM (add, mul, copy, per-channel ops, concat).
// Unless said otherwise output may alias an input: element i is read before it is written.
#ifndef MINIML_OP_ELEMENTWISE_H_
#define MINIML_OP_ELEMENTWISE_H_

#include <string.h>

#include "core_rom.h"
#include "core_types.h"

namespace miniml {

// output[i] = input[i]; input and output must not overlap.
inline void copy_f32(const float* input, float* output, index_t size) {
  memcpy(output, input, static_cast<size_t>(size) * sizeof(float));
}

// output[i] = input[i] + other[i] (residual add).
inline void add_f32(const float* input, const float* other, float* output, index_t size) {
  for (index_t i = 0; i < size; ++i) output[i] = input[i] + other[i];
}

// output[i] = input[i] - other[i].
inline void sub_f32(const float* input, const float* other, float* output, index_t size) {
  for (index_t i = 0; i < size; ++i) output[i] = input[i] - other[i];
}

// output[i] = input[i] / other[i].
inline void div_f32(const float* input, const float* other, float* output, index_t size) {
  for (index_t i = 0; i < size; ++i) output[i] = input[i] / other[i];
}

// output[i] = input[i] * other[i].
inline void mul_f32(const float* input, const float* other, float* output, index_t size) {
  for (index_t i = 0; i < size; ++i) output[i] = input[i] * other[i];
}

// output[i] = min(input[i], other[i]) / max(...) (torch.minimum/maximum, clamp with tensor bounds).
// other: an activation (Mem = Ram, may alias output) or a constant in flash (Mem = Rom).
// int8 (minimum_s8/maximum_s8): input, other and output at one scale, so codes compare as values do.
namespace detail {
template <class Mem, typename T>
inline void minimum(const T* input, const T* other, T* output, index_t size) {
  for (index_t i = 0; i < size; ++i) {
    const T o = Mem::read(other + i);
    output[i] = o < input[i] ? o : input[i];
  }
}
template <class Mem, typename T>
inline void maximum(const T* input, const T* other, T* output, index_t size) {
  for (index_t i = 0; i < size; ++i) {
    const T o = Mem::read(other + i);
    output[i] = o > input[i] ? o : input[i];
  }
}
}  // namespace detail
template <class Mem>
inline void minimum_f32(const float* input, const float* other, float* output, index_t size) {
  detail::minimum<Mem>(input, other, output, size);
}
template <class Mem>
inline void maximum_f32(const float* input, const float* other, float* output, index_t size) {
  detail::maximum<Mem>(input, other, output, size);
}
template <class Mem>
inline void minimum_s8(const int8_t* input, const int8_t* other, int8_t* output, index_t size) {
  detail::minimum<Mem>(input, other, output, size);
}
template <class Mem>
inline void maximum_s8(const int8_t* input, const int8_t* other, int8_t* output, index_t size) {
  detail::maximum<Mem>(input, other, output, size);
}

// output[i] = input[i] + value (or * value): a Python scalar in the model.
inline void add_scalar_f32(const float* input, float value, float* output, index_t size) {
  for (index_t i = 0; i < size; ++i) output[i] = input[i] + value;
}
inline void mul_scalar_f32(const float* input, float value, float* output, index_t size) {
  for (index_t i = 0; i < size; ++i) output[i] = input[i] * value;
}

// A division, not a multiply by the reciprocal: rounds like torch's x / value.
inline void div_scalar_f32(const float* input, float value, float* output, index_t size) {
  for (index_t i = 0; i < size; ++i) output[i] = input[i] / value;
}

// Broadcast over the trailing dims: input [outer][inner], other [outer] (e.g. x * gate[C,1,1]).
inline void mul_channel_f32(const float* input, const float* other, float* output, index_t outer, index_t inner) {
  for (index_t c = 0; c < outer; ++c) {
    const float g = other[c];
    for (index_t i = 0; i < inner; ++i) output[i] = input[i] * g;
    input += inner;
    output += inner;
  }
}
inline void add_channel_f32(const float* input, const float* other, float* output, index_t outer, index_t inner) {
  for (index_t c = 0; c < outer; ++c) {
    const float g = other[c];
    for (index_t i = 0; i < inner; ++i) output[i] = input[i] + g;
    input += inner;
    output += inner;
  }
}

// Per-channel affine (a BatchNorm that could not be folded): output = input * scale[c] + shift[c].
// input/output [channels][inner]; scale, shift [channels] through Mem.
template <class Mem>
inline void channel_affine_f32(const float* input, const float* scale, const float* shift, float* output,
                               index_t channels, index_t inner) {
  for (index_t c = 0; c < channels; ++c) {
    const float s = Mem::read(scale + c);
    const float b = Mem::read(shift + c);
    for (index_t i = 0; i < inner; ++i) output[i] = input[i] * s + b;
    input += inner;
    output += inner;
  }
}

// PReLU with one slope per channel: output = input > 0 ? input : input * weight[c].
// input/output [channels][inner] (may alias); weight [channels] through Mem.
template <class Mem>
inline void prelu_f32(const float* input, const float* weight, float* output, index_t channels, index_t inner) {
  for (index_t c = 0; c < channels; ++c) {
    const float slope = Mem::read(weight + c);
    for (index_t i = 0; i < inner; ++i) output[i] = input[i] > 0.0f ? input[i] : input[i] * slope;
    input += inner;
    output += inner;
  }
}

// One part of a concatenation: input [outer][part] goes to output [outer][total] at column `offset`.
// Called once per concatenated tensor; input must not overlap output.
inline void concat_part_f32(const float* input, float* output, index_t outer, index_t part, index_t total,
                            index_t offset) {
  for (index_t o = 0; o < outer; ++o) {
    memcpy(output + static_cast<uint32_t>(o) * total + offset, input + static_cast<uint32_t>(o) * part,
           static_cast<size_t>(part) * sizeof(float));
  }
}

}  // namespace miniml

#endif  // MINIML_OP_ELEMENTWISE_H_
