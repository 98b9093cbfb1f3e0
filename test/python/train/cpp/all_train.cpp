// Instantiates every train_*.h and store_*.h function (two TUs link this file twice: ODR check). With
// ARDUINO defined it also builds the EEPROM adapter against the test's stand-in EEPROM.h.
#include "miniml/store_crc32.h"
#include "miniml/store_eeprom.h"
#include "miniml/store_ram.h"
#include "miniml/store_slots.h"
#include "miniml/train_adam.h"
#include "miniml/train_backward.h"
#include "miniml/train_conv.h"
#include "miniml/train_finite.h"
#include "miniml/train_linear.h"
#include "miniml/train_loss.h"
#include "miniml/train_sgd.h"
#include "miniml/train_step.h"

#ifndef MINIML_TU_NAME
#define MINIML_TU_NAME run_all
#endif

template <class Dummy = void>
struct Factory {
  static const float kWeight[6];
};
template <class Dummy>
const float Factory<Dummy>::kWeight[6] MINIML_ROM = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f};

float MINIML_TU_NAME(uint8_t* bytes, uint32_t size, float* w, float* v, const float* x, float* g) {
  float loss = miniml::mse_loss_f32(x, w, 2);
  miniml::mse_grad_f32(x, w, 2, g);
  loss += miniml::cross_entropy_f32(x, 1, 2, g);
  miniml::linear_backward_input_f32<miniml::Rom>(Factory<>::kWeight, g, 3, 2, g + 2);
  miniml::linear_backward_input_f32<miniml::Ram>(w, g, 3, 2, g + 2);
  miniml::activation_backward_inplace_f32(x, g + 2, 3, miniml::ActGradRelu());
  miniml::activation_backward_f32(x, g, g + 2, 3, miniml::ActGradHardtanh(0.0f, 6.0f));
  miniml::activation_backward_f32(x, g, g + 2, 3, miniml::ActGradSigmoid());
  miniml::activation_backward_f32(x, g, g + 2, 3, miniml::ActGradTanh());
  miniml::activation_backward_f32(x, g, g + 2, 3, miniml::ActGradLeakyRelu(0.1f));
  miniml::activation_backward_f32(x, g, g + 2, 3, miniml::ActGradHardswish());
  miniml::activation_backward_f32(x, g, g + 2, 3, miniml::ActGradSilu());
  miniml::activation_backward_f32(x, g, g + 2, 3, miniml::ActGradGelu());
  miniml::activation_backward_f32(x, g, g + 2, 3, miniml::ActGradGeluTanh());
  miniml::add_backward_f32(g, g + 2, 2);
  miniml::concat_part_backward_f32(g, g + 2, 1, 1, 2, 1);
  const miniml::Pool2dParams pool = {1, 2, 2, 1, 1, 2, 2, 2, 2, 0, 0, 1, 1, true, 0};
  miniml::max_pool2d_backward_f32(x, g, g + 2, pool);
  miniml::avg_pool2d_backward_f32(g, g + 2, pool);
  miniml::global_avg_pool_backward_f32(g, g + 2, 1, 2);
  const miniml::Conv2dParams conv = {1, 1, 3, 2, 1, 2, 1, 2, 1, 1, 0, 0, 1, 1, 1};
  miniml::conv2d_backward_input_f32<miniml::Rom>(Factory<>::kWeight, g, g + 2, conv);
  miniml::conv2d_backward_input_f32<miniml::Ram>(w, g, g + 2, conv);
  miniml::conv2d_weight_grad_f32(x, g, g + 2, conv);
  miniml::channel_sum_f32(g, 2, 1, g + 2);
  if (miniml::outer_finite_f32(g, 2, x, 3) && miniml::is_finite_f32(loss)) {
    static float m[6], corrections[2];
    const miniml::Sgd sgd = {0.1f, 0.01f};
    const miniml::SgdMomentum momentum = {0.1f, 0.9f, 0.0f, v};
    const miniml::AdamStep step = miniml::adam_step(corrections, 0.1f, 0.1f, 0.999f, 0.001f, 1e-8f, 0.0f);
    const miniml::Adam adam = {&step, m, v};
    if (miniml::linear_weight_step_finite_f32(sgd, w, x, g, 3, 2)) miniml::linear_weight_step_f32(sgd, w, x, g, 3, 2);
    if (miniml::linear_weight_step_finite_f32(momentum, w, x, g, 3, 2)) {
      miniml::linear_weight_step_f32(momentum, w, x, g, 3, 2);
    }
    if (miniml::step_finite_f32(adam, w, g, 2)) miniml::step_f32(adam, w, g, 2);
    miniml::adam_commit(corrections, step);
    miniml::step_f32(sgd, w, g, 2);
  }
  static int32_t refused = 0;
  if (!miniml::is_finite_f32(loss)) return miniml::refuse_step(&refused);
  miniml::RamStore ram(bytes, size);
  if (miniml::store_save(ram, 0, w, 24, 7) != miniml::kStoreOk) return miniml::nan_f32();
  if (miniml::store_load(ram, 0, w, 24, 7) != miniml::kStoreOk) return miniml::nan_f32();
#if defined(ARDUINO)
  miniml::EepromStore eeprom;
  miniml::store_save(eeprom, 0, w, 24, 7);
  miniml::store_load(eeprom, 0, w, 24, 7);
#endif
  return loss + miniml::max_abs_f32(w, 6) + static_cast<float>(miniml::crc32_update(0, bytes, 4) & 1UL);
}
