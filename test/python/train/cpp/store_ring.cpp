// The ring of slots in store_slots.h: (1) wear: SAVES saves of PAYLOAD changing bytes into a REGION-byte
// region, counting the writes that reach each cell (torn_store.h counts them per cell); (2) power cuts at every
// written byte of every save while the ring wraps (a 5-slot region), each load the previous or the new save;
// (3) the region's bounds: bytes past `region` are never touched. Args: PAYLOAD REGION SAVES.
// Prints "slots N saves S max_cell_writes M" and "cases C failures F".
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "miniml/store_ram.h"
#include "miniml/store_slots.h"
#include "torn_store.h"

namespace {

const uint32_t kLayout = 0x5EED1234UL, kMaxBytes = TornStore::kMaxCells;
int failures = 0;
long cases = 0;

#define CHECK(cond)                                  \
  do {                                               \
    if (!(cond)) {                                   \
      printf("FAIL line %d: %s\n", __LINE__, #cond); \
      ++failures;                                    \
    }                                                \
  } while (0)

// Save number `i`'s payload: every byte differs from save i-1's (the worst case for wear).
void payload_of(long i, uint8_t* p, uint32_t n) {
  for (uint32_t k = 0; k < n; ++k) p[k] = static_cast<uint8_t>(i * 7 + k * 13 + 1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  const uint32_t payload = static_cast<uint32_t>(atol(argv[1])), region = static_cast<uint32_t>(atol(argv[2]));
  const long saves = atol(argv[3]);
  const uint32_t base = 16;  // the ring need not start at 0
  static uint8_t bytes[kMaxBytes], want[kMaxBytes], got[kMaxBytes], prev[kMaxBytes];
  if (payload > 1024 || base + region > kMaxBytes) return 2;

  {  // (1) wear
    static TornStore store(bytes, base + region);
    miniml::RamStore(bytes, base + region).erase();
    for (long i = 0; i < saves; ++i) {
      payload_of(i, want, payload);
      CHECK(miniml::store_save(store, base, want, payload, kLayout) == miniml::kStoreOk);
    }
    CHECK(miniml::store_load(store, base, got, payload, kLayout) == miniml::kStoreOk);
    CHECK(memcmp(got, want, payload) == 0);
    CHECK(store.max_cell_writes(0, base) == 0);
    printf("slots %lu saves %ld max_cell_writes %lu\n",
           static_cast<unsigned long>(region / miniml::store_slot_bytes(payload)), saves,
           static_cast<unsigned long>(store.max_cell_writes(base, base + region)));
    ++cases;
  }
  {  // (2) a 5-slot region, wrapped twice and more; a cut after every byte count of every save
    const uint32_t ring = 5 * miniml::store_slot_bytes(payload) + 3;
    for (long i = 0; i < 13; ++i) {
      long full = -1;
      for (long cut = -1; cut <= full; ++cut) {  // cut -1 measures the save
        TornStore store(bytes, base + ring + 8);
        miniml::RamStore(bytes, base + ring + 8).erase();
        for (long j = 0; j < i; ++j) {
          payload_of(j, want, payload);
          CHECK(miniml::store_save(store, base, want, payload, kLayout, ring) == miniml::kStoreOk);
        }
        memcpy(prev, want, payload);
        const long before = store.written();
        if (cut >= 0) store.set_budget(before + cut);
        payload_of(i, want, payload);
        CHECK(miniml::store_save(store, base, want, payload, kLayout, ring) == miniml::kStoreOk);
        if (cut < 0) {
          full = store.written() - before;
          continue;
        }
        const miniml::StoreResult r = miniml::store_load(store, base, got, payload, kLayout, ring);
        if (cut == full) {
          CHECK(r == miniml::kStoreOk && memcmp(got, want, payload) == 0);
        } else if (i == 0) {
          CHECK(r == miniml::kStoreEmpty);
        } else {
          CHECK(r == miniml::kStoreOk && memcmp(got, prev, payload) == 0);
        }
        // (3) nothing outside [base, base + ring) was written
        CHECK(store.max_cell_writes(0, base) == 0 && store.max_cell_writes(base + ring, base + ring + 8) == 0);
        ++cases;
      }
    }
  }
  printf("cases %ld failures %d\n", cases, failures);
  return failures == 0 ? 0 : 1;
}
