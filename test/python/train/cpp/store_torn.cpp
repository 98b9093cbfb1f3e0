// Torn-write, corruption and empty-store checks of store_slots.h over a TornStore (torn_store.h: loses
// power after a byte budget, each byte landing or not, in order, like EEPROM byte writes). Exits 0 and
// prints "cases N" only if every case holds; any failure prints it and exits 1.
#include <stdio.h>
#include <string.h>

#include "miniml/store_crc32.h"
#include "miniml/store_ram.h"
#include "miniml/store_slots.h"
#include "torn_store.h"

namespace {

const uint32_t kFloats = 7, kPayload = kFloats * 4, kBase = 3, kLayout = 0xA5A5F00DUL;
const uint32_t kBytes = kBase + miniml::store_bytes(kPayload) + 5;
int failures = 0;
long cases = 0;

#define CHECK(cond)                                                 \
  do {                                                              \
    if (!(cond)) {                                                  \
      printf("FAIL line %d: %s (cut %ld)\n", __LINE__, #cond, cut); \
      ++failures;                                                   \
    }                                                               \
  } while (0)

void fill(float* w, float seed) {
  for (uint32_t i = 0; i < kFloats; ++i) w[i] = seed + 0.25f * static_cast<float>(i);
}

bool same(const float* a, const float* b) { return memcmp(a, b, kPayload) == 0; }

}  // namespace

int main() {
  long cut = -1;
  uint8_t bytes[kBytes];
  float w0[kFloats], w1[kFloats], w2[kFloats], w3[kFloats], got[kFloats], sentinel[kFloats];
  fill(w0, 1.0f);
  fill(w1, -2.0f);
  fill(w2, 3.5f);
  fill(w3, 100.0f);
  fill(sentinel, -999.0f);

  // CRC-32 check value.
  CHECK(miniml::crc32_update(0, "123456789", 9) == 0xCBF43926UL);

  // Empty store (erased, and all zeros): kStoreEmpty, payload untouched.
  {
    miniml::RamStore ram(bytes, kBytes);
    ram.erase();
    memcpy(got, sentinel, kPayload);
    CHECK(miniml::store_load(ram, kBase, got, kPayload, kLayout) == miniml::kStoreEmpty);
    CHECK(same(got, sentinel));
    memset(bytes, 0, kBytes);
    CHECK(miniml::store_load(ram, kBase, got, kPayload, kLayout) == miniml::kStoreEmpty);
    CHECK(same(got, sentinel));
    ++cases;
  }
  // Too small.
  {
    miniml::RamStore small(bytes, kBase + miniml::store_bytes(kPayload) - 1);
    CHECK(miniml::store_save(small, kBase, w0, kPayload, kLayout) == miniml::kStoreTooSmall);
    CHECK(miniml::store_load(small, kBase, got, kPayload, kLayout) == miniml::kStoreTooSmall);
    ++cases;
  }
  // Torn first save (store erased before): every cut gives kStoreEmpty except the complete one.
  // Torn later saves: history of k complete saves (k = 1, 2, 3, so both slots take the torn write),
  // then a save cut after every byte count 0..full (full: the bytes that save writes, measured on a copy;
  // unchanged bytes are skipped): load gives the previous save, or the new one once all `full` landed.
  long torn_cases = 0;
  const float* history[4] = {w0, w1, w2, w3};
  for (int k = 0; k <= 3; ++k) {
    long full = -1;
    for (cut = -1; cut <= full + 1; ++cut) {  // cut -1: the measuring run
      TornStore store(bytes, kBytes);
      miniml::RamStore(bytes, kBytes).erase();
      for (int i = 0; i < k; ++i) {
        CHECK(miniml::store_save(store, kBase, history[i], kPayload, kLayout) == miniml::kStoreOk);
      }
      const long before = store.written();
      if (cut >= 0) store.set_budget(before + cut);
      CHECK(miniml::store_save(store, kBase, history[k], kPayload, kLayout) == miniml::kStoreOk);
      if (cut < 0) {
        full = store.written() - before;
        CHECK(full > static_cast<long>(kPayload) / 2 && full <= static_cast<long>(kPayload) + 24);
        continue;
      }
      CHECK(store.written() - before == (cut < full ? cut : full));
      memcpy(got, sentinel, kPayload);
      const miniml::StoreResult r = miniml::store_load(store, kBase, got, kPayload, kLayout);
      ++cases;
      ++torn_cases;
      if (cut >= full) {
        CHECK(r == miniml::kStoreOk && same(got, history[k]));
      } else if (k == 0) {
        CHECK(r == miniml::kStoreEmpty && same(got, sentinel));
      } else {
        CHECK(r == miniml::kStoreOk && same(got, history[k - 1]));
      }
    }
  }
  printf("torn %ld\n", torn_cases);

  // Corruption: flip each byte of the newest slot in turn (after two saves): load falls back to the
  // older save; flip a byte in both: empty. A save from another layout id is not loaded.
  for (cut = 0; cut < static_cast<long>(20 + kPayload); ++cut) {
    miniml::RamStore ram(bytes, kBytes);
    ram.erase();
    CHECK(miniml::store_save(ram, kBase, w0, kPayload, kLayout) == miniml::kStoreOk);  // slot 0
    CHECK(miniml::store_save(ram, kBase, w1, kPayload, kLayout) == miniml::kStoreOk);  // slot 1
    const uint32_t slot1 = kBase + 20 + kPayload;
    bytes[slot1 + cut] ^= 0x10;
    memcpy(got, sentinel, kPayload);
    CHECK(miniml::store_load(ram, kBase, got, kPayload, kLayout) == miniml::kStoreOk);
    CHECK(same(got, w0));
    bytes[kBase + cut] ^= 0x01;
    memcpy(got, sentinel, kPayload);
    CHECK(miniml::store_load(ram, kBase, got, kPayload, kLayout) == miniml::kStoreEmpty);
    CHECK(same(got, sentinel));
    ++cases;
  }
  {
    miniml::RamStore ram(bytes, kBytes);
    ram.erase();
    CHECK(miniml::store_save(ram, kBase, w0, kPayload, kLayout) == miniml::kStoreOk);
    memcpy(got, sentinel, kPayload);
    CHECK(miniml::store_load(ram, kBase, got, kPayload, kLayout + 1) == miniml::kStoreEmpty);
    CHECK(miniml::store_load(ram, kBase, got, kPayload - 4, kLayout) == miniml::kStoreEmpty);
    CHECK(same(got, sentinel));
    // Sequence wrap: slot 0 rewritten as seq 0xFFFFFFFF (valid CRC); the next save (seq 0, slot 1) and
    // the one after (seq 1, slot 0) must each win.
    uint32_t header[5];
    memcpy(header, bytes + kBase, 20);
    header[1] = 0xFFFFFFFFUL;
    header[4] = miniml::crc32_update(miniml::crc32_update(0, &header[1], 12), w0, kPayload);
    memcpy(bytes + kBase, header, 20);
    CHECK(miniml::store_load(ram, kBase, got, kPayload, kLayout) == miniml::kStoreOk && same(got, w0));
    for (int i = 1; i < 9; ++i) {
      CHECK(miniml::store_save(ram, kBase, history[i % 4], kPayload, kLayout) == miniml::kStoreOk);
      CHECK(miniml::store_load(ram, kBase, got, kPayload, kLayout) == miniml::kStoreOk);
      CHECK(same(got, history[i % 4]));
    }
    memcpy(header, bytes + kBase + 20 + kPayload, 20);
    CHECK(header[1] == 6UL);  // slot 1 took seq 0, 2, 4, 6
    ++cases;
  }
  {
    // Spans: a save of two arrays loads as their concatenation, and back into two arrays.
    miniml::RamStore ram(bytes, kBytes);
    ram.erase();
    float a[3], b[4];
    memcpy(a, w2, sizeof(a));
    memcpy(b, w2 + 3, sizeof(b));
    miniml::StoreSpan spans[2] = {{a, sizeof(a)}, {b, sizeof(b)}};
    CHECK(miniml::store_save(ram, kBase, spans, 2, kLayout) == miniml::kStoreOk);
    CHECK(miniml::store_load(ram, kBase, got, kPayload, kLayout) == miniml::kStoreOk && same(got, w2));
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    CHECK(miniml::store_load(ram, kBase, spans, 2, kLayout) == miniml::kStoreOk);
    CHECK(memcmp(a, w2, sizeof(a)) == 0 && memcmp(b, w2 + 3, sizeof(b)) == 0);
    ++cases;
  }
  printf("cases %ld failures %d\n", cases, failures);
  return failures == 0 ? 0 : 1;
}
