// Refused steps leave the model bit-identical: at learning rate 3e38 a step with finite loss and gradient
// would store Inf; it is refused and counted, and the model then steps exactly like an untouched copy;
// set_learning_rate() refuses non-finite and negative rates. case.h: namespace `net` with learn(mse).
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "case.h"

int main() {
  static net::Model model;
  float x[net::kInputSize], t[net::kOutputSize];
  for (unsigned i = 0; i < net::kInputSize; ++i) x[i] = 0.25f * static_cast<float>(i) - 0.5f;
  for (unsigned i = 0; i < net::kOutputSize; ++i) t[i] = 1.0f;
  for (int s = 0; s < 3; ++s) model.learn(x, t);  // some momentum to keep
  static net::Model copy;
  float before[net::kTrainableCount], after[net::kTrainableCount];
  const float old_lr = model.learning_rate();
  copy = model;
  int bad_rates = 0;
  const float rates[] = {INFINITY, -INFINITY, NAN, -0.5f, -1e-30f};
  for (unsigned i = 0; i < sizeof(rates) / sizeof(rates[0]); ++i) {
    bad_rates += model.set_learning_rate(rates[i]) ? 1 : 0;
  }
  const bool kept = model.learning_rate() == old_lr;
  const bool lr_ok = model.set_learning_rate(1e30f) && model.set_learning_rate(3e38f);
  // lr 3e38 with a gradient above 1 (target 100): loss and gradient are finite, the new weights are not
  for (unsigned i = 0; i < net::kOutputSize; ++i) t[i] = 100.0f;
  copy = model;
  copy.get_trainable(before);
  const float loss = model.learn(x, t);
  model.get_trainable(after);
  const bool refused = isnan(loss) && model.refused_steps() == 1;
  const bool same = memcmp(before, after, sizeof(before)) == 0;
  for (unsigned i = 0; i < net::kOutputSize; ++i) t[i] = 1.0f;
  // the refused step left the momentum as it was: the next step matches the untouched copy bit for bit
  model.set_learning_rate(old_lr);
  copy.set_learning_rate(old_lr);
  model.learn(x, t);
  copy.learn(x, t);
  float a[net::kTrainableCount], b[net::kTrainableCount];
  model.get_trainable(a);
  copy.get_trainable(b);
  const bool then_same = memcmp(a, b, sizeof(a)) == 0;
  bool finite = true;
  for (unsigned i = 0; i < net::kTrainableCount; ++i) finite = finite && isfinite(a[i]);
  printf("bad_rates %d kept %d lr_ok %d refused %d same %d then_same %d finite %d\n", bad_rates, kept, lr_ok, refused,
         same, then_same, finite);
  return 0;
}
