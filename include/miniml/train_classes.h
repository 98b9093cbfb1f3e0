// Spare classes of a cross-entropy classifier (export option spare_classes=N): output rows [active, size) are
// reserved for classes added on the device (Model::add_class()). Until then they are masked: predict() writes
// them as the lowest float, so no argmax picks them and a softmax gives them 0, and the loss and its gradient
// are taken over the active rows only (gradient 0 for the rest), as torch's cross_entropy on logits masked
// with -inf. The lowest float rather than -Inf keeps every output finite (checks, golden vectors).
#ifndef MINIML_TRAIN_CLASSES_H_
#define MINIML_TRAIN_CLASSES_H_

#include <stdint.h>

#include "core_types.h"
#include "train_loss.h"

namespace miniml {

// -FLT_MAX without <float.h>.
inline float lowest_f32() { return -3.40282347e38f; }

// logits[k] = lowest for active <= k < size (RAM).
inline void mask_classes_f32(float* logits, index_t active, index_t size) {
  for (index_t k = active; k < size; ++k) logits[k] = lowest_f32();
}

// cross_entropy_f32 over the first `active` of `size` logits (label < active, checked by the caller); the
// gradient of the masked rows is 0. grad_output may alias logits.
inline float masked_cross_entropy_f32(const float* logits, uint16_t label, index_t active, index_t size,
                                      float* grad_output) {
  const float loss = cross_entropy_f32(logits, label, active, grad_output);
  for (index_t k = active; k < size; ++k) grad_output[k] = 0.0f;
  return loss;
}

}  // namespace miniml

#endif  // MINIML_TRAIN_CLASSES_H_
