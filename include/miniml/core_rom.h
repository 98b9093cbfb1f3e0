// The only place that knows how constants are placed and read. MINIML_ROM marks an array for flash
// (PROGMEM on AVR, plain const elsewhere); kernels read through a memory policy, Rom or Ram, so one kernel
// serves frozen weights in flash and trainable weights in SRAM.
#ifndef MINIML_CORE_ROM_H_
#define MINIML_CORE_ROM_H_

#include <stdint.h>
#include <string.h>

#include "core_types.h"

#if defined(__AVR__)
#include <avr/pgmspace.h>
#define MINIML_ROM PROGMEM
#else
#define MINIML_ROM
#endif

namespace miniml {

// Reads one element of a constant placed with MINIML_ROM.
#if defined(__AVR__)
inline float rom_read(const float* p) { return pgm_read_float(p); }
inline int8_t rom_read(const int8_t* p) { return static_cast<int8_t>(pgm_read_byte(p)); }
inline uint8_t rom_read(const uint8_t* p) { return pgm_read_byte(p); }
inline int16_t rom_read(const int16_t* p) { return static_cast<int16_t>(pgm_read_word(p)); }
inline uint16_t rom_read(const uint16_t* p) { return pgm_read_word(p); }
inline int32_t rom_read(const int32_t* p) { return static_cast<int32_t>(pgm_read_dword(p)); }
inline uint32_t rom_read(const uint32_t* p) { return pgm_read_dword(p); }
// Copies n bytes from flash to SRAM.
inline void rom_copy(void* dst, const void* src, index_t n) { memcpy_P(dst, src, n); }
#else
template <typename T>
inline T rom_read(const T* p) {
  return *p;
}
inline void rom_copy(void* dst, const void* src, index_t n) { memcpy(dst, src, n); }
#endif

// Memory policies: kernels take `template <class Mem>` and read parameters with Mem::read(p).
struct Rom {
  template <typename T>
  static T read(const T* p) {
    return rom_read(p);
  }
};
struct Ram {
  template <typename T>
  static T read(const T* p) {
    return *p;
  }
};

}  // namespace miniml

#endif  // MINIML_CORE_ROM_H_
