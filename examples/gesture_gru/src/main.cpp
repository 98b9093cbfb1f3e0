// Gesture recognition on an IMU stream: the GRU of model.py (gesture.pt2, exported with streaming) gets one
// 3-axis accelerometer sample at a time through Model::step() and answers after each; the answer after a
// window's last sample names the gesture.
#include "console.h"
#include "gesture.h"
#include "gesture_app.h"

static gesture::Model model;

static void run() {
  console_begin();
  console_print("miniml gesture: GRU(3->16) streamed sample by sample, sizeof(Model) = ");
  console_int(static_cast<int32_t>(sizeof(model)));
  console_print(" B\n");
  float scores[gesture::kStepOutputSize];
  for (uint8_t i = 0; i < kSampleCount; ++i) {
    const uint8_t label = miniml::rom_read(&kSampleLabels[i]);
    const uint8_t got = classify_stream(model, i, scores);
    console_print("window ");
    console_int(i);
    console_print(": ");
    console_print(kClassNames[got]);
    console_print(got == label ? "\n" : "  (expected ");
    if (got != label) {
      console_print(kClassNames[label]);
      console_print(")\n");
    }
  }
}

#if defined(ARDUINO)
void setup() { run(); }
void loop() {}
#else
int main() {
  run();
  return 0;
}
#endif
