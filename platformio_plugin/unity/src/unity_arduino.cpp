// Unity's output under the Arduino framework: Serial at 115200 baud (what `test_speed = 115200` reads on a board).
#if defined(ARDUINO)
#include <Arduino.h>

extern "C" {
void miniml_unity_serial_begin(void) {
  Serial.begin(115200);
  while (!Serial) {
  }
}
void miniml_unity_serial_write(char c) { Serial.write(static_cast<uint8_t>(c)); }
void miniml_unity_serial_flush(void) { Serial.flush(); }
}
#endif
