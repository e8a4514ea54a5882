// The fixture and helpers shared by the TokenFamilies unit tests (token_families_test.cc: the ROTATE
// decision table; token_families_lifecycle_test.cc: cap, revocation, listing, expiry, loading and
// concurrency): a store at explicit clock values, without a write log or events.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <latch>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "storage/family_record.h"
#include "storage/refresh_token.h"
#include "storage/secrets.h"
#include "storage/token_families.h"
#include "storage/token_keyring.h"
#include "storage/write_log.h"

namespace latchkey {

using Outcome = TokenFamilies::Outcome;

// Found by argument-dependent lookup: outcomes print by name.
inline void PrintTo(Outcome o, std::ostream* os) {
  static constexpr const char* kNames[] = {"kRotated", "kReplayed", "kBadToken", "kNotFound",
                                           "kRevoked", "kExpired",  "kMismatch", "kReused"};
  *os << kNames[static_cast<int>(o)];
}


constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kSecond = 1000, kMinute = 60 * kSecond, kHour = 60 * kMinute;

inline std::string Describe(const TokenFamilies::View& v) {
  std::ostringstream o;
  o << v.family << " sub=" << v.sub << " client=" << v.client << " session=" << v.session
    << " data=" << v.data << " reason=" << v.reason << " state=" << v.state << " gen=" << v.gen
    << " created=" << v.created_ms << " rotated=" << v.last_rotated_ms << " idle=" << v.idle_deadline_ms
    << " abs=" << v.abs_deadline_ms << " grace=" << v.grace_deadline_ms << " uses=" << v.grace_uses;
  return o.str();
}

inline FamilyId RandomFamily() {
  const std::string raw = RandomBytes(kFamilyIdBytes);
  FamilyId id;
  std::copy(raw.begin(), raw.end(), id.begin());
  return id;
}

// `text` with one bit of its body flipped, re-encoded.
inline std::string FlipBit(const std::string& text, size_t bit) {
  std::string body = Base64UrlDecode(text.substr(3)).value();
  body[bit / 8] = static_cast<char>(body[bit / 8] ^ (1 << (bit % 8)));
  return RefreshTokenText(body);
}

class NoCommitLog : public WriteLog {
 public:
  void Notify() override {}
};

class TokenFamiliesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(TokenKeyring::Parse("3:" + std::string(64, 'c'), &keys_).ok());
    store_ = std::make_unique<TokenFamilies>(nullptr, nullptr, keys_.get());
  }
  // ABS 24 h, IDLE 1 h, GRACE 10 s, GRACEUSES 3.
  static TokenFamilies::IssueOptions Options(std::string_view sub = "alice",
                                             std::string_view client = "web") {
    return {.sub = sub,
            .client = client,
            .abs_ms = 24 * kHour,
            .idle_ms = kHour,
            .grace_ms = 10 * kSecond,
            .grace_uses = 3,
            .session = "sess-handle",
            .data = "{\"scope\":\"x\"}"};
  }
  TokenFamilies::Issued Issue(int64_t now, std::string_view sub = "alice", std::string_view client = "web") {
    return store_->Issue(now, Options(sub, client));
  }
  Outcome Rotate(int64_t now, std::string_view token, std::optional<std::string_view> client = std::nullopt,
                 TokenFamilies::Rotated* out = nullptr) {
    TokenFamilies::Rotated r;
    return store_->Rotate(now, token, client, out != nullptr ? out : &r);
  }
  // Rotates (or replays) and returns the head token it answers with.
  std::string Expect(Outcome expected, int64_t now, std::string_view token) {
    TokenFamilies::Rotated r;
    EXPECT_EQ(store_->Rotate(now, token, std::nullopt, &r), expected);
    return r.token;
  }
  TokenFamilies::View Inspect(int64_t now, std::string_view token) {
    TokenFamilies::View v;
    EXPECT_EQ(Lookup(now, token), TokenFamilies::Lookup::kFound);
    store_->Inspect(now, token, &v, &presented_);
    return v;
  }
  // INSPECT's answer, and what it calls the token ("head", "grace", "stale").
  TokenFamilies::Lookup Lookup(int64_t now, std::string_view token) {
    TokenFamilies::View v;
    return store_->Inspect(now, token, &v, &presented_);
  }
  std::string_view PresentedAs(int64_t now, std::string_view token) {
    Inspect(now, token);
    return presented_;
  }
  std::vector<std::string> ListFamilies(int64_t now, std::string_view sub,
                                        std::optional<std::string_view> client = std::nullopt) {
    std::vector<std::string> out;
    for (const auto& v : store_->List(now, sub, client)) out.push_back(v.family + ":" + std::string(v.state));
    return out;
  }
  // Everything observable about `tokens` and their subject, to compare before and after.
  std::string Snapshot(int64_t now, const std::vector<std::string>& tokens, std::string_view sub = "alice") {
    return SnapshotOf(*store_, now, tokens, sub);
  }
  // With `counters` false, only what Load restores (the live and tombstone counts).
  static std::string SnapshotOf(TokenFamilies& store, int64_t now, const std::vector<std::string>& tokens,
                                std::string_view sub, bool counters = true) {
    std::ostringstream o;
    for (const auto& token : tokens) {
      TokenFamilies::View v;
      std::string_view as;
      o << static_cast<int>(store.Inspect(now, token, &v, &as)) << " " << as << " " << Describe(v) << "\n";
    }
    for (const auto& v : store.List(now, sub, std::nullopt)) o << Describe(v) << "\n";
    const auto c = store.counters();
    o << "live=" << c.live << " tombstones=" << c.tombstones;
    if (counters) o << " " << CountersText(store);
    return o.str();
  }
  static std::string CountersText(TokenFamilies& store) {
    const auto c = store.counters();
    std::ostringstream o;
    o << "issued=" << c.issued << " rotations=" << c.rotations << " replays=" << c.grace_replays
      << " rejections=" << c.grace_rejections << " reuse=" << c.reuse_detections << " revoked=" << c.revoked
      << " evictions=" << c.evictions << " expired=" << c.expired;
    return o.str();
  }
  // A genuine (keyring-signed) token of `family` with any generation and a fresh secret.
  std::string Genuine(std::string_view family, uint32_t generation) {
    return RefreshTokenText(
        RefreshTokenBody(NewRefreshToken(*keys_, ParseFamily(family).value(), generation), *keys_));
  }

  std::unique_ptr<TokenKeyring> keys_;
  std::unique_ptr<TokenFamilies> store_;
  std::string_view presented_;
};

}  // namespace latchkey
