// The two conditional-request pieces the provider serves: If-None-Match against an entity tag
// (rules) and a single byte range (firmware). Pure functions.
#pragma once

#include <cstdint>
#include <string_view>

namespace vigil::provider {

// True when an If-None-Match value matches `etag` (a quoted tag, e.g. "\"ab12\""): "*", or any
// listed tag equal to it under weak comparison (a W/ prefix is ignored).
bool if_none_match_matches(std::string_view header, std::string_view etag);

enum class RangeResult : std::uint8_t {
  none,           // no usable Range: serve the whole file (also for malformed or multi-range
                  // values, which RFC 9110 14.2 lets a server ignore)
  satisfiable,    // [first, last] inclusive, within the file
  unsatisfiable,  // 416 with "Content-Range: bytes */<size>"
};

// Parses "bytes=a-b", "bytes=a-" or "bytes=-n" against a file of `size` bytes.
RangeResult parse_byte_range(std::string_view header, std::uint64_t size, std::uint64_t& first,
                             std::uint64_t& last);

}  // namespace vigil::provider
