#include "control/http/http_message.h"

namespace vigil::http {

std::string_view find_header(const std::vector<HttpHeader>& headers, std::string_view name) {
  for (const HttpHeader& h : headers) {
    if (h.name.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) {
      unsigned char a = static_cast<unsigned char>(h.name[i]);
      unsigned char b = static_cast<unsigned char>(name[i]);
      if (a >= 'A' && a <= 'Z') a = static_cast<unsigned char>(a | 0x20);
      if (b >= 'A' && b <= 'Z') b = static_cast<unsigned char>(b | 0x20);
      same = a == b;
    }
    if (same) return h.value;
  }
  return {};
}

}  // namespace vigil::http
