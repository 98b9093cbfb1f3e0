// Power-loss-safe storage of learned parameters: a ring of slots, each with a sequence number and a CRC-32,
// so a save torn at any byte leaves load() returning the last complete save.
//
// A Store is any class the user writes with three members (no base class, no virtual calls):
//   uint32_t size() const;                                  // bytes available
//   bool read(uint32_t offset, void* dst, index_t n);       // false on an I/O error
//   bool write(uint32_t offset, const void* src, index_t n);
// store_ram.h (RAM, for tests and .noinit buffers) and store_eeprom.h (Arduino EEPROM) are two.
//
// Layout at `base`: as many slots as fit in the region (from base to the store's end, or `region` bytes),
// at least two, each a 20-byte header and the payload:
//   magic u32 | seq u32 | payload bytes u32 | layout id u32 | crc32(seq, bytes, id, payload) u32 | payload
// The newest valid slot (highest seq) is the save; the next save goes to the slot after it in the ring,
// which holds the oldest save, in this order: (1) one byte of its magic (the next of the four at each
// visit of the slot) is zeroed, so the slot is invalid from its first written byte on; (2) the payload;
// (3) seq, size, layout id, CRC; (4) the magic, last. A slot is valid only once every byte of its magic is
// back, i.e. after everything else landed: a torn save leaves the newest slot, the previous save,
// untouched. Bytes are written only where they change (as EEPROM's update()), so a save writes each cell
// of its slot at most once, but for the magic byte it zeroes (twice; a different byte at each visit): with
// N slots a cell sees about one write per N saves (docs/learning.md: the expected life). The CRC catches
// what tearing cannot explain (bit rot, a foreign writer).
#ifndef MINIML_STORE_SLOTS_H_
#define MINIML_STORE_SLOTS_H_

#include <stdint.h>
#include <string.h>

#include "core_types.h"
#include "store_crc32.h"

