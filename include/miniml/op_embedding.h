// Index layers on an int32 index input: Embedding (rows of a float32 or int8 table) and one_hot, float32 or
// int8 output in RAM. An index outside the table gives a zero row (no out-of-bounds read).
#ifndef MINIML_OP_EMBEDDING_H_
#define MINIML_OP_EMBEDDING_H_

#include <string.h>

#include "core_rom.h"
#include "core_types.h"

namespace miniml {

// indices: [count] int32 (the caller's buffer); weight: [num_embeddings][embedding_dim] through Mem;
// output: [count][embedding_dim].
template <class Mem>
inline void embedding_f32(const int32_t* indices, const float* weight, float* output, index_t count,
                          index_t num_embeddings, index_t embedding_dim) {
  for (index_t i = 0; i < count; ++i) {
    const int32_t row = indices[i];
    if (row >= 0 && row < static_cast<int32_t>(num_embeddings)) {
      const float* w = weight + static_cast<uint32_t>(row) * embedding_dim;
      for (index_t d = 0; d < embedding_dim; ++d) output[d] = Mem::read(w + d);
    } else {
      memset(output, 0, static_cast<size_t>(embedding_dim) * sizeof(float));
    }
    output += embedding_dim;
  }
}

// output[i][c] = indices[i] == c ? 1 : 0; output [count][num_classes].
inline void one_hot_f32(const int32_t* indices, float* output, index_t count, index_t num_classes) {
  for (index_t i = 0; i < count; ++i) {
    for (index_t c = 0; c < num_classes; ++c) {
      output[c] = indices[i] == static_cast<int32_t>(c) ? 1.0f : 0.0f;
    }
    output += num_classes;
  }
}

// int8 (TFLM GATHER): rows of an int8 table copied, the output at the table's scale and zero point; a zero
// row is the zero point. weight: [num_embeddings][embedding_dim] int8 through Mem.
template <class Mem>
inline void embedding_s8(const int32_t* indices, const int8_t* weight, int8_t* output, index_t count,
                         index_t num_embeddings, index_t embedding_dim, int8_t zero_point) {
  for (index_t i = 0; i < count; ++i) {
    const int32_t row = indices[i];
    const bool inside = row >= 0 && row < static_cast<int32_t>(num_embeddings);
    const int8_t* w = weight + (inside ? static_cast<uint32_t>(row) * embedding_dim : 0u);
    for (index_t d = 0; d < embedding_dim; ++d) output[d] = inside ? Mem::read(w + d) : zero_point;
    output += embedding_dim;
  }
}

// int8 one_hot: the codes of 1 and 0 at the output's parameters.
inline void one_hot_s8(const int32_t* indices, int8_t* output, index_t count, index_t num_classes, int8_t on,
                       int8_t off) {
  for (index_t i = 0; i < count; ++i) {
    for (index_t c = 0; c < num_classes; ++c) output[c] = indices[i] == static_cast<int32_t>(c) ? on : off;
    output += num_classes;
  }
}

}  // namespace miniml

#endif  // MINIML_OP_EMBEDDING_H_
