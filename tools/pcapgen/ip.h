// IP datagrams and their transport headers (TCP, UDP, ICMP, ICMPv6), with valid checksums, and
// IPv4 / IPv6 fragmentation. Pure functions returning byte buffers; the link layer is added by
// capture.h.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "tools/pcapgen/bytes.h"

namespace vigil::pcapgen {

using MacAddress = std::array<std::uint8_t, 6>;

struct IpAddr {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4
  std::span<const std::uint8_t> view() const { return {bytes.data(), v6 ? 16u : 4u}; }
};

// Text forms are for the scenarios' fixed address plans: a bad literal is a programming error
// and throws std::invalid_argument.
IpAddr ipv4(std::string_view dotted);
IpAddr ipv4(std::uint32_t host_order);
IpAddr ipv6(std::string_view text);
MacAddress mac(std::string_view text);

namespace proto {
inline constexpr std::uint8_t icmp = 1, tcp = 6, udp = 17, ipv6_fragment = 44, icmpv6 = 58;
}

// Internet checksum (RFC 1071) over a ones-complement partial sum.
std::uint32_t checksum_add(std::uint32_t sum, std::span<const std::uint8_t> data);
std::uint16_t checksum_fold(std::uint32_t sum);

struct IpFields {
  IpAddr src, dst;
  std::uint8_t proto = 0;
  std::uint8_t ttl = 64;             // IPv4 TTL or IPv6 hop limit
  std::uint16_t id = 0;              // IPv4 identification
  bool dont_fragment = false;        // IPv4 DF bit
  std::uint8_t traffic_class = 0;    // IPv4 TOS / IPv6 traffic class
  std::uint32_t flow_label = 0;      // IPv6 only
};

// One unfragmented datagram around an already built transport message.
Bytes ip_datagram(const IpFields& h, std::span<const std::uint8_t> l4);

// The datagram cut to fit `mtu`: one datagram when it fits, else fragments in sending order
// (IPv4 uses h.id; IPv6 adds a fragment header carrying ipv6_id).
std::vector<Bytes> ip_fragments(const IpFields& h, std::span<const std::uint8_t> l4, std::size_t mtu,
                                std::uint32_t ipv6_id);

namespace tcpflag {
inline constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10;
}

struct TcpFields {
  std::uint16_t sport = 0, dport = 0;
  std::uint32_t seq = 0, ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 0;
  Bytes options;  // padded with EOL to a multiple of 4 by tcp_segment
};

Bytes tcp_segment(const IpAddr& src, const IpAddr& dst, const TcpFields& t,
                  std::span<const std::uint8_t> payload);
Bytes udp_datagram(const IpAddr& src, const IpAddr& dst, std::uint16_t sport, std::uint16_t dport,
                   std::span<const std::uint8_t> payload);
// ICMP (IPv4) and ICMPv6 messages; `rest` is the second header word (id/seq, MTU, flags, ...).
Bytes icmpv4_message(std::uint8_t type, std::uint8_t code, std::uint32_t rest,
                     std::span<const std::uint8_t> data);
Bytes icmpv6_message(const IpAddr& src, const IpAddr& dst, std::uint8_t type, std::uint8_t code,
                     std::uint32_t rest, std::span<const std::uint8_t> data);

}  // namespace vigil::pcapgen
