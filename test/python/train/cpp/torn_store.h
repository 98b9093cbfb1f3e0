// A RamStore that loses power after a byte budget (each byte lands or not, in order, like EEPROM byte
// writes; later writes are dropped and the call reports success, as a board about to lose power would not
// know), and counts the writes that reach each cell (store wear). Shared by the store tests.
#ifndef TORN_STORE_H_
#define TORN_STORE_H_

#include <string.h>

#include "miniml/store_ram.h"

class TornStore {
 public:
  static const uint32_t kMaxCells = 4096;
  TornStore(uint8_t* bytes, uint32_t size) : ram_(bytes, size), budget_(-1), written_(0) {
    memset(writes_, 0, sizeof(writes_));
  }
  void set_budget(long budget) { budget_ = budget; }
  long written() const { return written_; }
  // The most writes any cell in [from, to) took.
  uint32_t max_cell_writes(uint32_t from, uint32_t to) const {
    uint32_t m = 0;
    for (uint32_t i = from; i < to; ++i) m = writes_[i] > m ? writes_[i] : m;
    return m;
  }
  uint32_t size() const { return ram_.size(); }
  bool read(uint32_t offset, void* dst, miniml::index_t n) { return ram_.read(offset, dst, n); }
  bool write(uint32_t offset, const void* src, miniml::index_t n) {
    const uint8_t* s = static_cast<const uint8_t*>(src);
    for (miniml::index_t i = 0; i < n; ++i) {
      if (budget_ >= 0 && written_ >= budget_) return true;
      if (offset + i >= kMaxCells || !ram_.write(offset + i, s + i, 1)) return false;
      ++writes_[offset + i];
      ++written_;
    }
    return true;
  }

 private:
  miniml::RamStore ram_;
  long budget_;
  long written_;
  uint32_t writes_[kMaxCells];
};

#endif  // TORN_STORE_H_
