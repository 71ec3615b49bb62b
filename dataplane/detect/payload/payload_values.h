// Value parsers shared by the payload keywords' compilers: signed bounded integers, byte_extract
// variable references, dsize/bsize conditions, hex and decimal numbers. Load time only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/detect/payload/payload_match.h"

namespace vigil::detect::payload_detail {

// Either a value or an error message; the message already names what was parsed.
template <typename T>
struct Parsed {
  T value{};
  std::string error;
  bool ok() const { return error.empty(); }
};

std::string quote(std::string_view s);

// A decimal integer in [min, max], an optional leading '-' or '+'.
Parsed<std::int64_t> parse_signed(std::string_view text, std::int64_t min, std::int64_t max,
                                  std::string_view what);

// An unsigned number, decimal or 0x-hex, in [0, max].
Parsed<std::uint64_t> parse_number(std::string_view text, std::uint64_t max, std::string_view what);

// A hex number with or without 0x (bitmask), in [1, max].
Parsed<std::uint64_t> parse_hex(std::string_view text, std::uint64_t max, std::string_view what);

// A constant in [min, max] or the name of a byte_extract variable already declared in `vars`.
Parsed<MatchValue> parse_match_value(std::string_view text, std::int64_t min, std::int64_t max,
                                     const std::vector<std::string>& vars, std::string_view what);

// The dsize / bsize grammar; values in [0, max].
Parsed<UintCondition> parse_uint_condition(std::string_view text, std::uint64_t max,
                                           std::string_view what);

}  // namespace vigil::detect::payload_detail
