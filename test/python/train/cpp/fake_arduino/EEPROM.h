// Stand-in for the Arduino EEPROM library's interface (AVR core; commit() as on the ESP cores), so the
// adapter in store_eeprom.h compiles in tests without an Arduino core.
#ifndef FAKE_ARDUINO_EEPROM_H_
#define FAKE_ARDUINO_EEPROM_H_
#include <stdint.h>
struct EEPROMClass {
  uint8_t cells[1024];
  uint8_t read(int idx) { return cells[idx]; }
  void write(int idx, uint8_t val) { cells[idx] = val; }
  void update(int idx, uint8_t val) {
    if (cells[idx] != val) cells[idx] = val;
  }
  uint16_t length() { return 1024; }
  bool commit() { return true; }
};
extern EEPROMClass EEPROM;
#endif
