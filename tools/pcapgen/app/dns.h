// DNS messages in wire format (RFC 1035) with name compression, EDNS(0) OPT records, and the
// two-byte length prefix used over TCP.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/pcapgen/bytes.h"
#include "tools/pcapgen/ip.h"

namespace vigil::pcapgen {

namespace dnstype {
inline constexpr std::uint16_t a = 1, ns = 2, cname = 5, soa = 6, ptr = 12, mx = 15, txt = 16,
                               aaaa = 28, opt = 41;
}

struct DnsRecord {
  std::string name;
  std::uint16_t type = dnstype::a;
  std::uint32_t ttl = 300;
  IpAddr address;                  // A, AAAA
  std::string target;              // CNAME, NS, PTR, MX exchange
  std::uint16_t preference = 0;    // MX
  std::vector<std::string> texts;  // TXT character-strings (each < 256 bytes)
};

struct DnsQuestion {
  std::string name;
  std::uint16_t type = dnstype::a;
};

struct DnsMessage {
  std::uint16_t id = 0;
  std::uint16_t flags = 0x0100;  // query with RD; responses typically 0x8180
  std::vector<DnsQuestion> questions;
  std::vector<DnsRecord> answers, authorities, additionals;
  std::uint16_t edns_udp_size = 0;  // non-zero: append an OPT record advertising this size
};

Bytes dns_encode(const DnsMessage& m);
// DNS over TCP: the message behind its two-byte length.
Bytes dns_tcp_frame(const Bytes& message);

}  // namespace vigil::pcapgen
