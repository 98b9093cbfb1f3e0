// Stand-in for the Arduino EEPROM library's interface (AVR core; commit() as on the ESP cores), so the
// adapter in store_eeprom.h compiles in tests without an Arduino core.
#ifndef FAKE_ARDUINO_EEPROM_H_
#define FAKE_ARDUINO_EEPROM_H_
#include <stdint.h>
// budget >= 0: power fails after that many more cell writes (later writes are lost; a test's torn save).
struct EEPROMClass {
  uint8_t cells[1024];
  long budget = -1;
  int commits = 0;
  long writes = 0;
  uint8_t read(int idx) { return cells[idx]; }
  void write(int idx, uint8_t val) { put(idx, val); }
  void update(int idx, uint8_t val) {
    if (cells[idx] != val) put(idx, val);
  }
  uint16_t length() { return 1024; }
  bool commit() {
    ++commits;
    return true;
  }
  void put(int idx, uint8_t val) {
    if (budget == 0) return;
    if (budget > 0) --budget;
    cells[idx] = val;
    ++writes;
  }
};
extern EEPROMClass EEPROM;
#endif
