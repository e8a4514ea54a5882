#include "storage/family_record.h"

#include "storage/record_codec.h"

namespace latchkey {

std::string EncodeFamily(const StoredFamily& f) {
  std::string out;
  out.reserve(kRecordHeaderSize + f.sub.size() + f.client.size() + f.session.size() + f.data.size() +
              f.reason.size() + f.sealed.size() + 180);
  EncodeHeader(kFamilyRecord, f.abs_deadline_ms, &out);
  for (std::string_view s : {std::string_view(f.sub), std::string_view(f.client), std::string_view(f.session),
                             std::string_view(f.data), std::string_view(f.reason)}) {
    PutLengthPrefixed(&out, s);
  }
  PutLengthPrefixed(&out, DigestBytes(f.head_hash));
  const bool grace = f.grace_deadline_ms != 0;
  PutLengthPrefixed(&out, grace ? DigestBytes(f.prev_hash) : std::string_view());
  PutLengthPrefixed(&out, grace ? std::string_view(f.sealed) : std::string_view());
  for (int64_t t : {f.created_ms, static_cast<int64_t>(f.created_seq), f.abs_deadline_ms, f.idle_ms,
                    f.last_rotated_ms, f.grace_ms, f.grace_deadline_ms}) {
    PutFixed64(&out, static_cast<uint64_t>(t));
  }
  for (uint32_t v : {f.head_gen, f.grace_uses, f.grace_uses_allowed, f.revoked ? 1u : 0u})
    PutFixed64(&out, v);
  return out;
}

bool DecodeFamily(std::string_view key, std::string_view value, StoredFamily* f) {
  uint8_t type = 0;
  int64_t expiry = 0;
  if (key.size() != kFamilyIdBytes || !DecodeHeader(&value, &type, &expiry) || type != kFamilyRecord) {
    return false;
  }
  std::string_view strings[8];
  for (std::string_view& s : strings) {
    if (!GetLengthPrefixed(&value, &s)) return false;
  }
  const std::string_view head_hash = strings[5], prev_hash = strings[6];
  if (head_hash.size() != f->head_hash.size() ||
      (!prev_hash.empty() && prev_hash.size() != f->prev_hash.size())) {
    return false;
  }
  uint64_t fields[11];
  for (uint64_t& v : fields) {
    if (!GetFixed64(&value, &v)) return false;
  }
  if (!value.empty() || fields[10] > 1) return false;
  std::copy(key.begin(), key.end(), f->id.begin());
  f->sub.assign(strings[0]);
  f->client.assign(strings[1]);
  f->session.assign(strings[2]);
  f->data.assign(strings[3]);
  f->reason.assign(strings[4]);
  std::copy(head_hash.begin(), head_hash.end(), f->head_hash.begin());
  f->prev_hash = {};
  std::copy(prev_hash.begin(), prev_hash.end(), f->prev_hash.begin());
  f->sealed.assign(strings[7]);
  f->created_ms = static_cast<int64_t>(fields[0]);
  f->created_seq = fields[1];
  f->abs_deadline_ms = static_cast<int64_t>(fields[2]);
  f->idle_ms = static_cast<int64_t>(fields[3]);
  f->last_rotated_ms = static_cast<int64_t>(fields[4]);
  f->grace_ms = static_cast<int64_t>(fields[5]);
  f->grace_deadline_ms = static_cast<int64_t>(fields[6]);
  f->head_gen = static_cast<uint32_t>(fields[7]);
  f->grace_uses = static_cast<uint32_t>(fields[8]);
  f->grace_uses_allowed = static_cast<uint32_t>(fields[9]);
  f->revoked = fields[10] == 1;
  f->ended = false;
  return true;
}

}  // namespace latchkey
