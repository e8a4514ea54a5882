#include "storage/record_codec.h"

#include <cstring>

namespace latchkey {

void PutVarint32(std::string* out, uint32_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint32(std::string_view* in, uint32_t* v) {
  uint32_t result = 0;
  for (int shift = 0; shift <= 28 && !in->empty(); shift += 7) {
    const auto byte = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    result |= static_cast<uint32_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

void PutLengthPrefixed(std::string* out, std::string_view s) {
  PutVarint32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

bool GetLengthPrefixed(std::string_view* in, std::string_view* s) {
  uint32_t len = 0;
  if (!GetVarint32(in, &len) || in->size() < len) return false;
  *s = in->substr(0, len);
  in->remove_prefix(len);
  return true;
}

void PutFixed64(std::string* out, uint64_t v) {
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(v >> (8 * i));
  out->append(bytes, sizeof(bytes));
}

bool GetFixed64(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  uint64_t result = 0;
  for (int i = 0; i < 8; ++i) result |= static_cast<uint64_t>(static_cast<uint8_t>((*in)[i])) << (8 * i);
  in->remove_prefix(8);
  *v = result;
  return true;
}

void EncodeHeader(uint8_t type, int64_t expire_at_ms, std::string* out) {
  out->push_back(static_cast<char>(kRecordFormatVersion));
  out->push_back(static_cast<char>(type));
  PutFixed64(out, static_cast<uint64_t>(expire_at_ms));
}

bool DecodeHeader(std::string_view* in, uint8_t* type, int64_t* expire_at_ms) {
  if (in->size() < kRecordHeaderSize || static_cast<uint8_t>((*in)[0]) != kRecordFormatVersion) return false;
  *type = static_cast<uint8_t>((*in)[1]);
  in->remove_prefix(2);
  uint64_t bits = 0;
  GetFixed64(in, &bits);
  *expire_at_ms = static_cast<int64_t>(bits);
  return true;
}

std::string EncodeKvKey(uint16_t physical_db, std::string_view key) {
  std::string out = KvRangeStart(physical_db);
  out.append(key);
  return out;
}

std::string KvRangeStart(uint16_t physical_db) {
  return std::string{static_cast<char>(physical_db >> 8), static_cast<char>(physical_db & 0xff)};
}

std::string KvRangeEnd(uint16_t physical_db) {
  if (physical_db == UINT16_MAX) return std::string(3, '\xff');
  return KvRangeStart(static_cast<uint16_t>(physical_db + 1));
}

bool DecodeKvKey(std::string_view encoded, uint16_t* physical_db, std::string_view* key) {
  if (encoded.size() < 2) return false;
  *physical_db =
      static_cast<uint16_t>((static_cast<uint8_t>(encoded[0]) << 8) | static_cast<uint8_t>(encoded[1]));
  *key = encoded.substr(2);
  return true;
}

void EncodeValue(const Value& value, int64_t expire_at_ms, std::string* out) {
  out->push_back(static_cast<char>(kRecordFormatVersion));
  out->push_back(static_cast<char>(TypeOf(value)));
  char deadline[8];
  const uint64_t bits = static_cast<uint64_t>(expire_at_ms);
  for (int i = 0; i < 8; ++i) deadline[i] = static_cast<char>(bits >> (8 * i));
  out->append(deadline, sizeof(deadline));
  switch (TypeOf(value)) {
    case ValueType::kString:
      out->append(std::get<std::string>(value));
      break;
    case ValueType::kHash:
      for (const auto& [field, v] : std::get<HashValue>(value)) {
        PutLengthPrefixed(out, field);
        PutLengthPrefixed(out, v);
      }
      break;
    case ValueType::kSet:
      for (const auto& member : std::get<SetValue>(value)) PutLengthPrefixed(out, member);
      break;
  }
}

bool PeekExpiry(std::string_view encoded, int64_t* expire_at_ms) {
  if (encoded.size() < kRecordHeaderSize || static_cast<uint8_t>(encoded[0]) != kRecordFormatVersion) {
    return false;
  }
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits |= static_cast<uint64_t>(static_cast<uint8_t>(encoded[2 + i])) << (8 * i);
  *expire_at_ms = static_cast<int64_t>(bits);
  return true;
}

bool DecodeValue(std::string_view encoded, Value* value, int64_t* expire_at_ms) {
  if (!PeekExpiry(encoded, expire_at_ms)) return false;
  const auto type = static_cast<ValueType>(static_cast<uint8_t>(encoded[1]));
  std::string_view payload = encoded.substr(kRecordHeaderSize);
  switch (type) {
    case ValueType::kString:
      value->emplace<std::string>(payload);
      return true;
    case ValueType::kHash: {
      HashValue& hash = value->emplace<HashValue>();
      std::string_view field, v;
      while (!payload.empty()) {
        if (!GetLengthPrefixed(&payload, &field) || !GetLengthPrefixed(&payload, &v)) return false;
        hash.emplace(field, v);
      }
      return true;
    }
    case ValueType::kSet: {
      SetValue& set = value->emplace<SetValue>();
      std::string_view member;
      while (!payload.empty()) {
        if (!GetLengthPrefixed(&payload, &member)) return false;
        set.emplace(member);
      }
      return true;
    }
  }
  return false;
}

}  // namespace latchkey
