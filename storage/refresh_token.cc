#include "storage/refresh_token.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "spdlog/spdlog.h"
#include "storage/secrets.h"

namespace latchkey {
namespace {

constexpr size_t kSignedBytes = kTokenBodyBytes - kTokenTagBytes;
constexpr size_t kNonceBytes = 12;
constexpr size_t kGcmTagBytes = 16;
constexpr size_t kSealedBytes = kNonceBytes + kTokenBodyBytes + kGcmTagBytes;
constexpr std::string_view kSealInfo = "latchkey rtoken successor v1";

void PutGeneration(uint32_t generation, char* out) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(generation >> (24 - 8 * i));
}

uint32_t GetGeneration(const char* in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

[[noreturn]] void CryptoFailure(const char* what) {
  spdlog::critical("{} failed", what);
  std::abort();
}

// A per-thread HKDF-SHA256 context in expand-only mode, its digest and mode set once: fetching them
// on every derivation cost more than the derivation itself.
EVP_KDF_CTX* ExpandContext() {
  using KdfContext = std::unique_ptr<EVP_KDF_CTX, void (*)(EVP_KDF_CTX*)>;
  static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  thread_local const KdfContext ctx = [] {
    KdfContext made(kdf != nullptr ? EVP_KDF_CTX_new(kdf) : nullptr, EVP_KDF_CTX_free);
    char digest[] = "SHA256", mode[] = "EXPAND_ONLY";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, mode, 0),
                                 OSSL_PARAM_construct_end()};
    if (made == nullptr || EVP_KDF_CTX_set_params(made.get(), params) != 1) CryptoFailure("HKDF set-up");
    return made;
  }();
  return ctx.get();
}

// The AES-256 key sealing the successor of `predecessor`: HKDF-SHA256-Expand keyed by its secret, the
// info binding the purpose and the family. RFC 5869 §3.3 lets a key that is already uniformly random
// (16 CSPRNG bytes) skip the extract step.
std::array<unsigned char, 32> SealingKey(const RefreshToken& predecessor) {
  std::array<char, kTokenSecretBytes> secret = predecessor.secret;
  std::string info(kSealInfo);
  info.append(predecessor.family.data(), predecessor.family.size());
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, secret.data(), secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end()};
  std::array<unsigned char, 32> key{};
  if (EVP_KDF_derive(ExpandContext(), key.data(), key.size(), params) != 1) CryptoFailure("HKDF");
  OPENSSL_cleanse(secret.data(), secret.size());
  return key;
}

const EVP_CIPHER* Aes256Gcm() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  if (cipher == nullptr) CryptoFailure("AES-256-GCM lookup");
  return cipher;
}

// The authenticated data of a seal: the family and the successor's generation.
std::array<unsigned char, kFamilyIdBytes + 4> SealAad(const FamilyId& family, uint32_t generation) {
  std::array<unsigned char, kFamilyIdBytes + 4> aad{};
  std::memcpy(aad.data(), family.data(), family.size());
  PutGeneration(generation, reinterpret_cast<char*>(aad.data() + family.size()));
  return aad;
}

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, void (*)(EVP_CIPHER_CTX*)>;

}  // namespace

RefreshToken NewRefreshToken(const TokenKeyring& keys, const FamilyId& family, uint32_t generation) {
  RefreshToken token;
  token.kid = keys.signing_kid();
  token.family = family;
  token.generation = generation;
  const std::string secret = RandomBytes(kTokenSecretBytes);
  std::copy(secret.begin(), secret.end(), token.secret.begin());
  return token;
}

std::string RefreshTokenBody(const RefreshToken& token, const TokenKeyring& keys) {
  std::string body(kTokenBodyBytes, '\0');
  body[0] = static_cast<char>(token.kid);
  std::memcpy(&body[1], token.family.data(), kFamilyIdBytes);
  PutGeneration(token.generation, &body[1 + kFamilyIdBytes]);
  std::memcpy(&body[1 + kFamilyIdBytes + 4], token.secret.data(), kTokenSecretBytes);
  keys.Tag(token.kid, std::string_view(body).substr(0, kSignedBytes),
           reinterpret_cast<uint8_t*>(&body[kSignedBytes]));
  return body;
}

