// Prints crc32_update over prefixes 0, 1, 100 and all of case.h's kData, in hex, one per line.
#include <stdio.h>

#include "case.h"
#include "miniml/store_crc32.h"

int main() {
  const unsigned lens[4] = {0, 1, 100, kLen};
  for (int i = 0; i < 4; ++i) printf("%lx\n", static_cast<unsigned long>(miniml::crc32_update(0, kData, lens[i])));
  return 0;
}
