// StoredFamily: one refresh-token family (SPEC §4) as TokenFamilies keeps it, and its RocksDB record in
// the `families` column family.
//
// Record key: the 12-byte family id. Value: the shared header (kFamilyRecord, expiry = the absolute
// deadline: a family, live, idle-expired or revoked, is kept until then, so a late token is answered
// EXPIRED or REVOKED rather than NOTFOUND) followed by sub, client, session handle, data, revocation
// reason, SHA-256(head secret), SHA-256(previous secret) or empty, the sealed successor or empty, then
// fixed64 fields: created, created sequence, absolute deadline, idle TTL, last rotation, grace TTL,
// grace deadline, and fixed32-in-fixed64 fields: head generation, grace uses, grace uses allowed,
// revoked flag. No secret and no token is stored.
//
// Thread-safety: plain data; the owning shard's lock guards it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "storage/refresh_token.h"
#include "storage/secrets.h"

namespace latchkey {

struct StoredFamily {
  FamilyId id{};
  std::string sub, client, session, data;
  std::string reason;  // why it was revoked (empty while not revoked)
  bool revoked = false;
  int64_t created_ms = 0;
  uint64_t created_seq = 0;  // store-wide creation order: ties within one millisecond
  int64_t abs_deadline_ms = 0;
  int64_t idle_ms = 0;
  int64_t last_rotated_ms = 0;  // issue or last rotation: the idle deadline counts from here
  uint32_t head_gen = 0;
  Digest head_hash{};  // SHA-256 of the head token's secret
  // The grace window, open after a rotation until grace_deadline_ms (0: closed).
  int64_t grace_ms = 0;  // the family's window length
  uint32_t grace_uses_allowed = 0;
  Digest prev_hash{};  // SHA-256 of the predecessor's secret
  std::string sealed;  // the head token sealed under the predecessor (refresh_token.h)
  int64_t grace_deadline_ms = 0;
  uint32_t grace_uses = 0;
  // Memory only: no longer live (revoked, or marked idle-expired by active expiry, whose clock may
  // have read a later instant than a command still holding an earlier one).
  bool ended = false;

  int64_t idle_deadline_ms() const { return std::min(last_rotated_ms + idle_ms, abs_deadline_ms); }
  // Live: not ended, not revoked and not past its idle (hence absolute) deadline; a deadline equal to
  // now is live.
  bool LiveAt(int64_t now_ms) const { return !ended && !revoked && now_ms <= idle_deadline_ms(); }
  void CloseGrace() {
    prev_hash = {};
    sealed.clear();
    sealed.shrink_to_fit();
    grace_deadline_ms = 0;
    grace_uses = 0;
  }
};

std::string EncodeFamily(const StoredFamily& family);
// Parses a record (key = family id) into *family; false if malformed.
bool DecodeFamily(std::string_view key, std::string_view value, StoredFamily* family);

}  // namespace latchkey
