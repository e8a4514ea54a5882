// How keys and values are laid out in RocksDB.
//
// Generic keys live in column family `kv` under  [physical db id: 2 bytes, big-endian][key bytes],
// so one database is one contiguous key range (FLUSHDB is one DeleteRange). The logical database that
// SELECT names maps to a physical id through the `meta` column family, so SWAPDB rewrites two small
// records instead of every key.
//
// Every value starts with a fixed header, so the compaction filter can drop expired records without
// decoding anything else:
//
//   byte 0      format version (kRecordFormatVersion)
//   byte 1      ValueType
//   bytes 2-9   absolute expiry, Unix ms, little-endian int64 (0: none)
//   bytes 10-   payload: a string's bytes; for a hash or set, a sequence of length-prefixed strings
//               (varint32 length, bytes): field, value, field, value... or member, member...
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/value.h"

namespace latchkey {

inline constexpr uint8_t kRecordFormatVersion = 1;
inline constexpr size_t kRecordHeaderSize = 10;

// The RocksDB key of `key` in physical database `physical_db`.
std::string EncodeKvKey(uint16_t physical_db, std::string_view key);
// The first key of a physical database's range, and the first key past it.
std::string KvRangeStart(uint16_t physical_db);
std::string KvRangeEnd(uint16_t physical_db);
// Splits an encoded key; false if it is too short.
bool DecodeKvKey(std::string_view encoded, uint16_t* physical_db, std::string_view* key);

// Appends the header and payload for `value` expiring at `expire_at_ms` to *out.
void EncodeValue(const Value& value, int64_t expire_at_ms, std::string* out);
// Parses a record; false if it is malformed or of an unknown format version.
bool DecodeValue(std::string_view encoded, Value* value, int64_t* expire_at_ms);
// Reads only the header's expiry; false if the record is too short or of an unknown version.
bool PeekExpiry(std::string_view encoded, int64_t* expire_at_ms);

// Record types beyond ValueType's, for the domain column families.
inline constexpr uint8_t kSessionRecord = 16;
inline constexpr uint8_t kFamilyRecord = 17;
inline constexpr uint8_t kEventRecord = 32;

// Building blocks for the domain stores' records, which share the header above.
void EncodeHeader(uint8_t type, int64_t expire_at_ms, std::string* out);
// Consumes the header from *in; false if it is short or of an unknown version.
bool DecodeHeader(std::string_view* in, uint8_t* type, int64_t* expire_at_ms);
void PutVarint32(std::string* out, uint32_t v);
bool GetVarint32(std::string_view* in, uint32_t* v);
void PutLengthPrefixed(std::string* out, std::string_view s);
bool GetLengthPrefixed(std::string_view* in, std::string_view* s);
void PutFixed64(std::string* out, uint64_t v);
bool GetFixed64(std::string_view* in, uint64_t* v);

}  // namespace latchkey