std::string RefreshTokenText(std::string_view body) {
  return std::string(kRefreshTokenPrefix) + Base64UrlEncode(body);
}

std::optional<RefreshToken> ParseRefreshToken(std::string_view text, const TokenKeyring& keys) {
  constexpr size_t kTextBytes = 3 + (kTokenBodyBytes * 8 + 5) / 6;
  if (text.size() != kTextBytes || text.substr(0, 3) != kRefreshTokenPrefix) return std::nullopt;
  const std::optional<std::string> body = Base64UrlDecode(text.substr(3));
  if (!body || body->size() != kTokenBodyBytes) return std::nullopt;
  RefreshToken token;
  token.kid = static_cast<uint8_t>((*body)[0]);
  if (!keys.Has(token.kid)) return std::nullopt;
  uint8_t tag[kTokenTagBytes];
  keys.Tag(token.kid, std::string_view(*body).substr(0, kSignedBytes), tag);
  if (CRYPTO_memcmp(tag, body->data() + kSignedBytes, kTokenTagBytes) != 0) return std::nullopt;
  std::memcpy(token.family.data(), body->data() + 1, kFamilyIdBytes);
  token.generation = GetGeneration(body->data() + 1 + kFamilyIdBytes);
  std::memcpy(token.secret.data(), body->data() + 1 + kFamilyIdBytes + 4, kTokenSecretBytes);
  return token;
}

std::string SealSuccessor(const RefreshToken& predecessor, uint32_t generation, std::string_view body) {
  std::array<unsigned char, 32> key = SealingKey(predecessor);
  const auto aad = SealAad(predecessor.family, generation);
  std::string sealed = RandomBytes(kNonceBytes);
  sealed.resize(kSealedBytes);
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  CipherContext ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int length = 0, final_length = 0;
  if (ctx == nullptr || EVP_EncryptInit_ex2(ctx.get(), Aes256Gcm(), key.data(), out, nullptr) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &length, aad.data(), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out + kNonceBytes, &length,
                        reinterpret_cast<const unsigned char*>(body.data()),
                        static_cast<int>(body.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out + kNonceBytes + length, &final_length) != 1 ||
      static_cast<size_t>(length + final_length) != kTokenBodyBytes ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagBytes,
                          out + kNonceBytes + kTokenBodyBytes) != 1) {
    CryptoFailure("AES-256-GCM seal");
  }
  OPENSSL_cleanse(key.data(), key.size());
  return sealed;
}

std::optional<std::string> UnsealSuccessor(const RefreshToken& predecessor, uint32_t generation,
                                           std::string_view sealed) {
  if (sealed.size() != kSealedBytes) return std::nullopt;
  std::array<unsigned char, 32> key = SealingKey(predecessor);
  const auto aad = SealAad(predecessor.family, generation);
  const auto* in = reinterpret_cast<const unsigned char*>(sealed.data());
  std::array<unsigned char, kGcmTagBytes> tag{};
  std::memcpy(tag.data(), in + kNonceBytes + kTokenBodyBytes, tag.size());
  std::string body(kTokenBodyBytes, '\0');
  CipherContext ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int length = 0, final_length = 0;
  const bool opened =
      ctx != nullptr && EVP_DecryptInit_ex2(ctx.get(), Aes256Gcm(), key.data(), in, nullptr) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &length, aad.data(), static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(body.data()), &length, in + kNonceBytes,
                        static_cast<int>(kTokenBodyBytes)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagBytes, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(body.data()) + length, &final_length) ==
          1;
  OPENSSL_cleanse(key.data(), key.size());
  if (!opened) return std::nullopt;
  return body;
}

std::string FamilyText(const FamilyId& family) {
  return Base64UrlEncode(std::string_view(family.data(), family.size()));
}

std::optional<FamilyId> ParseFamily(std::string_view text) {
  const std::optional<std::string> raw = Base64UrlDecode(text);
  if (!raw || raw->size() != kFamilyIdBytes) return std::nullopt;
  FamilyId family;
  std::copy(raw->begin(), raw->end(), family.begin());
  return family;
}

}  // namespace latchkey
