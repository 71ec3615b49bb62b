// Protocol probe and version names.
#include <string_view>

#include "dataplane/app/tls/tls_parser.h"

namespace vigil::app::tls {

std::string_view tls_version_name(std::uint16_t v) {
  switch (v) {
    case 0x0000: return "UNDETERMINED";
    case 0x0002: return "SSLv2";
    case 0x0300: return "SSLv3";
    case 0x0301: return "TLSv1";
    case 0x0302: return "TLS 1.1";
    case 0x0303: return "TLS 1.2";
    case 0x0304: return "TLS 1.3";
    case 0xfb14: return "TLS 1.3 draft-20-fb";
    case 0xfb15: return "TLS 1.3 draft-21-fb";
    case 0xfb16: return "TLS 1.3 draft-22-fb";
    case 0xfb17: return "TLS 1.3 draft-23-fb";
    case 0xfb1a: return "TLS 1.3 draft-26-fb";
    default: break;
  }
  static constexpr std::string_view kDrafts[] = {
      "TLS 1.3 draft-16", "TLS 1.3 draft-17", "TLS 1.3 draft-18", "TLS 1.3 draft-19",
      "TLS 1.3 draft-20", "TLS 1.3 draft-21", "TLS 1.3 draft-22", "TLS 1.3 draft-23",
      "TLS 1.3 draft-24", "TLS 1.3 draft-25", "TLS 1.3 draft-26", "TLS 1.3 draft-27",
      "TLS 1.3 draft-28"};
  if (v >= 0x7f10 && v <= 0x7f1c) return kDrafts[v - 0x7f10];
  if (v > 0x7f00 && v < 0x7f10) return "TLS 1.3 draft-<16";
  return {};
}

Probe tls_probe(std::span<const std::uint8_t> start, FlowDirection dir) {
  if (start.empty()) return Probe::more;
  const bool to_server = dir == FlowDirection::to_server;
  const std::uint8_t b0 = start[0];
  if (b0 & 0x80) {
    // SSLv2 record: 2-byte header (15-bit length), then CLIENT-HELLO (1) or SERVER-HELLO (4).
    if (start.size() < 3) return Probe::more;
    const std::uint16_t len = static_cast<std::uint16_t>((b0 & 0x7f) << 8 | start[1]);
    if (start[2] != (to_server ? 1 : 4)) return Probe::no;
    if (len < (to_server ? 9u : 11u)) return Probe::no;
    if (start.size() < (to_server ? 5u : 7u)) return Probe::more;
    const std::size_t at = to_server ? 3 : 5;
    const std::uint16_t version = static_cast<std::uint16_t>(start[at] << 8 | start[at + 1]);
    return version == 0x0002 || (version >= 0x0300 && version <= 0x0304) ? Probe::yes : Probe::no;
  }
  if (b0 != 22) return Probe::no;
  if (start.size() < 2) return Probe::more;
  if (start[1] != 3) return Probe::no;
  if (start.size() < 3) return Probe::more;
  if (start[2] > 4) return Probe::no;
  if (start.size() < 5) return Probe::more;
  const std::uint16_t len = static_cast<std::uint16_t>(start[3] << 8 | start[4]);
  if (len < 4 || len > kMaxRecordBody) return Probe::no;
  if (start.size() < 6) return Probe::more;
  return start[5] == (to_server ? 1 : 2) ? Probe::yes : Probe::no;
}

}  // namespace vigil::app::tls
