// Quickstart: the MLP of model.py (mlp.pt2), exported at build time into mlp.h, classifies a few points.
// `#include "mlp.h"` gives namespace mlp (from the file name); `mlp::Model` holds all the RAM the model needs.
#include "miniml/board_io.h"
#include "mlp.h"

static mlp::Model model;

static const char* const kRegions[3] = {"inside the circle", "below the diagonal", "above the diagonal"};
static const float kPoints[4][2] = {{0.1f, 0.2f}, {0.8f, -0.6f}, {-0.7f, 0.9f}, {0.9f, 0.3f}};

static void run() {
  miniml::io::begin();
  miniml::io::print("miniml quickstart: MLP 2-16-16-3\n");
  for (uint8_t i = 0; i < 4; ++i) {
    float scores[mlp::kOutputSize];
    model.predict(kPoints[i], scores);
    uint8_t best = 0;
    for (uint8_t k = 1; k < mlp::kOutputSize; ++k) {
      if (scores[k] > scores[best]) best = k;
    }
    miniml::io::print("point (");
    miniml::io::print_float(kPoints[i][0]);
    miniml::io::print(", ");
    miniml::io::print_float(kPoints[i][1]);
    miniml::io::print(") -> ");
    miniml::io::print(kRegions[best]);
    miniml::io::print("\n");
  }
}

MINIML_MAIN(run)
