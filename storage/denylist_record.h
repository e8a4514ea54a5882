// How the denylist's records are laid out in RocksDB's `denylist` column family, and the fingerprint
// that stands for an (iss, jti) pair in memory.
//
//   jti entry   key:   'j' | fingerprint (8 bytes, big-endian) | varint32 len(iss) | iss | jti
//               value: header (kDenyRecord, expiry = exp + leeway in ms) | exp (fixed64, seconds) |
//                      length-prefixed sub | length-prefixed reason | added at (fixed64, ms)
//   watermark   key:   'w' | scope (1 byte) | id
//               value: header (kWatermarkRecord, expiry) | value (fixed64, seconds)
//
// Keys of entries sort by fingerprint, so DENY.SCAN's cursor is a fingerprint. The fingerprint is
// XXH3-64 of (iss, jti) under a per-database random seed (so nobody can aim collisions at another
// token's entry without knowing it), never 0.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/watermark.h"

namespace latchkey {

inline constexpr uint8_t kDenyRecord = 48;
inline constexpr uint8_t kWatermarkRecord = 49;
inline constexpr char kJtiKeyTag = 'j';
inline constexpr char kWatermarkKeyTag = 'w';

uint64_t DenyFingerprint(uint64_t seed, std::string_view iss, std::string_view jti);

std::string EncodeJtiKey(uint64_t fingerprint, std::string_view iss, std::string_view jti);
// The first key of entries whose fingerprint is >= `fingerprint`.
std::string JtiKeyFrom(uint64_t fingerprint);
// False if `key` is not a well-formed entry key.
bool DecodeJtiKey(std::string_view key, uint64_t* fingerprint, std::string_view* iss, std::string_view* jti);

struct JtiRecord {
  int64_t deadline_ms = 0;  // exp + leeway
  int64_t exp_s = 0;
  std::string_view sub, reason;
  int64_t added_ms = 0;
};
std::string EncodeJtiRecord(const JtiRecord& r);
// False if malformed; the views point into `value`.
bool DecodeJtiRecord(std::string_view value, JtiRecord* r);

std::string EncodeWatermarkKey(WatermarkScope scope, std::string_view id);
bool DecodeWatermarkKey(std::string_view key, WatermarkScope* scope, std::string_view* id);
std::string EncodeWatermarkRecord(int64_t value_s, int64_t deadline_ms);
bool DecodeWatermarkRecord(std::string_view value, int64_t* value_s, int64_t* deadline_ms);

}  // namespace latchkey
