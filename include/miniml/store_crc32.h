// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320; the value zlib.crc32 and Ethernet give) for the
// weight store. Bitwise, no table: a few bytes of flash, and a save runs rarely.
#ifndef MINIML_STORE_CRC32_H_
#define MINIML_STORE_CRC32_H_

#include <stdint.h>

#include "core_types.h"

namespace miniml {

// Continues a CRC over `size` bytes of RAM. Start with crc = 0; crc32_update(0, "123456789", 9) is
// 0xCBF43926.
inline uint32_t crc32_update(uint32_t crc, const void* data, index_t size) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  crc = ~crc;
  for (index_t i = 0; i < size; ++i) {
    crc ^= p[i];
    for (uint8_t bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320UL & (0UL - (crc & 1UL)));
  }
  return ~crc;
}

}  // namespace miniml

#endif  // MINIML_STORE_CRC32_H_
