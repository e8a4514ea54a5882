// TokenKeyring: the HMAC-SHA256 keys that sign refresh tokens (SPEC §4), each under a one-byte key id
// (kid) that every token carries. The first key listed signs new tokens; every key verifies, so keys
// rotate without logging anyone out: put the new key first, and drop the old one once no family signed
// under it can still be live (after the longest absolute deadline).
//
// The keys come from `rtoken-keys kid:hex ...` (kid 0-255 in decimal, 32 to 128 hex digits), or, with
// none configured, from the file `rtoken.keys` in the data directory, created with one random key (mode
// 0600) on the first start. A lost key file makes every outstanding refresh token invalid (BADTOKEN):
// SAVE copies it into each checkpoint.
//
// Thread-safety: immutable once built; const methods are safe to call concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "storage/status.h"

namespace latchkey {

class TokenKeyring {
 public:
  static constexpr size_t kMinKeyBytes = 16;
  static constexpr size_t kMaxKeyBytes = 64;
  static constexpr std::string_view kFileName = "rtoken.keys";

  TokenKeyring() = default;
  ~TokenKeyring();
  TokenKeyring(const TokenKeyring&) = delete;
  TokenKeyring& operator=(const TokenKeyring&) = delete;

  // Parses "kid:hex kid:hex ..." (words separated by spaces or newlines); the first key signs.
  static Status Parse(std::string_view words, std::unique_ptr<TokenKeyring>* out);
  // Reads `dir`/rtoken.keys, or, when it does not exist and `may_create`, creates it (atomically:
  // written, synced, then renamed into place) with one random key under kid 1. The caller refuses
  // creation when families already exist: a new key would silently invalidate all their tokens.
  static Status LoadOrCreate(const std::string& dir, bool may_create, std::unique_ptr<TokenKeyring>* out);

  uint8_t signing_kid() const { return signing_kid_; }
  bool Has(uint8_t kid) const { return macs_[kid] != nullptr; }
  // The first 16 bytes of HMAC-SHA256(key[kid], data) into `tag`. REQUIRES: Has(kid).
  void Tag(uint8_t kid, std::string_view data, uint8_t* tag) const;

 private:
  struct MacContext;  // a keyed HMAC context, copied for each tag
  Status Add(uint8_t kid, std::string_view key);

  std::array<std::unique_ptr<MacContext>, 256> macs_;
  uint8_t signing_kid_ = 0;
  bool empty_ = true;
};

}  // namespace latchkey
