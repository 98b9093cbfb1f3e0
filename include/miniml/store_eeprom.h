// A Store (see store_slots.h) over the Arduino EEPROM library; compiled only when ARDUINO is defined.
// AVR: real EEPROM, written byte by byte with update() (unchanged bytes are not rewritten, saving wear),
// so the two-slot scheme survives a power loss at any byte. ESP32/ESP8266/RP2040 cores emulate EEPROM in
// one flash sector: call EEPROM.begin(size) first; every write() here ends with EEPROM.commit(), which
// rewrites the whole sector, so there a power loss *during a commit* can lose both slots (use a file
// system or NVS Store there if that matters).
#ifndef MINIML_STORE_EEPROM_H_
#define MINIML_STORE_EEPROM_H_

#if defined(ARDUINO)

#include <EEPROM.h>
#include <stdint.h>

#include "core_types.h"

namespace miniml {

class EepromStore {
 public:
  uint32_t size() const { return static_cast<uint32_t>(EEPROM.length()); }
  bool read(uint32_t offset, void* dst, index_t n) {
    uint8_t* d = static_cast<uint8_t*>(dst);
    for (index_t i = 0; i < n; ++i) d[i] = EEPROM.read(static_cast<int>(offset + i));
    return true;
  }
  bool write(uint32_t offset, const void* src, index_t n) {
    const uint8_t* s = static_cast<const uint8_t*>(src);
#if defined(ESP32) || defined(ESP8266) || defined(ARDUINO_ARCH_RP2040)
    for (index_t i = 0; i < n; ++i) EEPROM.write(static_cast<int>(offset + i), s[i]);
    return EEPROM.commit();
#else
    for (index_t i = 0; i < n; ++i) EEPROM.update(static_cast<int>(offset + i), s[i]);
    return true;
#endif
  }
};

}  // namespace miniml

#endif  // defined(ARDUINO)

#endif  // MINIML_STORE_EEPROM_H_
