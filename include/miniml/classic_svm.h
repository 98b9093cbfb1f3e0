// Kernel SVMs (libsvm's model as scikit-learn exposes it): support vectors, dual coefficients and
// intercepts in flash (MINIML_ROM); decisions for one float32 row in RAM.
#ifndef MINIML_CLASSIC_SVM_H_
#define MINIML_CLASSIC_SVM_H_

#include <math.h>

#include "core_math.h"
#include "core_rom.h"
#include "core_types.h"

namespace miniml {

enum SvmKernel { kSvmLinear = 0, kSvmRbf = 1, kSvmPoly = 2, kSvmSigmoid = 3 };

struct SvmParams {
  SvmKernel kernel;
  float gamma;
  float coef0;
  uint8_t degree;
};

inline SvmParams svm_params(SvmKernel kernel, float gamma, float coef0, uint8_t degree) {
  SvmParams p;
  p.kernel = kernel;
  p.gamma = gamma;
  p.coef0 = coef0;
  p.degree = degree;
  return p;
}

// K(x, sv) for one support vector sv: [n] in flash.
inline float svm_kernel_f32(const float* x, const float* sv, index_t n, const SvmParams& p) {
  float acc = 0.0f;
  if (p.kernel == kSvmRbf) {
    for (index_t i = 0; i < n; ++i) {
      const float d = x[i] - rom_read(&sv[i]);
      acc += d * d;
    }
    return exp_f32(-p.gamma * acc);
  }
  for (index_t i = 0; i < n; ++i) acc += x[i] * rom_read(&sv[i]);
  if (p.kernel == kSvmLinear) return acc;
  const float t = p.gamma * acc + p.coef0;
  if (p.kernel == kSvmSigmoid) return tanh_f32(t);
  float r = 1.0f;
  for (uint8_t k = 0; k < p.degree; ++k) r *= t;
  return r;
}

// One-vs-one decisions, pair (i, j) with i < j at i * (2 n_classes - i - 1) / 2 + j - i - 1:
// sum over the support vectors of classes i and j of coef * K(x, sv) + intercept. libsvm's layout:
// a vector of class c holds its coefficient for pair (c, j) in dual_coef row j - 1 if c < j, else row j.
// sv: [n_sv][n_features]; dual_coef: [n_classes - 1][n_sv]; sv_class: [n_sv] or nullptr (all class 0,
// as for SVR: one output); intercept: [n_pairs]; output: [n_pairs] in RAM.
template <typename Cls>
inline void svm_ovo_f32(const float* input, const float* sv, const float* dual_coef, const Cls* sv_class,
                        const float* intercept, index_t n_sv, index_t n_features, index_t n_classes,
                        const SvmParams& params, float* output) {
  const index_t pairs = static_cast<index_t>(n_classes * (n_classes - 1) / 2);
  for (index_t p = 0; p < pairs; ++p) output[p] = rom_read(&intercept[p]);
  for (index_t s = 0; s < n_sv; ++s) {
    const float k = svm_kernel_f32(input, sv + static_cast<uint32_t>(s) * n_features, n_features, params);
    const index_t c = sv_class ? static_cast<index_t>(rom_read(&sv_class[s])) : 0;
    for (index_t j = 0; j < n_classes; ++j) {
      if (j == c) continue;
      const index_t lo = c < j ? c : j;
      const index_t hi = c < j ? j : c;
      const index_t pair = static_cast<index_t>(lo * (2 * n_classes - lo - 1) / 2 + hi - lo - 1);
      const index_t row = c < j ? static_cast<index_t>(j - 1) : j;
      output[pair] += rom_read(&dual_coef[static_cast<uint32_t>(row) * n_sv + s]) * k;
    }
  }
}

// libsvm's vote: pair (i, j) votes i when its decision is > 0, else j; the first class with the most
// votes wins. ovo: [n_pairs].
inline index_t svm_vote(const float* ovo, index_t n_classes) {
  index_t best = 0;
  index_t best_votes = 0;
  for (index_t c = 0; c < n_classes; ++c) {
    index_t votes = 0;
    index_t p = 0;
    for (index_t i = 0; i < n_classes; ++i) {
      for (index_t j = static_cast<index_t>(i + 1); j < n_classes; ++j, ++p) {
        if ((ovo[p] > 0.0f ? i : j) == c) ++votes;
      }
    }
    if (votes > best_votes) {
      best = c;
      best_votes = votes;
    }
  }
  return best;
}

// scikit-learn's decision_function_shape="ovr": votes plus the summed confidences squashed into
// (-1/3, 1/3). ovo: [n_pairs]; output: [n_classes], must not alias ovo.
inline void svm_ovr_f32(const float* ovo, index_t n_classes, float* output) {
  for (index_t c = 0; c < n_classes; ++c) {
    float votes = 0.0f;
    float conf = 0.0f;
    index_t p = 0;
    for (index_t i = 0; i < n_classes; ++i) {
      for (index_t j = static_cast<index_t>(i + 1); j < n_classes; ++j, ++p) {
        if (i == c) {
          conf += ovo[p];
          if (ovo[p] >= 0.0f) votes += 1.0f;
        } else if (j == c) {
          conf -= ovo[p];
          if (ovo[p] < 0.0f) votes += 1.0f;
        }
      }
    }
    const float a = conf < 0.0f ? -conf : conf;
    output[c] = votes + conf / (3.0f * (a + 1.0f));
  }
}

}  // namespace miniml

#endif  // MINIML_CLASSIC_SVM_H_
