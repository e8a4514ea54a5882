// Refresh tokens (SPEC §4): their text form, tag check, and the sealed successor.
//
// A token is "r1_" + base64url(kid(1) ‖ family(12) ‖ generation(4, big-endian) ‖ secret(16) ‖ tag(16)),
// the tag being the first 16 bytes of HMAC-SHA256(key[kid], the 33 bytes before it). The tag makes
// every token the server did not mint (forged, truncated, bit-flipped) detectable before any state is
// looked at, so only a genuine token can ever trigger reuse detection. The secret is the credential:
// the store keeps only SHA-256(secret).
//
// When a family rotates, the successor's 49 bytes are sealed with AES-256-GCM under a key derived by
// HKDF-SHA256 from the predecessor's secret (info: purpose and family id; the generation is
// authenticated), so a retry presenting the predecessor during the grace window gets the same
// successor back, while a dump of the database, holding only hashes and the sealed blob, yields no
// usable token.
//
// Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storage/token_keyring.h"

namespace latchkey {

inline constexpr size_t kFamilyIdBytes = 12;
inline constexpr size_t kTokenSecretBytes = 16;
inline constexpr size_t kTokenTagBytes = 16;
inline constexpr size_t kTokenBodyBytes = 1 + kFamilyIdBytes + 4 + kTokenSecretBytes + kTokenTagBytes;
inline constexpr std::string_view kRefreshTokenPrefix = "r1_";

using FamilyId = std::array<char, kFamilyIdBytes>;

struct RefreshToken {
  uint8_t kid = 0;
  FamilyId family{};
  uint32_t generation = 0;
  std::array<char, kTokenSecretBytes> secret{};

  std::string_view secret_bytes() const { return {secret.data(), secret.size()}; }
};

// A token with a fresh CSPRNG secret, signed by the keyring's signing key.
RefreshToken NewRefreshToken(const TokenKeyring& keys, const FamilyId& family, uint32_t generation);
// The 49 raw bytes (tag included) and the text form. REQUIRES: keys.Has(token.kid).
std::string RefreshTokenBody(const RefreshToken& token, const TokenKeyring& keys);
std::string RefreshTokenText(std::string_view body);
// Parses and authenticates `text` (tag compared in constant time); nullopt for anything malformed,
// under an unknown kid, or with a wrong tag.
std::optional<RefreshToken> ParseRefreshToken(std::string_view text, const TokenKeyring& keys);

// Seals the successor's body under the predecessor's secret; `generation` is the successor's.
std::string SealSuccessor(const RefreshToken& predecessor, uint32_t generation, std::string_view body);
// The successor's body, or nullopt if `sealed` does not open under this predecessor.
std::optional<std::string> UnsealSuccessor(const RefreshToken& predecessor, uint32_t generation,
                                           std::string_view sealed);

// Family ids in text (base64url, 16 characters) and back; nullopt if `text` is not one.
std::string FamilyText(const FamilyId& family);
std::optional<FamilyId> ParseFamily(std::string_view text);

}  // namespace latchkey
