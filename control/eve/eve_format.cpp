#include "control/eve/eve_format.h"

#include <arpa/inet.h>

#include <cstdio>
#include <ctime>

namespace vigil::eve {

std::string timestamp(std::uint64_t ts_ns) {
  const std::time_t secs = static_cast<std::time_t>(ts_ns / 1'000'000'000ull);
  const unsigned usecs = static_cast<unsigned>((ts_ns / 1'000ull) % 1'000'000ull);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];  // room for any int year gcc can imagine, so no truncation warning
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06u+0000", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usecs);
  return buf;
}

std::string ip_text(IpFamily family, const IpAddress& addr) {
  if (family == IpFamily::v6) {
    // Suricata writes IPv6 addresses in full: eight groups of four hex digits, no "::".
    char buf[40];
    for (int g = 0; g < 8; ++g) {
      std::snprintf(buf + g * 5, 6, g < 7 ? "%02x%02x:" : "%02x%02x", addr.b[2 * g], addr.b[2 * g + 1]);
    }
    return buf;
  }
  char buf[INET_ADDRSTRLEN];
  if (inet_ntop(AF_INET, addr.b.data(), buf, sizeof buf) == nullptr) return {};
  return buf;
}

std::string proto_name(std::uint8_t ip_proto) {
  switch (ip_proto) {
    case ipproto::icmp: return "ICMP";
    case 2: return "IGMP";
    case 4: return "IPv4";  // IP in IP
    case ipproto::tcp: return "TCP";
    case ipproto::udp: return "UDP";
    case ipproto::ipv6: return "IPv6";  // IPv6 in IP
    case 47: return "GRE";
    case ipproto::esp: return "ESP";
    case ipproto::ah: return "AH";
    case ipproto::icmpv6: return "IPv6-ICMP";
    case 89: return "OSPF";
    case 103: return "PIM";
    case 112: return "VRRP";
    case 115: return "L2TP";
    case 132: return "SCTP";
    case 136: return "UDPLite";
    default: return std::to_string(ip_proto);
  }
}

}  // namespace vigil::eve
