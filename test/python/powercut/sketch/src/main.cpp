// Learns, saves, learns, saves...: the sensor example's last layer on the real EEPROM library, for the
// power-cut harness (powercut.c), which reads this protocol on Serial:
//   "L <status> <hex>"  the boot-time load(): StoreResult and the learned floats' bytes (factory ones if none)
//   "S <hex>"           before each save(): the bytes it saves;  "D <status>" after it;  "END" when done
#include <Arduino.h>
#include <EEPROM.h>

#include "miniml/store_eeprom.h"
#include "sensor.h"
#include "sensor_law.h"

#ifndef POWERCUT_SAVES
#define POWERCUT_SAVES 30  // wraps the ring of slots in the 1 KB EEPROM more than twice
#endif

static sensor::Model model;

static miniml::EepromStore store;

static void print_hex(const float* w) {
  const uint8_t* b = reinterpret_cast<const uint8_t*>(w);
  for (size_t i = 0; i < sensor::kTrainableCount * sizeof(float); ++i) {
    if (b[i] < 16) Serial.print('0');
    Serial.print(b[i], HEX);
  }
  Serial.println();
  Serial.flush();  // all of it on the wire before the EEPROM is touched
}

static void print_trainable() {
  float w[sensor::kTrainableCount];
  model.get_trainable(w);
  print_hex(w);
}

#if defined(POWERCUT_NAIVE)
// The harness's own check: saved in place with a "valid" flag after it, no slots: cuts must show losses.
static int naive_load() {
  if (EEPROM.read(1023) != 0x5A) return miniml::kStoreEmpty;
  float w[sensor::kTrainableCount];
  EEPROM.get(0, w);
  print_hex(w);
  return miniml::kStoreOk;
}
static miniml::StoreResult naive_save() {
  float w[sensor::kTrainableCount];
  model.get_trainable(w);
  EEPROM.put(0, w);
  EEPROM.update(1023, 0x5A);
  return miniml::kStoreOk;
}
#endif

void setup() {
  Serial.begin(115200);
#if defined(POWERCUT_NAIVE)
  Serial.print(EEPROM.read(1023) == 0x5A ? "L 0 " : "L 1 ");
  if (naive_load() != miniml::kStoreOk) print_trainable();
#else
  Serial.print("L ");
  Serial.print(static_cast<int>(model.load(store)));
  Serial.print(' ');
  print_trainable();
#endif
  Rng rng = {4242UL};
  for (int s = 0; s < POWERCUT_SAVES; ++s) {
    for (int i = 0; i < 3; ++i) {
      const Reading r = read_new_sensor(rng);
      model.learn(r.input, &r.target);
    }
    Serial.print("S ");
    print_trainable();
#if defined(POWERCUT_NAIVE)
    const miniml::StoreResult result = naive_save();
#else
    const miniml::StoreResult result = model.save(store);
#endif
    Serial.print("D ");
    Serial.println(static_cast<int>(result));
    Serial.flush();
  }
  Serial.println("END");
}

void loop() {}
