// Float math wrappers: <math.h> functions typed float on every target. avr-libc's expf/logf/tanhf/sqrtf/powf are
// macros for exp/log/tanh, typed double (32-bit there), so the casts keep -Wdouble-promotion clean.
#ifndef MINIML_CORE_MATH_H_
#define MINIML_CORE_MATH_H_

#include <math.h>

namespace miniml {

inline float exp_f32(float x) { return static_cast<float>(expf(x)); }
inline float log_f32(float x) { return static_cast<float>(logf(x)); }
inline float tanh_f32(float x) { return static_cast<float>(tanhf(x)); }
inline float sqrt_f32(float x) { return static_cast<float>(sqrtf(x)); }
inline float pow_f32(float x, float y) { return static_cast<float>(powf(x, y)); }

}  // namespace miniml

#endif  // MINIML_CORE_MATH_H_
