// The simulated sensor of this example, the same law as readings() in model.py: raw = gain * true + offset +
// tc * (temperature - 25) + 0.05 * (supply - 3.3) + noise. The factory model was trained on generic sensors
// (gain 0.9..1.1, offset -0.5..0.5); this one is a new unit outside that range, which the last layer learns.
#ifndef SENSOR_LAW_H_
#define SENSOR_LAW_H_

#include <stdint.h>

const float kNewGain = 1.25f;
const float kNewOffset = 0.8f;
const float kNewTempCoeff = 0.03f;

// A small deterministic generator (LCG): the same readings on every board.
struct Rng {
  uint32_t state;
  float uniform() {  // [0, 1)
    state = state * 1664525UL + 1013904223UL;
    return static_cast<float>(state >> 8) * (1.0f / 16777216.0f);
  }
};

struct Reading {
  float input[3];  // model input: raw / 10, (temperature - 25) / 25, (supply - 3.3) / 0.3
  float target;    // the reference instrument's value / 10
};

inline Reading read_new_sensor(Rng& rng) {
  const float truth = 10.0f * rng.uniform();
  const float temperature = 50.0f * rng.uniform();
  const float supply = 3.0f + 0.6f * rng.uniform();
  // About N(0, 0.02): the sum of four uniforms, centred and scaled.
  const float noise = 0.02f * 1.7320508f * (rng.uniform() + rng.uniform() + rng.uniform() + rng.uniform() - 2.0f);
  const float raw =
      kNewGain * truth + kNewOffset + kNewTempCoeff * (temperature - 25.0f) + 0.05f * (supply - 3.3f) + noise;
  Reading r;
  r.input[0] = raw / 10.0f;
  r.input[1] = (temperature - 25.0f) / 25.0f;
  r.input[2] = (supply - 3.3f) / 0.3f;
  r.target = truth / 10.0f;
  return r;
}

// Mean |model - truth| in sensor units over `count` fixed test readings.
template <class ModelT>
float mean_error(ModelT& model, uint16_t count) {
  Rng rng = {12345UL};
  float sum = 0.0f;
  for (uint16_t i = 0; i < count; ++i) {
    const Reading r = read_new_sensor(rng);
    float y;
    model.predict(r.input, &y);
    const float e = y - r.target;
    sum += e < 0.0f ? -e : e;
  }
  return 10.0f * sum / static_cast<float>(count);
}

// `steps` on-device SGD steps, one reference reading each; returns the last step's loss.
template <class ModelT>
float calibrate(ModelT& model, uint16_t steps) {
  Rng rng = {777UL};
  float loss = 0.0f;
  for (uint16_t i = 0; i < steps; ++i) {
    const Reading r = read_new_sensor(rng);
    loss = model.learn(r.input, &r.target);
  }
  return loss;
}

#endif  // SENSOR_LAW_H_
