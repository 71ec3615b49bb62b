#include "dataplane/app/json_text.h"

#include <algorithm>
#include <cstring>

#include "dataplane/app/decimal_text.h"

namespace vigil::app {

void JsonText::raw(std::string_view s) {
  for (char c : s) put(c);
}

void JsonText::value_prefix() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (need_comma_) put(',');
  need_comma_ = true;
}

void JsonText::open(char c) {
  value_prefix();
  put(c);
  need_comma_ = false;
}

void JsonText::close(char c) {
  put(c);
  need_comma_ = true;
  after_key_ = false;
}

void JsonText::key(std::string_view k) {
  if (need_comma_) put(',');
  need_comma_ = true;
  put('"');
  raw(k);
  raw("\":");
  after_key_ = true;
}

void JsonText::string(std::span<const std::uint8_t> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  value_prefix();
  put('"');
  std::size_t i = 0;
  while (i < bytes.size()) {
    // Runs of printable ASCII other than quote and backslash are copied as they are.
    std::size_t j = i;
    while (j < bytes.size() && bytes[j] >= 0x20 && bytes[j] < 0x7f && bytes[j] != '"' &&
           bytes[j] != '\\') {
      ++j;
    }
    if (j > i) {
      const std::size_t n = std::min(j - i, cap_ - len_);
      std::memcpy(buf_ + len_, bytes.data() + i, n);
      len_ += n;
      if (n < j - i) overflow_ = true;
      i = j;
      continue;
    }
    const std::uint8_t b = bytes[i++];
    switch (b) {
      case '"': raw("\\\""); break;
      case '\\': raw("\\\\"); break;
      case '\n': raw("\\n"); break;
      case '\r': raw("\\r"); break;
      case '\t': raw("\\t"); break;
      default:
        if (b < 0x20 || b >= 0x7f) {
          raw("\\u00");
          put(kHex[b >> 4]);
          put(kHex[b & 15]);
        } else {
          put(static_cast<char>(b));
        }
    }
  }
  put('"');
}

void JsonText::number(std::uint64_t v) {
  value_prefix();
  char digits[kMaxDecimalDigits];
  raw({digits, decimal_text(v, digits)});
}

}  // namespace vigil::app
