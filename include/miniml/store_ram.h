// A Store (see store_slots.h) over a byte array the caller owns: for tests, for simulators, and on a board
// for a buffer in a .noinit section that survives a warm reset. Never allocates.
#ifndef MINIML_STORE_RAM_H_
#define MINIML_STORE_RAM_H_

#include <stdint.h>
#include <string.h>

#include "core_types.h"

namespace miniml {

class RamStore {
 public:
  // `bytes` (RAM, `size` bytes) is used in place; erase() makes it look like erased EEPROM.
  RamStore(uint8_t* bytes, uint32_t size) : bytes_(bytes), size_(size) {}
  void erase() { memset(bytes_, 0xFF, size_); }
  uint32_t size() const { return size_; }
  bool read(uint32_t offset, void* dst, index_t n) {
    if (offset > size_ || size_ - offset < n) return false;
    memcpy(dst, bytes_ + offset, n);
    return true;
  }
  bool write(uint32_t offset, const void* src, index_t n) {
    if (offset > size_ || size_ - offset < n) return false;
    memcpy(bytes_ + offset, src, n);
    return true;
  }

 private:
  uint8_t* bytes_;
  uint32_t size_;
};

}  // namespace miniml

#endif  // MINIML_STORE_RAM_H_
