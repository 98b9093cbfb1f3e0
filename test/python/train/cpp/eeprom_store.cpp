// EepromStore (store_eeprom.h) over the stand-in EEPROM.h: save/load round trip, a torn save (cells
// frozen after N writes) falls back to the previous save, and on the ESP path every write commits.
// Prints "cases N failures F".
#include <stdio.h>
#include <string.h>

#include "EEPROM.h"
#include "miniml/store_eeprom.h"
#include "miniml/store_slots.h"

EEPROMClass EEPROM;

int main() {
  int failures = 0, cases = 0;
  memset(EEPROM.cells, 0xFF, sizeof(EEPROM.cells));  // erased
  miniml::EepromStore store;
  float a[5] = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f}, b[5] = {-1.0f, -2.0f, -3.0f, -4.0f, -5.0f}, got[5];
  if (store.size() != 1024) ++failures;
  if (miniml::store_load(store, 100, got, sizeof(got), 9) != miniml::kStoreEmpty) ++failures;
  if (miniml::store_save(store, 100, a, sizeof(a), 9) != miniml::kStoreOk) ++failures;
  if (miniml::store_load(store, 100, got, sizeof(got), 9) != miniml::kStoreOk) ++failures;
  if (memcmp(got, a, sizeof(a)) != 0) ++failures;
  ++cases;
  // Tear the second save after every count of cell writes (update() skips unchanged cells, so a
  // save may need fewer writes than it has bytes): the first save must come back until all landed.
  uint8_t snapshot[1024];
  memcpy(snapshot, EEPROM.cells, sizeof(snapshot));
  EEPROM.writes = 0;
  miniml::store_save(store, 100, b, sizeof(b), 9);
  const long full = EEPROM.writes;
  printf("writes %ld\n", full);
  for (long cut = 0; cut <= full; ++cut) {
    memcpy(EEPROM.cells, snapshot, sizeof(snapshot));
    EEPROM.budget = cut;
    miniml::store_save(store, 100, b, sizeof(b), 9);
    EEPROM.budget = -1;
    const bool ok = miniml::store_load(store, 100, got, sizeof(got), 9) == miniml::kStoreOk;
    if (!ok || memcmp(got, cut < full ? a : b, sizeof(a)) != 0) {
      printf("FAIL cut %ld\n", cut);
      ++failures;
    }
    ++cases;
  }
#if defined(ESP32)
  if (EEPROM.commits == 0) ++failures;
#endif
  printf("cases %d failures %d\n", cases, failures);
  return failures == 0 ? 0 : 1;
}
