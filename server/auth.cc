#include "server/auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace latchkey {

bool SecretsEqual(std::string_view a, std::string_view b) {
  unsigned char da[SHA256_DIGEST_LENGTH];
  unsigned char db[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(a.data()), a.size(), da);
  SHA256(reinterpret_cast<const unsigned char*>(b.data()), b.size(), db);
  return CRYPTO_memcmp(da, db, sizeof(da)) == 0;
}

bool CheckCredentials(const Config& config, std::string_view user, std::string_view password) {
  if (user != "default") return false;
  if (!config.auth_required()) return true;
  return SecretsEqual(config.requirepass(), password);
}

}  // namespace latchkey
