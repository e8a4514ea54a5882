// Helpers shared by the RTOKEN.* integration tests (rtokens_test.cc, rtokens_events_test.cc,
// rtokens_durability_test.cc): ISSUE, ROTATE and INSPECT over hiredis, the INFO rtokens counters,
// base64url to look inside a token (SPEC §4: "r1_" + base64url(kid(1) ‖ family(12) ‖ generation(4) ‖
// secret(16) ‖ tag(16))), and forged variants of a genuine token.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "denylist_test_helpers.h"

namespace latchkey::testing {

// Byte offsets inside a token's 49-byte body.
inline constexpr size_t kTokenFamilyAt = 1, kTokenGenAt = 13, kTokenSecretAt = 17, kTokenTagAt = 33;
inline constexpr size_t kTokenBodyBytes = 49;
// "r1_" + 66 base64url characters.
inline constexpr size_t kTokenTextChars = 69;

// The 14 fields of a family as INSPECT (which adds "presented") and LIST show them, in order.
inline const std::vector<std::string>& FamilyViewKeys() {
  static const std::vector<std::string> keys = {
      "family", "gen",     "sub",          "client",        "session",      "data",           "state",
      "reason", "created", "last_rotated", "idle_deadline", "abs_deadline", "grace_deadline", "grace_uses"};
  return keys;
}

// The 10 fields of ROTATE's reply, in order.
inline const std::vector<std::string>& RotateKeys() {
  static const std::vector<std::string> keys = {
      "token", "family", "gen", "sub", "client", "session", "data", "idle_deadline", "abs_deadline", "grace"};
  return keys;
}

// What RTOKEN.ISSUE answered.
struct IssuedFamily {
  std::string token, family;
  int64_t gen = -1, idle_deadline = 0, abs_deadline = 0;
};

// RTOKEN.ISSUE <sub> <client> ABS <abs> IDLE <idle> <extra...>; fails the test unless it answers a
// 5-pair map.
inline IssuedFamily IssueFamily(redisContext* c, const std::string& sub, const std::string& client, int abs,
                                int idle, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"RTOKEN.ISSUE",      sub, client, "ABS", std::to_string(abs), "IDLE",
                                   std::to_string(idle)};
  args.insert(args.end(), extra.begin(), extra.end());
  auto m = AsMap(Command(c, args), 5);
  if (!m) return {};
  return IssuedFamily{m->str("token"), m->str("family"), m->num("gen"), m->num("idle_deadline"),
                      m->num("abs_deadline")};
}

// RTOKEN.ROTATE <token> [CLIENT <client>]: the raw reply (a map or an error).
inline Reply RotateReply(redisContext* c, const std::string& token,
                         const std::optional<std::string>& client = std::nullopt) {
  std::vector<std::string> args = {"RTOKEN.ROTATE", token};
  if (client) {
    args.push_back("CLIENT");
    args.push_back(*client);
  }
  return Command(c, args);
}

// RTOKEN.ROTATE that must succeed (a rotation or a replay): its 10-pair map.
inline std::optional<MapReply> Rotate(redisContext* c, const std::string& token,
                                      const std::optional<std::string>& client = std::nullopt) {
  return AsMap(RotateReply(c, token, client), 10);
}

// RTOKEN.ROTATE that must succeed: the token it answers ("" after a test failure).
inline std::string RotateToken(redisContext* c, const std::string& token) {
  auto m = Rotate(c, token);
  return m ? m->str("token") : std::string();
}

// RTOKEN.INSPECT <token>: nullopt for a nil reply, else the 15-pair map (a test failure otherwise).
inline std::optional<MapReply> Inspect(redisContext* c, const std::string& token) {
  auto r = Command(c, {"RTOKEN.INSPECT", token});
  if (r != nullptr && r->type == REDIS_REPLY_NIL) return std::nullopt;
  return AsMap(std::move(r), 15);
}

// INSPECT's `presented` for `token` ("<nil>" for a nil reply).
inline std::string Presented(redisContext* c, const std::string& token) {
  auto m = Inspect(c, token);
  return m ? m->str("presented") : std::string("<nil>");
}

inline constexpr const char* kReusedError = "REUSED refresh token reuse detected; family revoked";
inline constexpr const char* kRevokedError = "REVOKED refresh token family revoked";
inline constexpr const char* kBadTokenError = "BADTOKEN malformed or forged refresh token";
inline constexpr const char* kMismatchError = "MISMATCH refresh token was issued to another client";
inline constexpr const char* kNotFoundError = "NOTFOUND unknown refresh token family";
inline constexpr const char* kExpiredError = "EXPIRED refresh token family expired";

// The INFO rtokens counters a test looks at, read once.
struct RtokenCounters {
  int64_t live, ended, issued, rotations, replays, rejections, reuses, revoked, evictions;
};

inline RtokenCounters ReadCounters(redisContext* c) {
  auto f = [c](const char* name) { return InfoField(c, "rtokens", name); };
  return {f("rtoken_families_live"),    f("rtoken_families_ended"), f("rtoken_issued"),
          f("rtoken_rotations"),        f("rtoken_grace_replays"),  f("rtoken_grace_rejections"),
          f("rtoken_reuse_detections"), f("rtoken_revoked"),        f("rtoken_evictions")};
}

// base64url without padding, both ways (Decode: nullopt on a character outside the alphabet).
inline std::string Base64UrlEncode(const std::string& bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char ch : bytes) {
    acc = (acc << 8) | ch;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

inline std::optional<std::string> Base64UrlDecode(const std::string& text) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : text) {
    int v = -1;
    if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
    if (ch >= 'a' && ch <= 'z') v = ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') v = ch - '0' + 52;
    if (ch == '-') v = 62;
    if (ch == '_') v = 63;
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

// A token's 49 raw bytes ("" after a test failure).
inline std::string TokenBody(const std::string& token) {
  auto body = token.size() == kTokenTextChars && token.rfind("r1_", 0) == 0 ? Base64UrlDecode(token.substr(3))
                                                                            : std::nullopt;
  if (!body || body->size() != kTokenBodyBytes) {
    ADD_FAILURE() << "not a refresh token: '" << token << "'";
    return std::string();
  }
  return *body;
}

// `token` with bit `bit` (0 = the top bit of the body's first byte) of its body flipped, re-encoded.
inline std::string FlipBit(const std::string& token, size_t bit) {
  std::string body = TokenBody(token);
  if (body.empty()) return token;
  body[bit / 8] = static_cast<char>(body[bit / 8] ^ (0x80 >> (bit % 8)));
  return "r1_" + Base64UrlEncode(body);
}

}  // namespace latchkey::testing
