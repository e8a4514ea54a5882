// The bounded decoder behind DENY.CHECKJWT (SPEC §5): reads the claims iss, jti, sub, iat, client_id
// and sid from the payload of a compact JWS. It does NOT verify the signature, nor look at alg, exp or
// aud: the caller must have verified the token before asking whether it is revoked. A forged token
// decodes as well as a genuine one.
//
// A token is malformed (DecodeJwtClaims returns nullopt, the command answers BADTOKEN) unless:
// - It has exactly three '.'-separated segments, header.payload.signature (a five-segment JWE is
//   malformed). Header and payload are non-empty; the signature may be empty (an unsecured JWT).
// - Header and payload are unpadded base64url (RFC 4648 §5, as Base64UrlDecode accepts it); the
//   signature consists only of base64url characters (it is not decoded).
// - Each of the three segments encodes at most kMaxJwtPayloadBytes bytes. Lengths are checked before
//   anything is decoded, so a huge input is refused in O(1), and the whole input is at most ~32 KiB.
// - Header and payload are each one JSON object (RFC 8259: valid UTF-8, nothing after the object
//   but whitespace) nested at most kMaxJwtJsonDepth deep, the object itself counting as one level.
//   The header is parsed, never interpreted.
// - iss and jti are present, JSON strings and non-empty. sub, client_id and sid, when present, are
//   strings (possibly empty). iat, when present, is a non-negative JSON number: an integer that fits
//   int64 is taken as is, a fraction is floored and must be at most 2^53.
// - None of these six claims appears twice. RFC 7519 §4 lets a parser reject duplicates or take the
//   last one; taking another than the verifier took would check the wrong jti, so we reject.
// Other claims are ignored whatever their type. Claim names are compared after unescaping, so
// "\u006a\u0074\u0069" is jti. Strings may hold any Unicode, \u0000 included.
//
// Thread-safety: safe to call concurrently. Each calling thread keeps its own JSON parser, sized once
// for kMaxJwtPayloadBytes (at most about 120 KB per thread); nothing else is shared or grows with the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace latchkey {

// Bounds.
inline constexpr size_t kMaxJwtPayloadBytes = 8192;  // decoded payload; header and signature alike
inline constexpr size_t kMaxJwtJsonDepth = 64;       // nesting of objects and arrays, the root included

struct JwtClaims {
  std::string iss, jti;                            // required, non-empty strings
  std::optional<std::string> sub, client_id, sid;  // optional strings
  std::optional<int64_t> iat;                      // optional, seconds

  bool operator==(const JwtClaims&) const = default;
};

// Decodes the claims of a compact JWS (header.payload.signature). nullopt when malformed (see above).
std::optional<JwtClaims> DecodeJwtClaims(std::string_view compact);

}  // namespace latchkey
