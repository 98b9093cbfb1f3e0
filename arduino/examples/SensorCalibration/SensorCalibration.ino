// MiniML on-device learning: a sensor model trained on generic units meets a new one (another gain and offset);
// 300 SGD steps of its last layer on reference readings, on the board, cut its error; the learned weights are
// saved to EEPROM (a ring of slots with a CRC: a power cut during a save keeps the previous one) and loaded back
// after a reboot. sensor.h was exported into this folder with
//   python -m miniml export sensor.pt2 --name sensor --out <this sketch folder> \
//       --on-device-learning --loss mse --learning-rate 0.05
#include <EEPROM.h>
#include <MiniML.h>

#include "miniml/store_eeprom.h"
#include "sensor.h"
#include "sensor_law.h"

static sensor::Model model;
static miniml::EepromStore eeprom;  // the whole EEPROM: as many slots as fit, for less wear

static void print_error(const char* what) {
  Serial.print(what);
  Serial.println(mean_error(model, 100), 4);
}

void setup() {
  Serial.begin(115200);
#if defined(ESP32) || defined(ESP8266)
  EEPROM.begin(512);
#endif
  if (model.load(eeprom) == miniml::kStoreOk) Serial.println("loaded the weights learned before");
  print_error("mean error before: ");
  calibrate(model, 300);
  print_error("mean error after 300 steps: ");
  Serial.println(model.save(eeprom) == miniml::kStoreOk ? "saved to EEPROM" : "save FAILED");
  model.reset();  // what a reboot does: factory weights...
  Serial.println(model.load(eeprom) == miniml::kStoreOk ? "loaded from EEPROM" : "load FAILED");
  print_error("mean error after reload: ");  // ...then the learned ones again
}

void loop() {}
