// linear_s8_ref: the readable reference for linear_s8 (one plain multiply-accumulate loop per output), kept
// beside the optimised kernel so tests hold its dot loops (SMLAD, AVR asm, unrolled) equal to it, bit for
// bit. Same arguments and layouts as linear_s8 (op_linear_s8.h); never used by generated code.
#ifndef MINIML_OP_LINEAR_S8_REF_H_
#define MINIML_OP_LINEAR_S8_REF_H_

#include <stdint.h>

#include "core_fixedpoint.h"
#include "core_rom.h"
#include "core_types.h"

namespace miniml {

template <class Mem>
inline void linear_s8_ref(const int8_t* input, const int8_t* weight, const int32_t* bias, const int32_t* multiplier,
                          const int8_t* shift, int32_t output_zero_point, int32_t act_min, int32_t act_max,
                          index_t in_features, index_t out_features, int8_t* output) {
  for (index_t o = 0; o < out_features; ++o) {
    int32_t acc = Mem::read(bias + o);
    for (index_t i = 0; i < in_features; ++i) {
      acc += static_cast<int32_t>(input[i]) * Mem::read(weight + o * in_features + i);
    }
    output[o] =
        requantize_s8(acc, Mem::read(multiplier + o), Mem::read(shift + o), output_zero_point, act_min, act_max);
  }
}

}  // namespace miniml

#endif  // MINIML_OP_LINEAR_S8_REF_H_
