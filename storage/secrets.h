// Secrets and their stored form: random bytes from OpenSSL's CSPRNG, base64url without padding (RFC
// 4648 §5, as JWTs use), and SHA-256 digests. Session ids and refresh tokens are only ever stored as
// digests; handles are random but not secret.
//
// Thread-safety: all functions are safe to call concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace latchkey {

using Digest = std::array<uint8_t, 32>;

// `n` bytes from the CSPRNG (RAND_bytes). Small requests are served from a per-thread pool refilled
// 512 bytes at a time (each RAND_bytes call costs about as much as 200 bytes of output); bytes handed
// out are wiped from the pool. Aborts if the CSPRNG fails: no secret is better than a weak one.
std::string RandomBytes(size_t n);

// Lowercase hex of `bytes`; DecodeHex takes either case and fails on odd length or a non-hex digit.
std::string EncodeHex(std::string_view bytes);
bool DecodeHex(std::string_view hex, std::string* out);

std::string Base64UrlEncode(std::string_view bytes);
// nullopt if `text` is not unpadded base64url.
std::optional<std::string> Base64UrlDecode(std::string_view text);

Digest Sha256(std::string_view data);
inline std::string_view DigestBytes(const Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

}  // namespace latchkey
