// Power-loss-safe storage of learned parameters: two slots, a sequence number and a CRC-32, so a save
// torn at any byte leaves load() returning the last complete save.
//
// A Store is any class the user writes with three members (no base class, no virtual calls):
//   uint32_t size() const;                                  // bytes available
//   bool read(uint32_t offset, void* dst, index_t n);       // false on an I/O error
//   bool write(uint32_t offset, const void* src, index_t n);
// store_ram.h (RAM, for tests and .noinit buffers) and store_eeprom.h (Arduino EEPROM) are two.
//
// Layout at `base`: slot 0 then slot 1, each a 20-byte header and the payload:
//   magic u32 | seq u32 | payload bytes u32 | layout id u32 | crc32(seq, bytes, id, payload) u32 | payload
// A save writes the slot that does not hold the newest valid save, in this order: (1) the magic is
// overwritten with zeros, so the slot is invalid from its first written byte on; (2) the payload;
// (3) seq, size, layout id, CRC; (4) the magic, last. A slot is valid only once every byte of its magic
// is back, i.e. after everything else landed: a torn save leaves the other slot, the previous save,
// untouched and newest. The CRC catches what tearing cannot explain (bit rot, a foreign writer).
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
  kStoreTooSmall = 3  // the Store is smaller than base + store_bytes(payload)
};

// Bytes a two-slot store of `payload_bytes` needs.
constexpr uint32_t store_bytes(uint32_t payload_bytes) { return 2UL * (20UL + payload_bytes); }

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

// Reads slot `slot`'s header and checks it against the payload size and layout id, then streams its
// payload through the CRC in 16-byte pieces (no payload-sized buffer). valid=false when any check fails.
template <class Store>
inline bool slot_check(Store& store, uint32_t base, uint8_t slot, uint32_t payload_bytes, uint32_t layout_id,
                       SlotHeader* header, bool* valid) {
  *valid = false;
  const uint32_t start = base + slot * (20UL + payload_bytes);
  if (!store.read(start, header, 20)) return false;
  if (header->magic != kStoreMagic || header->bytes != payload_bytes || header->layout_id != layout_id) {
    return true;
  }
  uint32_t crc = slot_crc_of_header(*header);
  uint8_t piece[16];
  for (uint32_t done = 0; done < payload_bytes;) {
    const uint32_t left = payload_bytes - done;
    const index_t n = static_cast<index_t>(left < sizeof(piece) ? left : sizeof(piece));
    if (!store.read(start + 20UL + done, piece, n)) return false;
    crc = crc32_update(crc, piece, n);
    done += n;
  }
  *valid = crc == header->crc;
  return true;
}

// Finds the newest valid slot: *newest = 0 or 1, or 2 when none is valid. Sequence numbers compare by
// serial arithmetic, so wrapping after 2^32 saves still orders them.
template <class Store>
inline bool slot_newest(Store& store, uint32_t base, uint32_t payload_bytes, uint32_t layout_id, uint8_t* newest,
                        uint32_t* newest_seq) {
  SlotHeader h[2];
  bool valid[2];
  for (uint8_t s = 0; s < 2; ++s) {
    if (!slot_check(store, base, s, payload_bytes, layout_id, &h[s], &valid[s])) return false;
  }
  *newest = 2;
  *newest_seq = 0;
  if (valid[0] && valid[1]) {
    *newest = static_cast<int32_t>(h[1].seq - h[0].seq) > 0 ? 1 : 0;
  } else if (valid[0]) {
    *newest = 0;
  } else if (valid[1]) {
    *newest = 1;
  }
  if (*newest < 2) *newest_seq = h[*newest].seq;
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

// Reads (write=false) or writes `bytes` bytes at `offset` in index_t-sized pieces (index_t is 16-bit on
// AVR; a payload is not).
template <class Store>
inline bool store_io(Store& store, uint32_t offset, uint8_t* p, uint32_t bytes, bool write) {
  for (uint32_t done = 0; done < bytes;) {
    const uint32_t left = bytes - done;
    const index_t n = static_cast<index_t>(left < 0x4000UL ? left : 0x4000UL);
    if (!(write ? store.write(offset + done, p + done, n) : store.read(offset + done, p + done, n))) {
      return false;
    }
    done += n;
  }
  return true;
}

}  // namespace detail

