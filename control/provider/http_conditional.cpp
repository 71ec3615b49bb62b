#include "control/provider/http_conditional.h"

#include <limits>

namespace vigil::provider {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Decimal digits only; saturates at the maximum instead of overflowing. False when empty or
// not digits.
bool parse_u64(std::string_view s, std::uint64_t& v) {
  if (s.empty()) return false;
  v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10)
      v = std::numeric_limits<std::uint64_t>::max();
    else
      v = v * 10 + d;
  }
  return true;
}

}  // namespace

bool if_none_match_matches(std::string_view header, std::string_view etag) {
  header = trim(header);
  if (header == "*") return true;
  while (!header.empty()) {
    std::size_t comma = header.find(',');
    std::string_view tag = trim(header.substr(0, comma));
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (!tag.empty() && tag == etag) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

RangeResult parse_byte_range(std::string_view header, std::uint64_t size, std::uint64_t& first,
                             std::uint64_t& last) {
  header = trim(header);
  if (header.size() < 6) return RangeResult::none;
  std::string_view unit = header.substr(0, 6);
  for (std::size_t i = 0; i < 5; ++i)
    if ((unit[i] | 0x20) != "bytes"[i]) return RangeResult::none;
  if (unit[5] != '=') return RangeResult::none;
  std::string_view spec = trim(header.substr(6));
  if (spec.find(',') != std::string_view::npos) return RangeResult::none;  // one range only
  std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return RangeResult::none;
  std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  std::uint64_t x = 0, y = 0;
  if (a.empty()) {  // suffix: the last n bytes
    if (!parse_u64(b, y)) return RangeResult::none;
    if (y == 0 || size == 0) return RangeResult::unsatisfiable;
    first = y >= size ? 0 : size - y;
    last = size - 1;
    return RangeResult::satisfiable;
  }
  if (!parse_u64(a, x)) return RangeResult::none;
  if (b.empty()) {
    y = std::numeric_limits<std::uint64_t>::max();
  } else {
    if (!parse_u64(b, y)) return RangeResult::none;
    if (y < x) return RangeResult::none;  // invalid: ignored
  }
  if (x >= size) return RangeResult::unsatisfiable;
  first = x;
  last = y >= size ? size - 1 : y;
  return RangeResult::satisfiable;
}

}  // namespace vigil::provider
