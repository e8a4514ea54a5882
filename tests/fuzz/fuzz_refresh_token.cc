// libFuzzer target: the refresh-token parser (storage/refresh_token.h) over arbitrary text under a
// fixed keyring. Nothing a fuzzer can write without the key may authenticate; a token it mutates from
// the seed (a genuine one) must either fail or round-trip to the same text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "storage/refresh_token.h"
#include "storage/token_keyring.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::unique_ptr<latchkey::TokenKeyring> keys = [] {
    std::unique_ptr<latchkey::TokenKeyring> k;
    if (!latchkey::TokenKeyring::Parse("7:" + std::string(64, 'a'), &k).ok()) abort();
    return k;
  }();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto token = latchkey::ParseRefreshToken(text, *keys);
  if (token && latchkey::RefreshTokenText(latchkey::RefreshTokenBody(*token, *keys)) != text) abort();
  return 0;
}
