#include "storage/session_record.h"

#include <openssl/crypto.h>

#include "storage/record_codec.h"

namespace latchkey {

bool StoredSession::Accepts(const Digest& hash, int64_t now_ms) const {
  if (CRYPTO_memcmp(hash.data(), id_hash.data(), hash.size()) == 0) return true;
  return grace_deadline_ms != 0 && now_ms <= grace_deadline_ms &&
         CRYPTO_memcmp(hash.data(), grace_hash.data(), hash.size()) == 0;
}

std::string EncodeSession(const StoredSession& s) {
  std::string out;
  out.reserve(kRecordHeaderSize + s.sub.size() + s.client.size() + s.data.size() + 120);
  EncodeHeader(kSessionRecord, s.deadline_ms(), &out);
  PutLengthPrefixed(&out, s.sub);
  PutLengthPrefixed(&out, s.client);
  PutLengthPrefixed(&out, s.data);
  PutLengthPrefixed(&out, DigestBytes(s.id_hash));
  PutLengthPrefixed(&out, s.grace_deadline_ms != 0 ? DigestBytes(s.grace_hash) : std::string_view());
  for (int64_t t : {s.grace_deadline_ms, s.created_ms, s.last_seen_ms, s.idle_ms, s.abs_deadline_ms}) {
    PutFixed64(&out, static_cast<uint64_t>(t));
  }
  PutFixed64(&out, s.created_seq);
  return out;
}

bool DecodeSession(std::string_view key, std::string_view value, StoredSession* s) {
  uint8_t type = 0;
  int64_t expiry = 0;
  std::string_view sub, client, data, id_hash, grace_hash;
  if (!DecodeHeader(&value, &type, &expiry) || type != kSessionRecord) return false;
  if (!GetLengthPrefixed(&value, &sub) || !GetLengthPrefixed(&value, &client) ||
      !GetLengthPrefixed(&value, &data) || !GetLengthPrefixed(&value, &id_hash) ||
      !GetLengthPrefixed(&value, &grace_hash) || id_hash.size() != s->id_hash.size() ||
      (!grace_hash.empty() && grace_hash.size() != s->grace_hash.size())) {
    return false;
  }
  uint64_t times[6];
  for (uint64_t& t : times) {
    if (!GetFixed64(&value, &t)) return false;
  }
  s->created_seq = times[5];
  if (!value.empty() || key.size() != kSessionHandleBytes) return false;  // not a record we wrote
  s->handle.assign(key);
  s->sub.assign(sub);
  s->client.assign(client);
  s->data.assign(data);
  std::copy(id_hash.begin(), id_hash.end(), s->id_hash.begin());
  s->grace_hash = {};
  std::copy(grace_hash.begin(), grace_hash.end(), s->grace_hash.begin());
  s->grace_deadline_ms = static_cast<int64_t>(times[0]);
  s->created_ms = static_cast<int64_t>(times[1]);
  s->last_seen_ms = static_cast<int64_t>(times[2]);
  s->idle_ms = static_cast<int64_t>(times[3]);
  s->abs_deadline_ms = static_cast<int64_t>(times[4]);
  s->persisted_last_seen_ms = s->last_seen_ms;
  return true;
}

}  // namespace latchkey
