// JA3 / JA3S text building (salesforce/ja3 definitions, as Suricata computes them):
//   JA3  = "SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats"
//   JA3S = "SSLVersion,Cipher,Extensions"
// decimal values, lists joined by '-', GREASE values (RFC 8701, 0x?a?a) left out of every list;
// SSLVersion is the hello's legacy_version field. The hash is the MD5 of the text, lowercase hex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace vigil::app::tls {

// RFC 8701 GREASE: 0x0a0a, 0x1a1a, ... 0xfafa.
constexpr bool tls_is_grease(std::uint16_t v) {
  return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

// Appends text to a fixed buffer; what does not fit is dropped and `overflow` set.
struct TextWriter {
  std::span<char> out;
  std::size_t len = 0;
  bool overflow = false;

  void put(char c) {
    if (len < out.size()) out[len++] = c;
    else overflow = true;
  }
  void put(std::string_view s) {
    for (char c : s) put(c);
  }
  void put_decimal(std::uint32_t v);
  std::string_view view() const { return {out.data(), len}; }
};

// One '-' joined JA3 list: add() skips GREASE values.
struct Ja3List {
  TextWriter& w;
  bool first = true;
  void add(std::uint16_t v) {
    if (tls_is_grease(v)) return;
    if (!first) w.put('-');
    first = false;
    w.put_decimal(v);
  }
};

// MD5 of `text` as 32 lowercase hex characters.
void tls_md5_hex(std::string_view text, char (&out)[32]);

// Lowercase hex of `bytes` joined by ':' ("aa:bb:..") into `out`; the characters written.
std::size_t tls_hex_colon(std::span<const std::uint8_t> bytes, std::span<char> out, bool upper);

}  // namespace vigil::app::tls
