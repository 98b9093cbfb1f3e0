// Non-finite refusal: the finite helpers on edge values, and a head step (Linear 3 -> 2, the checks in the
// order the generated learn() makes them) that must refuse NaN/Inf input, target, loss and gradient
// with the weights bit-for-bit untouched, then still learn from a good sample. Prints "checks N" and
// exits 0 only if all hold.
#include <float.h>
#include <stdio.h>
#include <string.h>

#include "miniml/train_adam.h"
#include "miniml/train_finite.h"
#include "miniml/train_linear.h"
#include "miniml/train_loss.h"
#include "miniml/train_sgd.h"
#include "miniml/train_step.h"

static int failures = 0, checks = 0;
#define CHECK(cond)                                  \
  do {                                               \
    ++checks;                                        \
    if (!(cond)) {                                   \
      printf("FAIL line %d: %s\n", __LINE__, #cond); \
      ++failures;                                    \
    }                                                \
  } while (0)

static float w[2 * 3] = {0.5f, -0.25f, 1.0f, 0.75f, 0.125f, -1.0f}, b[2] = {0.1f, -0.2f};
static float y[2], dy[2];
static int refused = 0;

static float head_step(const float* x, const float* target, int label) {
  if (!miniml::all_finite_f32(x, 3) || (target && !miniml::all_finite_f32(target, 2))) {
    ++refused;
    return miniml::nan_f32();
  }
  for (int o = 0; o < 2; ++o) {
    y[o] = b[o];
    for (int i = 0; i < 3; ++i) y[o] += w[o * 3 + i] * x[i];
  }
  const float loss =
      target ? miniml::mse_loss_f32(y, target, 2) : miniml::cross_entropy_f32(y, static_cast<uint16_t>(label), 2, dy);
  if (target) miniml::mse_grad_f32(y, target, 2, dy);
  if (!miniml::is_finite_f32(loss) || !miniml::outer_finite_f32(dy, 2, x, 3)) {
    ++refused;
    return miniml::nan_f32();
  }
  const miniml::Sgd sgd = {0.1f, 0.0f};
  miniml::linear_weight_step_f32(sgd, w, x, dy, 3, 2);
  miniml::step_f32(sgd, b, dy, 2);
  return loss;
}

// The step checks' answers computed the plain way (every updated value formed and tested), to hold the
// bound-first checks of train_finite.h equal to them.
static bool exact_linear(const float* w, const float* buf, const float* x, const float* g, int in, int out, float lr,
                         float m) {
  for (int o = 0; o < out; ++o) {
    for (int i = 0; i < in; ++i) {
      if (!buf) {  // linear_weight_sgd_f32's order: the row factor lr * g first
        if (!miniml::is_finite_f32(w[o * in + i] - (lr * g[o]) * x[i])) return false;
        continue;
      }
      const float v = m * buf[o * in + i] + g[o] * x[i];
      if (!miniml::is_finite_f32(v) || !miniml::is_finite_f32(w[o * in + i] - lr * v)) return false;
    }
  }
  return true;
}
static bool exact_sgd(const float* p, const float* buf, const float* g, int n, float lr, float m) {
  for (int i = 0; i < n; ++i) {
    const float v = buf ? m * buf[i] + g[i] : g[i];
    if (!miniml::is_finite_f32(v) || !miniml::is_finite_f32(p[i] - lr * v)) return false;
  }
  return true;
}
static uint32_t g_rng = 7u;
static float pick_value() {
  static const float kEdge[] = {0.0f,    -0.0f, 1e-45f, 1.0f,    -3.5f,    1e19f,   -3e19f,
                                1.8e19f, 1e38f, -2e38f, FLT_MAX, -FLT_MAX, 1.7e38f, 9.2e18f};
  g_rng = g_rng * 1664525u + 1013904223u;
  const uint32_t r = g_rng >> 8;
  if (r % 7 == 0) return kEdge[(r >> 3) % (sizeof(kEdge) / sizeof(kEdge[0]))];
  if (r % 97 == 1) return r & 1 ? FLT_MAX * 2.0f : miniml::nan_f32();
  uint32_t bits = (r & 0x807FFFFFu) | ((0x40u + (r >> 8) % 0x7Fu) << 23);  // exponents 2^-63 .. 2^63
  float f;
  memcpy(&f, &bits, sizeof(f));
  return f;
}

// The bound-first step checks against the exact ones on random values, overflow edges, Inf and NaN;
// returns the number of disagreements.
static int step_checks_disagree() {
  int bad = 0;
  for (int t = 0; t < 4000; ++t) {
    float wv[12], bv[12], xv[4], gv[3];
    for (int i = 0; i < 12; ++i) wv[i] = pick_value(), bv[i] = pick_value();
    for (int i = 0; i < 4; ++i) xv[i] = pick_value();
    for (int i = 0; i < 3; ++i) gv[i] = pick_value();
    const float lr = t % 3 == 0 ? 0.01f : t % 3 == 1 ? 0.0f : 3e38f * (t % 5 == 0 ? 1.0f : 1e-30f);
    const float m = t % 4 == 0 ? 0.9f : -2.0f;
    bad += miniml::linear_weight_step_finite_f32(wv, xv, gv, 4, 3, lr) != exact_linear(wv, 0, xv, gv, 4, 3, lr, m);
    bad += miniml::linear_weight_momentum_step_finite_f32(wv, bv, xv, gv, 4, 3, lr, m) !=
           exact_linear(wv, bv, xv, gv, 4, 3, lr, m);
    bad += miniml::sgd_step_finite_f32(wv, gv, 3, lr) != exact_sgd(wv, 0, gv, 3, lr, m);
    bad += miniml::sgd_momentum_step_finite_f32(wv, bv, gv, 3, lr, m) != exact_sgd(wv, bv, gv, 3, lr, m);
  }
  return bad;
}

// linear_weight_sgd_f32 (zero inputs skipped or not) against every weight computed as w - (lr * g) * x, bit for
// bit, with +-0 inputs and weights among the values; returns the number of differing weights.
template <bool SkipZeros>
static int sgd_skip_differs() {
  static const float kZeros[] = {0.0f, -0.0f};
  int bad = 0;
  for (int t = 0; t < 2000; ++t) {
    float wv[12], want[12], xv[4], gv[3];
    for (int i = 0; i < 12; ++i) wv[i] = t % 3 == 0 ? kZeros[i & 1] : pick_value();
    for (int i = 0; i < 4; ++i) xv[i] = (t + i) % 2 == 0 ? kZeros[(t >> 1) & 1] : pick_value();
    for (int i = 0; i < 3; ++i) gv[i] = t % 5 == 0 ? -pick_value() : pick_value();
    const float lr = t % 7 == 0 ? 0.0f : 0.01f;
    if (!miniml::linear_weight_step_finite_f32(wv, xv, gv, 4, 3, lr)) continue;
    for (int o = 0; o < 3; ++o) {
      for (int i = 0; i < 4; ++i) want[o * 4 + i] = wv[o * 4 + i] - (lr * gv[o]) * xv[i];
    }
    miniml::linear_weight_sgd_f32<SkipZeros>(wv, xv, gv, 4, 3, lr);
    bad += memcmp(wv, want, sizeof(wv)) != 0;
  }
  return bad;
}

int main() {
  const float inf = FLT_MAX * 2.0f, nan = miniml::nan_f32();
  CHECK(step_checks_disagree() == 0);
  CHECK(sgd_skip_differs<true>() == 0 && sgd_skip_differs<false>() == 0);
  CHECK(miniml::is_finite_f32(0.0f) && miniml::is_finite_f32(-FLT_MAX) && miniml::is_finite_f32(FLT_MIN / 4.0f));
  CHECK(!miniml::is_finite_f32(inf) && !miniml::is_finite_f32(-inf) && !miniml::is_finite_f32(nan));
  const float v[3] = {1.0f, nan, 2.0f};
  CHECK(miniml::all_finite_f32(v, 1) && !miniml::all_finite_f32(v, 2) && miniml::all_finite_f32(v, 0));
  // outer_finite_f32 is exact at the overflow edge: 2^64 * 2^63 is finite, 2^64 * 2^64 is not.
  const float a[2] = {-18446744073709551616.0f, 1.0f}, b63[1] = {9223372036854775808.0f},
              b64[1] = {18446744073709551616.0f};
  CHECK(miniml::outer_finite_f32(a, 2, b63, 1) && !miniml::outer_finite_f32(a, 2, b64, 1));
  // Cross-entropy of huge logits stays finite (max subtracted); its gradient is softmax - onehot.
  const float big[3] = {1e30f, -1e30f, 1e30f};
  float g[3];
  const float ce = miniml::cross_entropy_f32(big, 1, 3, g);
  CHECK(miniml::is_finite_f32(ce) && ce > 1e29f && g[0] == 0.5f && g[1] == -1.0f && g[2] == 0.5f);

  float w_before[6], b_before[2];
  memcpy(w_before, w, sizeof(w));
  memcpy(b_before, b, sizeof(b));
  const float good_x[3] = {1.0f, 2.0f, -1.0f}, good_t[2] = {0.5f, 0.0f};
  const float nan_x[3] = {1.0f, nan, 0.0f}, inf_t[2] = {0.0f, -inf};
  const float huge_x[3] = {1e20f, 0.0f, 0.0f};  // y0 = 5e19: (y - t)^2 overflows, loss is Inf
  // y0 = 0.1 + 2e19 - 2e19 = 0 and y1 = 4e19, so loss = (0.1^2 + 1e19^2) / 2 is finite but the weight
  // gradient dy1 * x1 = 1e19 * 8e19 overflows.
  const float grad_x[3] = {4e19f, 8e19f, 0.0f}, grad_t[2] = {0.1f, 3e19f};
  const float* xs[5] = {nan_x, good_x, huge_x, grad_x, nan_x};
  const float* ts[5] = {good_t, inf_t, good_t, grad_t, 0};
  for (int i = 0; i < 5; ++i) {
    CHECK(!miniml::is_finite_f32(head_step(xs[i], ts[i], 0)));
    CHECK(memcmp(w_before, w, sizeof(w)) == 0 && memcmp(b_before, b, sizeof(b)) == 0);
  }
  CHECK(refused == 5);
  const float loss = head_step(good_x, good_t, 0);
  CHECK(miniml::is_finite_f32(loss) && loss > 0.0f && memcmp(w_before, w, sizeof(w)) != 0);
  // Adam's finite() is exact on both sides of its cheap bound: with eps 1e-38 the bound |p| + lr/bc1/eps * |m|
  // overflows but the step (denominator sqrt(v)) is finite and taken; at lr 3e38 the step overflows: refused.
  float am[1] = {0.0f}, av[1] = {0.0f}, corrections[2] = {0.0f, 0.0f}, p1[1] = {0.5f};
  const float g1[1] = {1e20f};
  const miniml::AdamStep tiny_eps = miniml::adam_step(corrections, 0.01f, 0.1f, 0.999f, 0.001f, 1e-38f, 0.0f);
  const miniml::Adam adam = {&tiny_eps, am, av};
  CHECK(!miniml::is_finite_f32(tiny_eps.step_bound * 1e19f) && miniml::step_finite_f32(adam, p1, g1, 1));
  miniml::step_f32(adam, p1, g1, 1);
  CHECK(miniml::is_finite_f32(p1[0]) && p1[0] < 0.5f && am[0] == 1e19f);
  const miniml::AdamStep huge_lr = miniml::adam_step(corrections, 3e38f, 0.1f, 0.999f, 0.001f, 1e-8f, 0.0f);
  const miniml::Adam adam_huge = {&huge_lr, am, av};
  CHECK(!miniml::step_finite_f32(adam_huge, p1, g1, 1));
  // a gradient whose square overflows the second moment is refused too
  const float g2[1] = {1e22f};  // (1 - beta2) * g * g = 1e41
  CHECK(!miniml::step_finite_f32(adam, p1, g2, 1));
  printf("checks %d failures %d\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
