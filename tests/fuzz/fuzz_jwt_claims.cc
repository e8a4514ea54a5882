// libFuzzer target: DENY.CHECKJWT's decoder (storage/jwt_claims.h) over arbitrary bytes. It must return
// claims or nullopt, never crash, and whatever it accepts must satisfy its documented contract.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "storage/jwt_claims.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto claims = latchkey::DecodeJwtClaims(std::string_view(reinterpret_cast<const char*>(data), size));
  if (claims && (claims->iss.empty() || claims->jti.empty())) abort();
  if (claims && claims->iat && *claims->iat < 0) abort();
  return 0;
}
