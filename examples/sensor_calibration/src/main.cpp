// Sensor calibration with on-device learning: the factory model (sensor.pt2) meets a new sensor unit whose gain
// and offset lie outside what it was trained on; 300 SGD steps of its last layer on reference readings, on the
// board, cut the error; the learned weights are saved (two slots + CRC) and survive a reboot.
#include "miniml/board_io.h"
#include "miniml/store_ram.h"
#include "sensor.h"
#include "sensor_law.h"

#if defined(ARDUINO)
#include <EEPROM.h>

#include "miniml/store_eeprom.h"
typedef miniml::EepromStore Store;
#else
// No EEPROM on the simulated boards: a RAM buffer stands in for it.
static uint8_t g_store_bytes[sensor::kStoreBytes];
#endif

static sensor::Model model;

static void run() {
  miniml::io::begin();
#if defined(ARDUINO)
#if defined(ESP32)
  EEPROM.begin(512);
#endif
  Store store;
#else
  miniml::RamStore store(g_store_bytes, sizeof(g_store_bytes));
  store.erase();
#endif
  miniml::io::print("miniml sensor calibration: on-device learning of the last layer\n");
  const float before = mean_error(model, 100);
  miniml::io::print("mean error before: ");
  miniml::io::print_float(before);
  miniml::io::print("\n");

  calibrate(model, 300);
  const float after = mean_error(model, 100);
  miniml::io::print("mean error after 300 steps: ");
  miniml::io::print_float(after);
  miniml::io::print(after <= 0.5f * before ? "  (at least halved)\n" : "  (NOT halved)\n");

  miniml::io::print(model.save(store) == miniml::kStoreOk ? "saved the learned weights\n" : "save FAILED\n");
  model.reset();  // a reboot: factory weights again...
  miniml::io::print(model.load(store) == miniml::kStoreOk ? "loaded them after a reboot\n" : "load FAILED\n");
  miniml::io::print("mean error after reboot: ");  // ...then the learned ones
  miniml::io::print_float(mean_error(model, 100));
  miniml::io::print("\n");
}

MINIML_MAIN(run)
