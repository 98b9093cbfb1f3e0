// Gesture recognition on an IMU stream: the GRU of model.py (gesture.pt2, exported with streaming) gets one
// 3-axis accelerometer sample at a time through Model::step() and answers after each; the answer after a
// window's last sample names the gesture.
#include "gesture.h"
#include "gesture_app.h"
#include "miniml/board_io.h"

static gesture::Model model;

static void run() {
  miniml::io::begin();
  miniml::io::print("miniml gesture: GRU(3->16) streamed sample by sample, sizeof(Model) = ");
  miniml::io::print_int(static_cast<int32_t>(sizeof(model)));
  miniml::io::print(" B\n");
  float scores[gesture::kStepOutputSize];
  for (uint8_t i = 0; i < kSampleCount; ++i) {
    const uint8_t label = miniml::rom_read(&kSampleLabels[i]);
    const uint8_t got = classify_stream(model, i, scores);
    miniml::io::print("window ");
    miniml::io::print_int(i);
    miniml::io::print(": ");
    miniml::io::print(kClassNames[got]);
    miniml::io::print(got == label ? "\n" : "  (expected ");
    if (got != label) {
      miniml::io::print(kClassNames[label]);
      miniml::io::print(")\n");
    }
  }
}

MINIML_MAIN(run)
