// Splitting an inline request line into arguments with Redis's sdssplitargs rules: words separated by
// spaces; "double quotes" with \n \r \t \b \a \\ \" and \xHH escapes; 'single quotes' with \' only; a
// closing quote must be followed by a space or the end of the line.
//
// Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace latchkey {

// Splits `line` into *args. Unescaped bytes are stored in *scratch and *args view into it (valid until
// *scratch changes). Returns false on unbalanced quotes.
bool SplitInlineArgs(std::string_view line, std::string* scratch, std::vector<std::string_view>* args);

}  // namespace latchkey
