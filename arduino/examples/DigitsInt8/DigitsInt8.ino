// MiniML int8 digits: a small CNN trained on scikit-learn's 8x8 digits, quantised to int8 (TFLite's scheme) so it
// fits the Uno, classifies the test digits in samples.h. digits.h was exported into this folder with
//   python -m miniml export digits.pt2 --name digits --out <this sketch folder> \
//       --quantize int8 --calibration calibration.npy
#include <MiniML.h>

#include "digits.h"
#include "digits_app.h"

static digits::Model model;

void setup() {
  Serial.begin(115200);
  Serial.print("MiniML digits: int8 CNN, sizeof(Model) = ");
  Serial.print(static_cast<unsigned>(sizeof(model)));
  Serial.println(" B");
  uint8_t correct = 0;
  for (uint8_t i = 0; i < kSampleCount; ++i) {
    const uint8_t label = miniml::rom_read(&kSampleLabels[i]);
    const uint8_t got = classify_sample(model, i);
    if (got == label) ++correct;
    Serial.print("digit ");
    Serial.print(label);
    Serial.print(" -> ");
    Serial.println(got);
  }
  Serial.print(correct);
  Serial.print(" of ");
  Serial.print(kSampleCount);
  Serial.println(" correct");
}

void loop() {}