namespace miniml {

enum StoreResult : uint8_t {
  kStoreOk = 0,       // saved, or loaded the newest valid save
  kStoreEmpty = 1,    // load: no valid save for this layout (erased, torn first save, corrupt); untouched
  kStoreIoError = 2,  // the Store's read or write returned false
  kStoreTooSmall = 3  // the region at base holds fewer than two slots (store_bytes(payload))
};

// Bytes of one slot: the 20-byte header and the payload.
constexpr uint32_t store_slot_bytes(uint32_t payload_bytes) { return 20UL + payload_bytes; }
// The least a store of `payload_bytes` needs: two slots. A larger region holds more slots: less wear.
constexpr uint32_t store_bytes(uint32_t payload_bytes) { return 2UL * store_slot_bytes(payload_bytes); }

namespace detail {

// 'M','L','1','w' in memory: no zero byte, so any byte of the invalidation in step (1) breaks it, and no
// 0xFF byte, so erased EEPROM is never valid.
const uint32_t kStoreMagic = 0x77314C4DUL;

struct SlotHeader {
  uint32_t magic;
  uint32_t seq;
  uint32_t bytes;
  uint32_t layout_id;
  uint32_t crc;
};

inline uint32_t slot_crc_of_header(const SlotHeader& h) {
  return crc32_update(0, &h.seq, 12);  // seq, bytes, layout_id: contiguous uint32_t, no padding
}

// Slots in the ring: as many as fit from `base` to the store's end, or in `region` bytes when that is less.
template <class Store>
inline uint32_t ring_slots(Store& store, uint32_t base, uint32_t region, uint32_t payload_bytes) {
  if (store.size() < base) return 0;
  uint32_t room = store.size() - base;
  if (region != 0 && region < room) room = region;
  return room / store_slot_bytes(payload_bytes);
}

// (seq, slot) order: sequence numbers by serial arithmetic, so wrapping after 2^32 saves still orders them
// (a ring's valid slots are always within a few saves of each other); the slot index breaks a tie.
inline bool slot_older(uint32_t seq_a, uint32_t slot_a, uint32_t seq_b, uint32_t slot_b) {
  const int32_t d = static_cast<int32_t>(seq_a - seq_b);
  return d < 0 || (d == 0 && slot_a < slot_b);
}

// Reads the header at `start`; *match when its magic, payload size and layout id are this save's.
template <class Store>
inline bool slot_header(Store& store, uint32_t start, uint32_t payload_bytes, uint32_t layout_id, SlotHeader* header,
                        bool* match) {
  if (!store.read(start, header, 20)) return false;
  *match = header->magic == kStoreMagic && header->bytes == payload_bytes && header->layout_id == layout_id;
  return true;
}

// Streams the payload at `start` through the CRC in 16-byte pieces (no payload-sized buffer).
template <class Store>
inline bool slot_crc_ok(Store& store, uint32_t start, const SlotHeader& header, bool* valid) {
  uint32_t crc = slot_crc_of_header(header);
  uint8_t piece[16];
  for (uint32_t done = 0; done < header.bytes;) {
    const uint32_t left = header.bytes - done;
    const index_t n = static_cast<index_t>(left < sizeof(piece) ? left : sizeof(piece));
    if (!store.read(start + 20UL + done, piece, n)) return false;
    crc = crc32_update(crc, piece, n);
    done += n;
  }
  *valid = crc == header.crc;
  return true;
}

// Finds the newest valid slot: headers first (cheap), then the CRC of the newest candidate; one that fails
// it is passed over for the next older. *newest = slots when none is valid.
template <class Store>
inline bool slot_newest(Store& store, uint32_t base, uint32_t slots, uint32_t payload_bytes, uint32_t layout_id,
                        uint32_t* newest, uint32_t* newest_seq) {
  const uint32_t step = store_slot_bytes(payload_bytes);
  *newest = slots;
  *newest_seq = 0;
  bool bounded = false;
  uint32_t below_seq = 0, below_slot = 0;
  for (uint32_t tries = 0; tries < slots; ++tries) {  // each try rejects one candidate
    bool found = false;
    uint32_t best = 0;
    SlotHeader best_header = SlotHeader();
    for (uint32_t s = 0; s < slots; ++s) {
      SlotHeader h;
      bool match;
      if (!slot_header(store, base + s * step, payload_bytes, layout_id, &h, &match)) return false;
      if (!match || (bounded && !slot_older(h.seq, s, below_seq, below_slot))) continue;
      if (!found || slot_older(best_header.seq, best, h.seq, s)) {
        found = true;
        best = s;
        best_header = h;
      }
    }
    if (!found) return true;
    bool valid;
    if (!slot_crc_ok(store, base + best * step, best_header, &valid)) return false;
    if (valid) {
      *newest = best;
      *newest_seq = best_header.seq;
      return true;
    }
    bounded = true;
    below_seq = best_header.seq;
    below_slot = best;
  }
  return true;
}

}  // namespace detail

// One piece of RAM in a save: a model's learned parameters are several arrays saved back to back.
struct StoreSpan {
  void* data;
  uint32_t bytes;
};

namespace detail {

inline uint32_t spans_bytes(const StoreSpan* spans, uint8_t count) {
  uint32_t total = 0;
  for (uint8_t k = 0; k < count; ++k) total += spans[k].bytes;
  return total;
}

// Reads `bytes` bytes at `offset` in index_t-sized pieces (index_t is 16-bit on AVR; a payload is not).
template <class Store>
inline bool store_read(Store& store, uint32_t offset, uint8_t* p, uint32_t bytes) {
  for (uint32_t done = 0; done < bytes;) {
    const uint32_t left = bytes - done;
    const index_t n = static_cast<index_t>(left < 0x4000UL ? left : 0x4000UL);
    if (!store.read(offset + done, p + done, n)) return false;
    done += n;
  }
  return true;
}

// Writes `bytes` bytes at `offset`, skipping those the store already holds (EEPROM's update(), for any
// Store: fewer writes, less wear); changed runs are written in order, so a cut still lands a prefix.
template <class Store>
inline bool store_update(Store& store, uint32_t offset, const uint8_t* p, uint32_t bytes) {
  uint8_t old[16];
  for (uint32_t done = 0; done < bytes;) {
    const uint32_t left = bytes - done;
    const index_t n = static_cast<index_t>(left < sizeof(old) ? left : sizeof(old));
    if (!store.read(offset + done, old, n)) return false;
    for (index_t i = 0; i < n;) {
      if (old[i] == p[done + i]) {
        ++i;
        continue;
      }
      index_t j = i;
      while (j < n && old[j] != p[done + j]) ++j;
      if (!store.write(offset + done + i, p + done + i, static_cast<index_t>(j - i))) return false;
      i = j;
    }
    done += n;
  }
  return true;
}

}  // namespace detail

// Saves `count` spans of RAM (the learned parameters), back to back, under `layout_id` (a hash of the
// model's trainable layout, so another model's save is never loaded), in the ring at `base` that fills the
// store (or `region` bytes of it).
template <class Store>
inline StoreResult store_save(Store& store, uint32_t base, const StoreSpan* spans, uint8_t count, uint32_t layout_id,
                              uint32_t region = 0) {
  const uint32_t payload_bytes = detail::spans_bytes(spans, count);
  const uint32_t slots = detail::ring_slots(store, base, region, payload_bytes);
  if (slots < 2) return kStoreTooSmall;
  uint32_t newest, seq;
  if (!detail::slot_newest(store, base, slots, payload_bytes, layout_id, &newest, &seq)) {
    return kStoreIoError;
  }
  const uint32_t slot = newest < slots - 1 ? newest + 1 : 0;  // none valid (newest == slots): slot 0
  const uint32_t start = base + slot * store_slot_bytes(payload_bytes);
  detail::SlotHeader h;
  h.magic = detail::kStoreMagic;
  h.seq = seq + 1;
  h.bytes = payload_bytes;
  h.layout_id = layout_id;
  h.crc = detail::slot_crc_of_header(h);
  for (uint8_t k = 0; k < count; ++k) {
    const uint8_t* p = static_cast<const uint8_t*>(spans[k].data);
    for (uint32_t done = 0; done < spans[k].bytes;) {
      const uint32_t left = spans[k].bytes - done;
      const index_t n = static_cast<index_t>(left < 0x4000UL ? left : 0x4000UL);
      h.crc = crc32_update(h.crc, p + done, n);
      done += n;
    }
  }
  // (1) invalidate: one magic byte, the next of the four at each visit of this slot (seq / slots counts
  // the visits), so no cell takes more than one write per visit on average.
  const uint8_t zero = 0;
  if (!detail::store_update(store, start + (h.seq / slots) % 4UL, &zero, 1)) return kStoreIoError;
  uint32_t offset = start + 20UL;
  for (uint8_t k = 0; k < count; ++k) {  // (2) payload
    if (!detail::store_update(store, offset, static_cast<const uint8_t*>(spans[k].data), spans[k].bytes)) {
      return kStoreIoError;
    }
    offset += spans[k].bytes;
  }
  if (!detail::store_update(store, start + 4UL, reinterpret_cast<const uint8_t*>(&h.seq), 16)) {
    return kStoreIoError;  // (3) seq..crc
  }
  if (!detail::store_update(store, start, reinterpret_cast<const uint8_t*>(&h.magic), 4)) {
    return kStoreIoError;  // (4) commit
  }
  return kStoreOk;
}

// Loads the newest valid save into the spans (RAM). kStoreEmpty and kStoreTooSmall leave them
// untouched; so does kStoreIoError, unless the Store fails in the middle of the final copy. `region` must
// be the one the saves used.
template <class Store>
inline StoreResult store_load(Store& store, uint32_t base, const StoreSpan* spans, uint8_t count, uint32_t layout_id,
                              uint32_t region = 0) {
  const uint32_t payload_bytes = detail::spans_bytes(spans, count);
  const uint32_t slots = detail::ring_slots(store, base, region, payload_bytes);
  if (slots < 2) return kStoreTooSmall;
  uint32_t newest, seq;
  if (!detail::slot_newest(store, base, slots, payload_bytes, layout_id, &newest, &seq)) {
    return kStoreIoError;
  }
  if (newest == slots) return kStoreEmpty;
  uint32_t offset = base + newest * store_slot_bytes(payload_bytes) + 20UL;
  for (uint8_t k = 0; k < count; ++k) {
    if (!detail::store_read(store, offset, static_cast<uint8_t*>(spans[k].data), spans[k].bytes)) {
      return kStoreIoError;
    }
    offset += spans[k].bytes;
  }
  return kStoreOk;
}

// One contiguous buffer: the same as a single span.
template <class Store>
inline StoreResult store_save(Store& store, uint32_t base, const void* payload, uint32_t payload_bytes,
                              uint32_t layout_id, uint32_t region = 0) {
  const StoreSpan span = {const_cast<void*>(payload), payload_bytes};  // only read by a save
  return store_save(store, base, &span, 1, layout_id, region);
}

template <class Store>
inline StoreResult store_load(Store& store, uint32_t base, void* payload, uint32_t payload_bytes, uint32_t layout_id,
                              uint32_t region = 0) {
  const StoreSpan span = {payload, payload_bytes};
  return store_load(store, base, &span, 1, layout_id, region);
}

}  // namespace miniml

#endif  // MINIML_STORE_SLOTS_H_
