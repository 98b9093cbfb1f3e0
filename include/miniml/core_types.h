// Shared basic types. Activations everywhere are PyTorch's memory order for batch 1: channels first
// ([C][L] for 1-D, [C][H][W] for 2-D), flat and contiguous.
#ifndef MINIML_CORE_TYPES_H_
#define MINIML_CORE_TYPES_H_

#include <stdint.h>

// Kernel entry points that choose a path by their shape: always inlined, so the constant shapes of
// generated code make the choice at compile time and only the chosen path is linked (flash).
#ifndef MINIML_ALWAYS_INLINE
#if defined(__GNUC__)
#define MINIML_ALWAYS_INLINE __attribute__((always_inline)) inline
#else
#define MINIML_ALWAYS_INLINE inline
#endif
#endif

// Unoptimised builds (-O0) take the plain C kernels instead of the DSP asm: there arm-none-eabi-gcc cannot place
// the depthwise asm's operands ("impossible constraints"), and with -mfloat-abi=hard it then ran for minutes.
// The plain path computes the same integers (it is the reference the DSP kernels are tested against).
#if defined(__GNUC__) && !defined(__OPTIMIZE__) && !defined(MINIML_NO_DSP)
#define MINIML_NO_DSP
#endif

// MINIML_OPTIMIZE_SPEED (export option optimize="speed", which the generated header defines): kernels that are
// faster but bigger in flash, e.g. core_float_avr.h's float multiply-accumulate. Off by default (size), like -Os;
// results are bit-identical either way.

namespace miniml {

// Sizes, counts and indices. 16 bits on AVR (int is 16-bit there and nothing larger fits its 2 KB SRAM or
// 32 KB flash); 32 bits elsewhere. The exporter static_asserts that every size fits.
#if defined(__AVR__)
typedef uint16_t index_t;
typedef int16_t sindex_t;
#else
typedef uint32_t index_t;
typedef int32_t sindex_t;
#endif
// sindex_t: signed positions (a kernel window may start left of the input, in the padding).

}  // namespace miniml

#endif  // MINIML_CORE_TYPES_H_
