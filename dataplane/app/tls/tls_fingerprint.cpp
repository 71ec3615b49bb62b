#include "dataplane/app/tls/tls_fingerprint.h"

#include <mbedtls/md5.h>

#include "dataplane/app/decimal_text.h"

namespace vigil::app::tls {

void TextWriter::put_decimal(std::uint32_t v) {
  char digits[kMaxDecimalDigits];
  const std::size_t n = decimal_text(v, digits);
  for (std::size_t i = 0; i < n; ++i) put(digits[i]);
}

void tls_md5_hex(std::string_view text, char (&out)[32]) {
  unsigned char digest[16];
  // mbedtls_md5_ret only fails on hardware-accelerator errors; Debian's build has none.
  mbedtls_md5_ret(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0x0f];
  }
}

std::size_t tls_hex_colon(std::span<const std::uint8_t> bytes, std::span<char> out, bool upper) {
  const char* hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::size_t n = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const std::size_t need = i == 0 ? 2 : 3;
    if (out.size() - n < need) break;
    if (i != 0) out[n++] = ':';
    out[n++] = hex[bytes[i] >> 4];
    out[n++] = hex[bytes[i] & 0x0f];
  }
  return n;
}

}  // namespace vigil::app::tls
