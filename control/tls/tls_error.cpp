#include "control/tls/tls_error.h"

#include <mbedtls/error.h>
#include <mbedtls/x509_crt.h>

#include <cstdio>

namespace vigil::tls {

std::string mbedtls_error_text(int code) {
  char text[256];
  mbedtls_strerror(code, text, sizeof text);
  char hex[32];
  std::snprintf(hex, sizeof hex, " (-0x%04x)", static_cast<unsigned>(code < 0 ? -code : code));
  return std::string(text) + hex;
}

std::string verify_flags_text(std::uint32_t flags) {
  char buf[1024];
  const int n = mbedtls_x509_crt_verify_info(buf, sizeof buf, "", flags);
  std::string out;
  if (n > 0) {
    // One line per flag, each ending in '\n'.
    std::string all(buf, static_cast<std::size_t>(n));
    std::size_t start = 0;
    while (start < all.size()) {
      std::size_t end = all.find('\n', start);
      if (end == std::string::npos) end = all.size();
      if (end > start) {
        if (!out.empty()) out += "; ";
        out.append(all, start, end - start);
      }
      start = end + 1;
    }
  }
  return out.empty() ? "unknown verification failure" : out;
}

}  // namespace vigil::tls
