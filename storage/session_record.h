// StoredSession: one server-side session (SPEC §3) as the session store keeps it, and its RocksDB record in
// the `sessions` column family.
//
// Record key: the session's 12-byte handle. Value: the shared header (kSessionRecord, expiry = the
// effective deadline when written) followed by sub, client, data, SHA-256(id), SHA-256(previous id) or
// empty, then five fixed64 times: grace deadline, created, last seen, idle TTL and absolute deadline,
// and the fixed64 creation sequence number.
// The plaintext id is never stored.
//
// Thread-safety: plain data; the owning SessionShard's lock guards it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "storage/secrets.h"

namespace latchkey {

// Handles are this many random bytes (16 base64url characters).
inline constexpr size_t kSessionHandleBytes = 12;

struct StoredSession {
  std::string handle;  // 12 random bytes (shown base64url); the record key
  std::string sub;
  std::string client;
  std::string data;
  Digest id_hash{};               // SHA-256 of the current id
  Digest grace_hash{};            // SHA-256 of the previous id while it is still accepted
  int64_t grace_deadline_ms = 0;  // until when grace_hash is accepted (0: no previous id)
  int64_t created_ms = 0;
  uint64_t created_seq = 0;  // store-wide creation order: breaks ties between sessions of one millisecond
  int64_t last_seen_ms = 0;
  int64_t idle_ms = 0;  // idle TTL
  int64_t abs_deadline_ms = 0;
  int64_t persisted_last_seen_ms = 0;  // memory only: last_seen as last written to RocksDB

  // min(last seen + idle, absolute): the session ends at this instant.
  int64_t deadline_ms() const { return std::min(last_seen_ms + idle_ms, abs_deadline_ms); }
  // A deadline equal to now is still live, as for keys.
  bool LiveAt(int64_t now_ms) const { return now_ms <= deadline_ms(); }
  // Whether `hash` opens this session at `now_ms`: the current id, or the previous one during grace.
  bool Accepts(const Digest& hash, int64_t now_ms) const;
};

// The record value for `session`.
std::string EncodeSession(const StoredSession& session);
// Parses a record (key = handle) into *session; false if malformed.
bool DecodeSession(std::string_view key, std::string_view value, StoredSession* session);

}  // namespace latchkey