// Saves `count` spans of RAM (the learned parameters), back to back, under `layout_id` (a hash of the
// model's trainable layout, so another model's save is never loaded).
template <class Store>
inline StoreResult store_save(Store& store, uint32_t base, const StoreSpan* spans, uint8_t count, uint32_t layout_id) {
  const uint32_t payload_bytes = detail::spans_bytes(spans, count);
  if (store.size() < base || store.size() - base < store_bytes(payload_bytes)) return kStoreTooSmall;
  uint8_t newest;
  uint32_t seq;
  if (!detail::slot_newest(store, base, payload_bytes, layout_id, &newest, &seq)) return kStoreIoError;
  const uint8_t slot = newest == 0 ? 1 : 0;
  const uint32_t start = base + slot * (20UL + payload_bytes);
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
  uint8_t zero[4] = {0, 0, 0, 0};
  if (!detail::store_io(store, start, zero, 4, true)) return kStoreIoError;  // (1) invalidate
  uint32_t offset = start + 20UL;
  for (uint8_t k = 0; k < count; ++k) {  // (2) payload
    if (!detail::store_io(store, offset, static_cast<uint8_t*>(spans[k].data), spans[k].bytes, true)) {
      return kStoreIoError;
    }
    offset += spans[k].bytes;
  }
  if (!detail::store_io(store, start + 4UL, reinterpret_cast<uint8_t*>(&h.seq), 16, true)) {
    return kStoreIoError;  // (3) seq..crc
  }
  if (!detail::store_io(store, start, reinterpret_cast<uint8_t*>(&h.magic), 4, true)) {
    return kStoreIoError;  // (4) commit
  }
  return kStoreOk;
}

// Loads the newest valid save into the spans (RAM). kStoreEmpty and kStoreTooSmall leave them
// untouched; so does kStoreIoError, unless the Store fails in the middle of the final copy.
template <class Store>
inline StoreResult store_load(Store& store, uint32_t base, const StoreSpan* spans, uint8_t count, uint32_t layout_id) {
  const uint32_t payload_bytes = detail::spans_bytes(spans, count);
  if (store.size() < base || store.size() - base < store_bytes(payload_bytes)) return kStoreTooSmall;
  uint8_t newest;
  uint32_t seq;
  if (!detail::slot_newest(store, base, payload_bytes, layout_id, &newest, &seq)) return kStoreIoError;
  if (newest == 2) return kStoreEmpty;
  uint32_t offset = base + newest * (20UL + payload_bytes) + 20UL;
  for (uint8_t k = 0; k < count; ++k) {
    if (!detail::store_io(store, offset, static_cast<uint8_t*>(spans[k].data), spans[k].bytes, false)) {
      return kStoreIoError;
    }
    offset += spans[k].bytes;
  }
  return kStoreOk;
}

// One contiguous buffer: the same as a single span.
template <class Store>
inline StoreResult store_save(Store& store, uint32_t base, const void* payload, uint32_t payload_bytes,
                              uint32_t layout_id) {
  const StoreSpan span = {const_cast<void*>(payload), payload_bytes};  // only read by a save
  return store_save(store, base, &span, 1, layout_id);
}

template <class Store>
inline StoreResult store_load(Store& store, uint32_t base, void* payload, uint32_t payload_bytes, uint32_t layout_id) {
  const StoreSpan span = {payload, payload_bytes};
  return store_load(store, base, &span, 1, layout_id);
}

}  // namespace miniml

#endif  // MINIML_STORE_SLOTS_H_
