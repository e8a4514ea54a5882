// Password checks for AUTH and HELLO AUTH. Only the `default` user exists until ACL users arrive; its
// password is `requirepass` (none: any password is accepted, as Redis's `nopass`).
//
// Secrets are compared in constant time (SHA-256 of both, then CRYPTO_memcmp), so the time taken says
// nothing about how much of a guess was right. Thread-safe.
#pragma once

#include <string_view>

#include "server/config.h"

namespace latchkey {

// Whether `user`/`password` may log in.
bool CheckCredentials(const Config& config, std::string_view user, std::string_view password);

// Compares two secrets in time independent of their contents.
bool SecretsEqual(std::string_view a, std::string_view b);

inline constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";

}  // namespace latchkey
