// Decimal text of an unsigned integer without allocation or locale, for the parsers' text fields
// and the EVE records.
#pragma once

#include <cstddef>
#include <cstdint>

namespace vigil::app {

inline constexpr std::size_t kMaxDecimalDigits = 20;  // 2^64 - 1

// Writes the digits of `v` to `out` (room for kMaxDecimalDigits); returns how many.
inline std::size_t decimal_text(std::uint64_t v, char* out) {
  char rev[kMaxDecimalDigits];
  std::size_t n = 0;
  do {
    rev[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  for (std::size_t i = 0; i < n; ++i) out[i] = rev[n - 1 - i];
  return n;
}

}  // namespace vigil::app
