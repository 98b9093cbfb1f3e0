// MiniML quickstart: a small MLP (2 inputs, 3 regions of the plane, trained in PyTorch) predicts on the board.
// mlp.h sits in this sketch folder; to use your own model, export it there with the MiniML CLI:
//   python -m miniml export mlp.pt2 --name mlp --out <this sketch folder>
#include <MiniML.h>

#include "mlp.h"

static mlp::Model model;  // all the RAM the model needs, known at build time

static const float kPoints[4][mlp::kInputSize] = {{0.1f, 0.2f}, {0.8f, -0.6f}, {-0.7f, 0.9f}, {0.9f, 0.3f}};
static const char* const kRegions[mlp::kOutputSize] = {"inside the circle", "below the diagonal",
                                                       "above the diagonal"};

void setup() {
  Serial.begin(115200);
  Serial.println("MiniML quickstart: MLP 2-16-16-3");
  for (uint8_t i = 0; i < 4; ++i) {
    float scores[mlp::kOutputSize];
    model.predict(kPoints[i], scores);  // the numbers PyTorch computes for this input
    uint8_t best = 0;
    Serial.print("scores");
    for (uint8_t k = 0; k < mlp::kOutputSize; ++k) {
      Serial.print(' ');
      Serial.print(scores[k], 7);
      if (scores[k] > scores[best]) best = k;
    }
    Serial.print(" -> ");
    Serial.println(kRegions[best]);
  }
}

void loop() {}
