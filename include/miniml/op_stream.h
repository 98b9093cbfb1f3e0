// Streaming kernels: one time step of a causal Conv1d from a ring buffer of its receptive field. The
// sums run in conv1d_f32's order (bias, then input channel, then tap), so a streamed column equals the
// whole-sequence column bit for bit.
#ifndef MINIML_OP_STREAM_H_
#define MINIML_OP_STREAM_H_

#include "core_rom.h"
#include "core_types.h"
#include "op_activation.h"

namespace miniml {

struct ConvStepParams {
  index_t in_channels, out_channels, kernel_size, dilation, groups;
  bool skip_history;  // predict() skipped taps left of the sequence (Conv1d padding), not read zeros
};

// The ring buffer of one causal Conv1d: history [in_channels][(kernel_size-1)*dilation] past columns,
// pos the slot of the oldest column, seen the columns pushed since reset (capped at the history length).
struct ConvRing {
  float* history;
  int32_t* pos_seen;  // [2]
};

// x_t: [in_channels] this step's column; output: [out_channels]; weight [out][in/groups][kernel] and
// bias [out] (or nullptr) through Mem. Pushes x_t into the ring after computing.
template <class Mem, class Act>
inline void conv1d_step_f32(const float* x_t, ConvRing ring, const float* weight, const float* bias, float* output,
                            const ConvStepParams& p, Act act) {
  const index_t span = static_cast<index_t>((p.kernel_size - 1) * p.dilation);
  const index_t in_per_group = p.in_channels / p.groups;
  const index_t out_per_group = p.out_channels / p.groups;
  const index_t pos = span ? static_cast<index_t>(ring.pos_seen[0]) : 0;  // no ring when kernel 1
  const index_t seen = span ? static_cast<index_t>(ring.pos_seen[1]) : 0;
  // tap k reads the column (kernel_size-1-k)*dilation steps back; with skip_history, only seen ones
  index_t k_lo = 0;
  if (p.skip_history && seen < span) k_lo = static_cast<index_t>((span - seen + p.dilation - 1) / p.dilation);
  for (index_t oc = 0; oc < p.out_channels; ++oc) {
    const index_t g = oc / out_per_group;
    const float* w_oc = weight + static_cast<uint32_t>(oc) * in_per_group * p.kernel_size;
    float acc = bias ? Mem::read(bias + oc) : 0.0f;
    for (index_t i = 0; i < in_per_group; ++i) {
      const index_t ic = static_cast<index_t>(g * in_per_group + i);
      const float* hist = ring.history + static_cast<uint32_t>(ic) * span;
      const float* w = w_oc + static_cast<uint32_t>(i) * p.kernel_size;
      for (index_t k = k_lo; k < p.kernel_size; ++k) {
        const index_t back = static_cast<index_t>((p.kernel_size - 1 - k) * p.dilation);
        // the oldest slot is `pos`; `back` steps before now is slot pos + span - back
        const float v = back == 0 ? x_t[ic] : hist[(pos + span - back) % span];
        acc += v * Mem::read(w + k);
      }
    }
    output[oc] = act(acc);
  }
  if (span == 0) return;
  for (index_t ic = 0; ic < p.in_channels; ++ic) ring.history[static_cast<uint32_t>(ic) * span + pos] = x_t[ic];
  ring.pos_seen[0] = static_cast<int32_t>((pos + 1) % span);
  if (seen < span) ring.pos_seen[1] = static_cast<int32_t>(seen + 1);
}

}  // namespace miniml

#endif  // MINIML_OP_STREAM_H_
