#include "storage/jwt_claims.h"

#include <simdjson.h>

#include <cmath>
#include <limits>
#include <utility>

#include "storage/secrets.h"

namespace latchkey {
namespace {

// The longest unpadded base64url text that decodes to at most kMaxJwtPayloadBytes bytes (10,923).
constexpr size_t kMaxSegmentChars = (4 * kMaxJwtPayloadBytes + 2) / 3;
constexpr size_t kMaxCompactChars = 3 * kMaxSegmentChars + 2;
// Beyond 2^53 a double no longer holds every integer, so a fractional iat there is not a time.
constexpr double kMaxFractionalIat = 9007199254740992.0;

struct Segments {
  std::string_view header, payload, signature;
};

bool IsBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// The three segments, or nullopt when the shape or a segment's length is wrong. Costs O(1) for an
// input longer than any acceptable token.
std::optional<Segments> SplitCompact(std::string_view compact) {
  if (compact.size() > kMaxCompactChars) return std::nullopt;
  const size_t first_dot = compact.find('.');
  if (first_dot == std::string_view::npos) return std::nullopt;
  const size_t second_dot = compact.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos) return std::nullopt;
  Segments segments{compact.substr(0, first_dot), compact.substr(first_dot + 1, second_dot - first_dot - 1),
                    compact.substr(second_dot + 1)};
  if (segments.header.empty() || segments.header.size() > kMaxSegmentChars) return std::nullopt;
  if (segments.payload.empty() || segments.payload.size() > kMaxSegmentChars) return std::nullopt;
  if (segments.signature.size() > kMaxSegmentChars) return std::nullopt;
  // Also refuses a third dot: '.' is not a base64url character.
  for (char c : segments.signature) {
    if (!IsBase64UrlChar(c)) return std::nullopt;
  }
  return segments;
}

// This thread's parser, allocated once for kMaxJwtPayloadBytes and kMaxJwtJsonDepth; nullptr if that
// allocation failed (tried again on the next call). Its max capacity keeps it from ever growing.
simdjson::dom::parser* ThreadParser() {
  thread_local simdjson::dom::parser parser(kMaxJwtPayloadBytes);
  thread_local bool allocated = false;
  if (!allocated) allocated = parser.allocate(kMaxJwtPayloadBytes, kMaxJwtJsonDepth) == simdjson::SUCCESS;
  return allocated ? &parser : nullptr;
}

// Decodes `segment` and parses it as one JSON object, which lives in `parser` until its next parse
// (simdjson's DOM copies strings out of the input, so the decoded bytes may go).
std::optional<simdjson::dom::object> DecodeObject(simdjson::dom::parser& parser, std::string_view segment) {
  std::optional<std::string> json = Base64UrlDecode(segment);
  if (!json) return std::nullopt;
  // simdjson reads up to SIMDJSON_PADDING bytes past the end; make them ours and initialized.
  const size_t length = json->size();
  json->resize(length + simdjson::SIMDJSON_PADDING, '\0');
  simdjson::dom::object object;
  if (parser.parse(json->data(), length, /*realloc_if_needed=*/false).get_object().get(object) !=
      simdjson::SUCCESS) {
    return std::nullopt;
  }
  return object;
}

std::optional<std::string> ReadString(simdjson::dom::element value) {
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) return std::nullopt;
  return std::string(text);
}

// A non-negative integer as is, a non-negative fraction up to 2^53 floored; nullopt otherwise.
// (simdjson types a number by its value: INT64 when it fits, UINT64 only above INT64_MAX, DOUBLE when
// it has a fraction or exponent. Its is_int64()/is_double() answer "convertible", so switch on type.)
std::optional<int64_t> ReadIat(simdjson::dom::element value) {
  switch (value.type()) {
    case simdjson::dom::element_type::INT64: {
      int64_t seconds = 0;
      if (value.get_int64().get(seconds) != simdjson::SUCCESS || seconds < 0) return std::nullopt;
      return seconds;
    }
    case simdjson::dom::element_type::UINT64: {
      uint64_t seconds = 0;
      if (value.get_uint64().get(seconds) != simdjson::SUCCESS ||
          seconds > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return std::nullopt;
      }
      return static_cast<int64_t>(seconds);
    }
    case simdjson::dom::element_type::DOUBLE: {
      double seconds = 0;
      if (value.get_double().get(seconds) != simdjson::SUCCESS || !std::isfinite(seconds) || seconds < 0 ||
          seconds > kMaxFractionalIat) {
        return std::nullopt;
      }
      return static_cast<int64_t>(std::floor(seconds));
    }
    default:
      return std::nullopt;
  }
}

// The claims of the payload object, or nullopt when one breaks the rules in jwt_claims.h.
std::optional<JwtClaims> ReadClaims(simdjson::dom::object payload) {
  std::optional<std::string> iss, jti, sub, client_id, sid;
  std::optional<int64_t> iat;
  const std::pair<std::string_view, std::optional<std::string>*> string_claims[] = {
      {"iss", &iss}, {"jti", &jti}, {"sub", &sub}, {"client_id", &client_id}, {"sid", &sid},
  };
  for (const simdjson::dom::key_value_pair field : payload) {
    if (field.key == "iat") {
      if (iat) return std::nullopt;  // duplicate
      iat = ReadIat(field.value);
      if (!iat) return std::nullopt;
      continue;
    }
    for (const auto& [name, claim] : string_claims) {
      if (field.key != name) continue;
      if (claim->has_value()) return std::nullopt;  // duplicate
      *claim = ReadString(field.value);
      if (!claim->has_value()) return std::nullopt;
      break;
    }
  }
  if (!iss || iss->empty() || !jti || jti->empty()) return std::nullopt;
  return JwtClaims{.iss = std::move(*iss),
                   .jti = std::move(*jti),
                   .sub = std::move(sub),
                   .client_id = std::move(client_id),
                   .sid = std::move(sid),
                   .iat = iat};
}

}  // namespace

std::optional<JwtClaims> DecodeJwtClaims(std::string_view compact) {
  const std::optional<Segments> segments = SplitCompact(compact);
  if (!segments) return std::nullopt;
  simdjson::dom::parser* parser = ThreadParser();
  if (parser == nullptr) return std::nullopt;
  // The header must be a JSON object but says nothing we use; parsing the payload discards it.
  if (!DecodeObject(*parser, segments->header)) return std::nullopt;
  const std::optional<simdjson::dom::object> payload = DecodeObject(*parser, segments->payload);
  if (!payload) return std::nullopt;
  return ReadClaims(*payload);
}

}  // namespace latchkey
