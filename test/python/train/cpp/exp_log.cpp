// train_exp_log.h on the host: reads float32 values from argv[2], writes exp_nonpositive_f32 (argv[1] "exp") or
// log_at_least_one_f32 ("log") of each to argv[3], for test_train_exp_log.py to hold against numpy.
#include <stdio.h>
#include <string.h>

#include "miniml/train_exp_log.h"
int main(int argc, char** argv) {
  if (argc != 4) return 2;
  const bool is_exp = strcmp(argv[1], "exp") == 0;
  FILE* in = fopen(argv[2], "rb");
  FILE* out = fopen(argv[3], "wb");
  if (!in || !out) return 3;
  float x;
  while (fread(&x, sizeof(x), 1, in) == 1) {
    const float y = is_exp ? miniml::exp_nonpositive_f32(x) : miniml::log_at_least_one_f32(x);
    fwrite(&y, sizeof(y), 1, out);
  }
  fclose(in);
  return fclose(out) == 0 ? 0 : 4;
}
