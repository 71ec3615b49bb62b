// Bounds-checked big-endian reader over one buffered message. Reads past the end return 0 and
// clear `ok`; nothing ever reads outside the span.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace vigil::app::tls {

struct TlsReader {
  std::span<const std::uint8_t> data;
  std::size_t pos = 0;
  bool ok = true;

  std::size_t left() const { return data.size() - pos; }
  bool has(std::size_t n) const { return n <= left(); }
  std::uint8_t u8() {
    if (!has(1)) return fail();
    return data[pos++];
  }
  std::uint16_t u16() {
    if (!has(2)) return fail();
    const std::uint16_t v = static_cast<std::uint16_t>(data[pos] << 8 | data[pos + 1]);
    pos += 2;
    return v;
  }
  std::uint32_t u24() {
    if (!has(3)) return fail();
    const std::uint32_t v = std::uint32_t{data[pos]} << 16 | std::uint32_t{data[pos + 1]} << 8 |
                            data[pos + 2];
    pos += 3;
    return v;
  }
  // The next n bytes; an empty span and !ok when fewer are left.
  std::span<const std::uint8_t> bytes(std::size_t n) {
    if (!has(n)) {
      fail();
      return {};
    }
    auto s = data.subspan(pos, n);
    pos += n;
    return s;
  }
  // Everything left (for a list whose declared length overruns its parent: parse what is there).
  std::span<const std::uint8_t> rest() {
    auto s = data.subspan(pos);
    pos = data.size();
    return s;
  }

 private:
  std::uint8_t fail() {
    ok = false;
    pos = data.size();
    return 0;
  }
};

}  // namespace vigil::app::tls
