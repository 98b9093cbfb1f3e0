// Host test driver for the int8 kernels: reads one request (op name, integer parameters, arrays) from stdin,
// runs the kernel, prints the output integers. Built by test_kernels.py with -Werror and ASan/UBSan.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "miniml/core_fixedpoint.h"
#include "miniml/op_conv_s8.h"
#include "miniml/op_elementwise_s8.h"
#include "miniml/op_linear_s8.h"
#include "miniml/op_pool_s8.h"
#include "miniml/op_quantize.h"

namespace {

long next() {
  long v;
  if (scanf("%ld", &v) != 1) {
    fprintf(stderr, "driver: short input\n");
    exit(2);
  }
  return v;
}

// Arrays exactly as large as the request needs (heap is fine in a host test), so ASan sees any overrun.
template <typename T>
T* read_array(long n) {
  T* p = static_cast<T*>(malloc(static_cast<size_t>(n > 0 ? n : 1) * sizeof(T)));
  for (long i = 0; i < n; ++i) p[i] = static_cast<T>(next());
  return p;
}

float bits_to_float(long bits) {
  const unsigned u = static_cast<unsigned>(bits);
  float f;
  memcpy(&f, &u, 4);
  return f;
}

void print_s8(const int8_t* p, long n) {
  for (long i = 0; i < n; ++i) printf("%d\n", p[i]);
}

}  // namespace

