// Glob-style pattern matching with Redis's rules (KEYS, SCAN MATCH, CONFIG GET, PSUBSCRIBE).
//
// `*` any run, `?` one byte, `[abc]`, `[^abc]`, `[a-z]` classes, and `\x` to match x literally.
// Pure and thread-safe.
#pragma once

#include <string_view>

namespace latchkey {

// Returns true if the whole of `text` matches `pattern`. With `nocase`, ASCII letters match either case.
bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase = false);

}  // namespace latchkey
