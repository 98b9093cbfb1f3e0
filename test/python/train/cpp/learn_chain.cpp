// Linear(in, hidden) -> ReLU -> Linear(hidden, out) trained for kSteps with the train_*.h kernels, in the
// order the generated learn() uses: forward, loss, backward into RAM vectors, finite checks, then updates.
// case.h (written by the test) holds sizes, options, initial parameters and the data. Prints the losses
// and the final parameters, one %.9g number per line.
#include <stdio.h>
#include <string.h>

#include "case.h"
#include "miniml/train_adam.h"
#include "miniml/train_backward.h"
#include "miniml/train_finite.h"
#include "miniml/train_linear.h"
#include "miniml/train_loss.h"
#include "miniml/train_sgd.h"
#include "miniml/train_step.h"

// kMode: 0 = head only (w2, b2); 1 = last two layers (w1, b1, w2, b2); 2 = head + bias-only b1.
static float w1[kHidden * kIn], b1[kHidden], w2[kOut * kHidden], b2[kOut];
// optimizer state, zero: momentum (SGD) or first moments (Adam), and second moments (Adam)
static float vw1[kHidden * kIn], vb1[kHidden], vw2[kOut * kHidden], vb2[kOut];
static float sw1[kHidden * kIn], sb1[kHidden], sw2[kOut * kHidden], sb2[kOut];
static float corrections[2];
static float h[kHidden], y[kOut], dy[kOut], dh[kHidden];

static void linear(const float* w, const float* b, const float* x, int in, int out, float* o) {
  for (int j = 0; j < out; ++j) {
    float acc = b[j];
    for (int i = 0; i < in; ++i) acc += w[j * in + i] * x[i];
    o[j] = acc;
  }
}

// The updates in learn()'s order, each rule checked over the whole step before anything changes.
template <class R1, class R2, class R3, class R4>
static void update(const R1& rw1, const R2& rb1, const R3& rw2, const R4& rb2, const float* x) {
  const bool ok = miniml::linear_weight_step_finite_f32(rw2, w2, h, dy, kHidden, kOut) &&
                  miniml::step_finite_f32(rb2, b2, dy, kOut) &&
                  (kMode != 1 || miniml::linear_weight_step_finite_f32(rw1, w1, x, dh, kIn, kHidden)) &&
                  (kMode == 0 || miniml::step_finite_f32(rb1, b1, dh, kHidden));
  if (!ok) return;
  miniml::linear_weight_step_f32(rw2, w2, h, dy, kHidden, kOut);
  miniml::step_f32(rb2, b2, dy, kOut);
  if (kMode == 1) miniml::linear_weight_step_f32(rw1, w1, x, dh, kIn, kHidden);
  if (kMode != 0) miniml::step_f32(rb1, b1, dh, kHidden);
}

static float step(const float* x, const float* target, uint16_t label) {
  linear(w1, b1, x, kIn, kHidden, h);
  for (int j = 0; j < kHidden; ++j) h[j] = h[j] > 0.0f ? h[j] : 0.0f;
  linear(w2, b2, h, kHidden, kOut, y);
  float loss;
  if (kLoss == 0) {
    loss = miniml::mse_loss_f32(y, target, kOut);
    miniml::mse_grad_f32(y, target, kOut, dy);
  } else {
    loss = miniml::cross_entropy_f32(y, label, kOut, dy);
  }
  if (!miniml::is_finite_f32(loss) || !miniml::outer_finite_f32(dy, kOut, h, kHidden)) {
    return miniml::nan_f32();
  }
  if (kMode != 0) {
    memset(dh, 0, sizeof(dh));  // the backward kernels add to their gradient
    miniml::linear_backward_input_f32<miniml::Ram>(w2, dy, kHidden, kOut, dh);
    miniml::activation_backward_inplace_f32(h, dh, kHidden, miniml::ActGradRelu());
    if (!miniml::outer_finite_f32(dh, kHidden, x, kIn)) return miniml::nan_f32();
  }
  if (kAdam) {
    const miniml::AdamStep adam =
        miniml::adam_step(corrections, kLr, kOneMinusBeta1, kBeta2, kOneMinusBeta2, kEps, kWeightDecay);
    update(miniml::Adam{&adam, vw1, sw1}, miniml::Adam{&adam, vb1, sb1}, miniml::Adam{&adam, vw2, sw2},
           miniml::Adam{&adam, vb2, sb2}, x);
    miniml::adam_commit(corrections, adam);
  } else if (kMomentum != 0.0f) {
    update(miniml::SgdMomentum{kLr, kMomentum, kWeightDecay, vw1},
           miniml::SgdMomentum{kLr, kMomentum, kWeightDecay, vb1},
           miniml::SgdMomentum{kLr, kMomentum, kWeightDecay, vw2},
           miniml::SgdMomentum{kLr, kMomentum, kWeightDecay, vb2}, x);
  } else {
    const miniml::Sgd sgd = {kLr, kWeightDecay};
    update(sgd, sgd, sgd, sgd, x);
  }
  return loss;
}

static void dump(const float* p, int n) {
  for (int i = 0; i < n; ++i) printf("%.9g\n", static_cast<double>(p[i]));
}

int main() {
  for (int i = 0; i < kHidden * kIn; ++i) w1[i] = kW1[i];
  for (int i = 0; i < kHidden; ++i) b1[i] = kB1[i];
  for (int i = 0; i < kOut * kHidden; ++i) w2[i] = kW2[i];
  for (int i = 0; i < kOut; ++i) b2[i] = kB2[i];
  for (int s = 0; s < kSteps; ++s) {
    const float loss = step(kX + s * kIn, kT + s * kOut, kLabel[s]);
    printf("%.9g\n", static_cast<double>(loss));
  }
  dump(w1, kHidden * kIn);
  dump(b1, kHidden);
  dump(w2, kOut * kHidden);
  dump(b2, kOut);
  return 0;
}