int main() {
  char op[32];
  if (scanf("%31s", op) != 1) return 2;
  using miniml::index_t;
  if (!strcmp(op, "mbqm")) {
    const long n = next();
    for (long i = 0; i < n; ++i) {
      const int32_t x = static_cast<int32_t>(next());
      const int32_t m = static_cast<int32_t>(next());
      const int8_t s = static_cast<int8_t>(next());
      printf("%ld\n", static_cast<long>(miniml::multiply_by_quantized_multiplier(x, m, s)));
    }
  } else if (!strcmp(op, "srdhm")) {
    // Both implementations: the int64 one (32-bit targets) and the 16x16-parts one (AVR).
    const long n = next();
    for (long i = 0; i < n; ++i) {
      const int32_t a = static_cast<int32_t>(next());
      const int32_t b = static_cast<int32_t>(next());
      const long parts = (a == b && a == INT32_MIN) ? static_cast<long>(INT32_MAX)
                                                    : static_cast<long>(miniml::detail::srdhm_parts(a, b));
      printf("%ld %ld\n", static_cast<long>(miniml::saturating_rounding_doubling_high_mul(a, b)), parts);
    }
  } else if (!strcmp(op, "linear")) {
    const long in = next(), out = next(), ozp = next(), lo = next(), hi = next();
    int8_t* x = read_array<int8_t>(in);
    int8_t* w = read_array<int8_t>(in * out);
    int32_t* b = read_array<int32_t>(out);
    int32_t* m = read_array<int32_t>(out);
    int8_t* s = read_array<int8_t>(out);
    int8_t* y = read_array<int8_t>(0);
    y = static_cast<int8_t*>(realloc(y, static_cast<size_t>(out)));
    miniml::linear_s8<miniml::Rom>(x, w, b, m, s, static_cast<int32_t>(ozp), static_cast<int32_t>(lo),
                                   static_cast<int32_t>(hi), static_cast<index_t>(in), static_cast<index_t>(out), y);
    print_s8(y, out);
  } else if (!strcmp(op, "conv2d")) {
    long p[17];
    for (int i = 0; i < 17; ++i) p[i] = next();
    const long c = p[0], h = p[1], w = p[2], oc = p[3], kh = p[4], kw = p[5], sh = p[6], sw = p[7];
    const long ph = p[8], pw = p[9], dh = p[10], dw = p[11], g = p[12];
    const long oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1, ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
    int8_t* x = read_array<int8_t>(c * h * w);
    int8_t* wt = read_array<int8_t>(oc * (c / g) * kh * kw);
    int32_t* b = read_array<int32_t>(oc);
    int32_t* m = read_array<int32_t>(oc);
    int8_t* s = read_array<int8_t>(oc);
    int8_t* y = static_cast<int8_t*>(malloc(static_cast<size_t>(oc * oh * ow)));
    if (h == 1 && kh == 1 && sh == 1 && ph == 0 && dh == 1) {
      miniml::conv1d_s8<miniml::Ram>(x, wt, b, m, s, static_cast<int32_t>(p[13]), static_cast<int32_t>(p[14]),
                                     static_cast<int32_t>(p[15]), static_cast<int32_t>(p[16]), static_cast<index_t>(c),
                                     static_cast<index_t>(w), static_cast<index_t>(oc), static_cast<index_t>(kw),
                                     static_cast<index_t>(sw), static_cast<index_t>(pw), static_cast<index_t>(dw),
                                     static_cast<index_t>(g), y);
    } else {
      miniml::conv2d_s8<miniml::Rom>(x, wt, b, m, s, static_cast<int32_t>(p[13]), static_cast<int32_t>(p[14]),
                                     static_cast<int32_t>(p[15]), static_cast<int32_t>(p[16]), static_cast<index_t>(c),
                                     static_cast<index_t>(h), static_cast<index_t>(w), static_cast<index_t>(oc),
                                     static_cast<index_t>(kh), static_cast<index_t>(kw), static_cast<index_t>(sh),
                                     static_cast<index_t>(sw), static_cast<index_t>(ph), static_cast<index_t>(pw),
                                     static_cast<index_t>(dh), static_cast<index_t>(dw), static_cast<index_t>(g), y);
    }
    print_s8(y, oc * oh * ow);
  } else if (!strcmp(op, "maxpool2d") || !strcmp(op, "avgpool2d")) {
    long p[11];
    for (int i = 0; i < 11; ++i) p[i] = next();
    const long c = p[0], h = p[1], w = p[2];
    const long oh = (h + 2 * p[7] - p[3]) / p[5] + 1, ow = (w + 2 * p[8] - p[4]) / p[6] + 1;
    int8_t* x = read_array<int8_t>(c * h * w);
    int8_t* y = static_cast<int8_t*>(malloc(static_cast<size_t>(c * oh * ow)));
    index_t q[9];
    for (int i = 0; i < 9; ++i) q[i] = static_cast<index_t>(p[i]);
    const int32_t lo = static_cast<int32_t>(p[9]), hi = static_cast<int32_t>(p[10]);
    if (op[0] == 'm') {
      if (h == 1 && p[3] == 1 && p[5] == 1 && p[7] == 0) {
        miniml::max_pool1d_s8(x, q[0], q[2], q[4], q[6], q[8], lo, hi, y);
      } else {
        miniml::max_pool2d_s8(x, q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], lo, hi, y);
      }
    } else {
      if (h == 1 && p[3] == 1 && p[5] == 1 && p[7] == 0) {
        miniml::avg_pool1d_s8(x, q[0], q[2], q[4], q[6], q[8], lo, hi, y);
      } else {
        miniml::avg_pool2d_s8(x, q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], lo, hi, y);
      }
    }
    print_s8(y, c * oh * ow);
  } else if (!strcmp(op, "add")) {
    long p[13];
    for (int i = 0; i < 13; ++i) p[i] = next();
    const long n = p[0];
    int8_t* a = read_array<int8_t>(n);
    int8_t* b = read_array<int8_t>(n);
    int8_t* y = static_cast<int8_t*>(malloc(static_cast<size_t>(n)));
    miniml::add_s8(a, b, static_cast<index_t>(n), static_cast<int32_t>(p[1]), static_cast<int32_t>(p[2]),
                   static_cast<int8_t>(p[3]), static_cast<int32_t>(p[4]), static_cast<int32_t>(p[5]),
                   static_cast<int8_t>(p[6]), static_cast<int32_t>(p[7]), static_cast<int8_t>(p[8]),
                   static_cast<int32_t>(p[9]), static_cast<int32_t>(p[10]), static_cast<int32_t>(p[11]), y);
    print_s8(y, n);
  } else if (!strcmp(op, "mul")) {
    long p[8];
    for (int i = 0; i < 8; ++i) p[i] = next();
    const long n = p[0];
    int8_t* a = read_array<int8_t>(n);
    int8_t* b = read_array<int8_t>(n);
    int8_t* y = static_cast<int8_t*>(malloc(static_cast<size_t>(n)));
    miniml::mul_s8(a, b, static_cast<index_t>(n), static_cast<int32_t>(p[1]), static_cast<int32_t>(p[2]),
                   static_cast<int32_t>(p[3]), static_cast<int8_t>(p[4]), static_cast<int32_t>(p[5]),
                   static_cast<int32_t>(p[6]), static_cast<int32_t>(p[7]), y);
    print_s8(y, n);
  } else if (!strcmp(op, "add_channel") || !strcmp(op, "mul_channel")) {
    long p[13];
    for (int i = 0; i < 13; ++i) p[i] = next();
    const long c = p[0], inner = p[1];
    int8_t* a = read_array<int8_t>(c * inner);
    int8_t* b = read_array<int8_t>(c);
    int8_t* y = static_cast<int8_t*>(malloc(static_cast<size_t>(c * inner)));
    const index_t ci = static_cast<index_t>(c), ii = static_cast<index_t>(inner);
    if (op[0] == 'a') {
      miniml::add_channel_s8(a, b, ci, ii, static_cast<int32_t>(p[2]), static_cast<int32_t>(p[3]),
                             static_cast<int8_t>(p[4]), static_cast<int32_t>(p[5]), static_cast<int32_t>(p[6]),
                             static_cast<int8_t>(p[7]), static_cast<int32_t>(p[8]), static_cast<int8_t>(p[9]),
                             static_cast<int32_t>(p[10]), static_cast<int32_t>(p[11]), static_cast<int32_t>(p[12]), y);
    } else {
      miniml::mul_channel_s8(a, b, ci, ii, static_cast<int32_t>(p[2]), static_cast<int32_t>(p[3]),
                             static_cast<int32_t>(p[4]), static_cast<int8_t>(p[5]), static_cast<int32_t>(p[6]),
                             static_cast<int32_t>(p[7]), static_cast<int32_t>(p[8]), y);
    }
    print_s8(y, c * inner);
  } else if (!strcmp(op, "concat_part")) {
    long p[8];
    for (int i = 0; i < 8; ++i) p[i] = next();
    const long outer = p[0], part = p[1], total = p[2];
    int8_t* x = read_array<int8_t>(outer * part);
    int8_t* y = static_cast<int8_t*>(calloc(static_cast<size_t>(outer * total), 1));
    miniml::concat_part_s8(x, y, static_cast<index_t>(outer), static_cast<index_t>(part), static_cast<index_t>(total),
                           static_cast<index_t>(p[3]), static_cast<int32_t>(p[4]), static_cast<int32_t>(p[5]),
                           static_cast<int8_t>(p[6]), static_cast<int32_t>(p[7]));
    print_s8(y, outer * total);
  } else if (!strcmp(op, "clamp")) {
    const long n = next(), lo = next(), hi = next();
    int8_t* a = read_array<int8_t>(n);
    miniml::clamp_s8(a, static_cast<index_t>(n), static_cast<int32_t>(lo), static_cast<int32_t>(hi), a);
    print_s8(a, n);
  } else if (!strcmp(op, "quantize")) {
    const long n = next();
    const float scale = bits_to_float(next());
    const long zp = next();
    float* x = static_cast<float*>(malloc(static_cast<size_t>(n) * sizeof(float)));
    for (long i = 0; i < n; ++i) x[i] = bits_to_float(next());
    int8_t* y = static_cast<int8_t*>(malloc(static_cast<size_t>(n)));
    miniml::quantize_s8(x, static_cast<index_t>(n), scale, static_cast<int32_t>(zp), y);
    print_s8(y, n);
  } else if (!strcmp(op, "dequantize")) {
    const long n = next();
    const float scale = bits_to_float(next());
    const long zp = next();
    int8_t* x = read_array<int8_t>(n);
    float* y = static_cast<float*>(malloc(static_cast<size_t>(n) * sizeof(float)));
    miniml::dequantize_s8(x, static_cast<index_t>(n), scale, static_cast<int32_t>(zp), y);
    for (long i = 0; i < n; ++i) {
      unsigned u;
      memcpy(&u, &y[i], 4);
      printf("%u\n", u);
    }
  } else {
    fprintf(stderr, "driver: unknown op %s\n", op);
    return 2;
  }
  return 0;
}
