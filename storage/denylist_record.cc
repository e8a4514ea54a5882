#include "storage/denylist_record.h"

#include <xxhash.h>

#include "storage/record_codec.h"

namespace latchkey {
namespace {

void PutBigEndian64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t GetBigEndian64(std::string_view in) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

}  // namespace

uint64_t DenyFingerprint(uint64_t seed, std::string_view iss, std::string_view jti) {
  // Framed by iss's length, so ("ab", "c") and ("a", "bc") differ.
  const uint64_t iss_hash = XXH3_64bits_withSeed(iss.data(), iss.size(), seed ^ iss.size());
  const uint64_t h = XXH3_64bits_withSeed(jti.data(), jti.size(), iss_hash);
  return h != 0 ? h : 1;
}

std::string EncodeJtiKey(uint64_t fingerprint, std::string_view iss, std::string_view jti) {
  std::string key(1, kJtiKeyTag);
  key.reserve(1 + 8 + 5 + iss.size() + jti.size());
  PutBigEndian64(&key, fingerprint);
  PutLengthPrefixed(&key, iss);
  key.append(jti);
  return key;
}

std::string JtiKeyFrom(uint64_t fingerprint) {
  std::string key(1, kJtiKeyTag);
  PutBigEndian64(&key, fingerprint);
  return key;
}

bool DecodeJtiKey(std::string_view key, uint64_t* fingerprint, std::string_view* iss, std::string_view* jti) {
  if (key.size() < 9 || key[0] != kJtiKeyTag) return false;
  *fingerprint = GetBigEndian64(key.substr(1, 8));
  std::string_view rest = key.substr(9);
  if (!GetLengthPrefixed(&rest, iss)) return false;
  *jti = rest;
  return true;
}

std::string EncodeJtiRecord(const JtiRecord& r) {
  std::string out;
  EncodeHeader(kDenyRecord, r.deadline_ms, &out);
  PutFixed64(&out, static_cast<uint64_t>(r.exp_s));
  PutLengthPrefixed(&out, r.sub);
  PutLengthPrefixed(&out, r.reason);
  PutFixed64(&out, static_cast<uint64_t>(r.added_ms));
  return out;
}

bool DecodeJtiRecord(std::string_view value, JtiRecord* r) {
  uint8_t type = 0;
  uint64_t exp = 0, added = 0;
  if (!DecodeHeader(&value, &type, &r->deadline_ms) || type != kDenyRecord || !GetFixed64(&value, &exp) ||
      !GetLengthPrefixed(&value, &r->sub) || !GetLengthPrefixed(&value, &r->reason) ||
      !GetFixed64(&value, &added)) {
    return false;
  }
  r->exp_s = static_cast<int64_t>(exp);
  r->added_ms = static_cast<int64_t>(added);
  return true;
}

std::string EncodeWatermarkKey(WatermarkScope scope, std::string_view id) {
  std::string key(1, kWatermarkKeyTag);
  key.push_back(static_cast<char>(scope));
  key.append(id);
  return key;
}

bool DecodeWatermarkKey(std::string_view key, WatermarkScope* scope, std::string_view* id) {
  if (key.size() < 2 || key[0] != kWatermarkKeyTag || static_cast<uint8_t>(key[1]) > 2) return false;
  *scope = static_cast<WatermarkScope>(key[1]);
  *id = key.substr(2);
  return true;
}

std::string EncodeWatermarkRecord(int64_t value_s, int64_t deadline_ms) {
  std::string out;
  EncodeHeader(kWatermarkRecord, deadline_ms, &out);
  PutFixed64(&out, static_cast<uint64_t>(value_s));
  return out;
}

bool DecodeWatermarkRecord(std::string_view value, int64_t* value_s, int64_t* deadline_ms) {
  uint8_t type = 0;
  uint64_t v = 0;
  if (!DecodeHeader(&value, &type, deadline_ms) || type != kWatermarkRecord || !GetFixed64(&value, &v)) {
    return false;
  }
  *value_s = static_cast<int64_t>(v);
  return true;
}

}  // namespace latchkey
