// Sliding windows over a sample stream, exactly as `miniml dataset` cuts them for training
// (platformio_plugin/miniml/sensor/window.py): window k holds samples [k * kHop, k * kHop + kLength); the
// first is complete after kLength samples, then one more after every kHop samples (kHop > kLength skips the
// samples between windows). A window is copied out time-major ([kLength][kChannels], oldest sample first,
// the order of a capture's rows) or channels-first ([kChannels][kLength], a Conv1d's input).
// All state is in the object (a ring of kLength samples, static RAM): sizeof(Window) is the RAM it needs.
#ifndef MINIML_WINDOW_H_
#define MINIML_WINDOW_H_

#include <string.h>

#include "core_types.h"

namespace miniml {

template <typename T, index_t kLength, index_t kHop, index_t kChannels = 1>
class Window {
 public:
  static_assert(kLength > 0 && kHop > 0 && kChannels > 0, "window length, hop and channels must be >= 1");
  static_assert(kLength <= static_cast<index_t>(-1) / kChannels, "window too large for index_t");
  static const index_t kSize = kLength * kChannels;  // values in one window

  Window() { reset(); }

  // Forgets every sample: the next window is complete after kLength new ones.
  void reset() {
    head_ = 0;
    due_ = kLength;
  }

  // Adds one sample (kChannels values); true when it completes a window, which copy() then returns.
  bool push(const T* sample) {
    memcpy(ring_ + static_cast<index_t>(head_ * kChannels), sample, kChannels * sizeof(T));
    head_ = head_ + 1 == kLength ? 0 : static_cast<index_t>(head_ + 1);
    if (--due_ != 0) return false;
    due_ = kHop;
    return true;
  }

  // The last kLength samples, oldest first: out[t * kChannels + c]. Valid after push() returned true.
  void copy(T* out) const {
    const index_t older = static_cast<index_t>((kLength - head_) * kChannels);  // from head_ to the end
    memcpy(out, ring_ + static_cast<index_t>(head_ * kChannels), older * sizeof(T));
    memcpy(out + older, ring_, static_cast<index_t>(head_ * kChannels) * sizeof(T));
  }

  // The same window channels-first: out[c * kLength + t].
  void copy_channels_first(T* out) const {
    index_t slot = head_;
    for (index_t t = 0; t < kLength; ++t) {
      for (index_t c = 0; c < kChannels; ++c) out[c * kLength + t] = ring_[slot * kChannels + c];
      slot = slot + 1 == kLength ? 0 : static_cast<index_t>(slot + 1);
    }
  }

 private:
  T ring_[kSize];
  index_t head_;  // the slot the next sample goes to: the oldest sample once the ring is full
  index_t due_;   // samples still to push before the next window is complete
};

template <typename T, index_t kLength, index_t kHop, index_t kChannels>
const index_t Window<T, kLength, kHop, kChannels>::kSize;  // its definition, for a use by reference

}  // namespace miniml

#endif  // MINIML_WINDOW_H_
