#include "tools/pcapgen/ip.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace vigil::pcapgen {

IpAddr ipv4(std::string_view dotted) {
  IpAddr a;
  const std::string s(dotted);
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) != 1) throw std::invalid_argument("bad IPv4 literal " + s);
  return a;
}

IpAddr ipv4(std::uint32_t host_order) {
  IpAddr a;
  for (int i = 0; i < 4; ++i) a.bytes[i] = static_cast<std::uint8_t>(host_order >> (24 - 8 * i));
  return a;
}

IpAddr ipv6(std::string_view text) {
  IpAddr a;
  a.v6 = true;
  const std::string s(text);
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) != 1) throw std::invalid_argument("bad IPv6 literal " + s);
  return a;
}

MacAddress mac(std::string_view text) {
  MacAddress m{};
  unsigned v[6];
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
    throw std::invalid_argument("bad MAC literal " + s);
  for (int i = 0; i < 6; ++i) m[i] = static_cast<std::uint8_t>(v[i]);
  return m;
}

std::uint32_t checksum_add(std::uint32_t sum, std::span<const std::uint8_t> data) {
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += static_cast<std::uint32_t>(data[i] << 8 | data[i + 1]);
  if (i < data.size()) sum += static_cast<std::uint32_t>(data[i] << 8);
  return sum;
}

std::uint16_t checksum_fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

namespace {

std::uint32_t pseudo_header_sum(const IpAddr& src, const IpAddr& dst, std::uint8_t proto,
                                std::size_t l4_len) {
  std::uint32_t sum = checksum_add(0, src.view());
  sum = checksum_add(sum, dst.view());
  sum += proto;
  sum += static_cast<std::uint32_t>(l4_len & 0xffff) + static_cast<std::uint32_t>(l4_len >> 16);
  return sum;
}

Bytes ipv4_header(const IpFields& h, std::size_t payload_len, std::uint16_t frag_field) {
  Bytes b;
  b.reserve(20);
  put_u8(b, 0x45);
  put_u8(b, h.traffic_class);
  put_be16(b, static_cast<std::uint16_t>(20 + payload_len));
  put_be16(b, h.id);
  put_be16(b, frag_field);
  put_u8(b, h.ttl);
  put_u8(b, h.proto);
  put_be16(b, 0);
  put_bytes(b, h.src.view());
  put_bytes(b, h.dst.view());
  patch_be16(b, 10, checksum_fold(checksum_add(0, b)));
  return b;
}

Bytes ipv6_header(const IpFields& h, std::size_t payload_len, std::uint8_t next_header) {
  Bytes b;
  b.reserve(40);
  put_be32(b, 6u << 28 | static_cast<std::uint32_t>(h.traffic_class) << 20 | (h.flow_label & 0xfffff));
  put_be16(b, static_cast<std::uint16_t>(payload_len));
  put_u8(b, next_header);
  put_u8(b, h.ttl);
  put_bytes(b, h.src.view());
  put_bytes(b, h.dst.view());
  return b;
}

}  // namespace

Bytes ip_datagram(const IpFields& h, std::span<const std::uint8_t> l4) {
  Bytes b = h.src.v6 ? ipv6_header(h, l4.size(), h.proto)
                     : ipv4_header(h, l4.size(), h.dont_fragment ? 0x4000 : 0);
  put_bytes(b, l4);
  return b;
}

std::vector<Bytes> ip_fragments(const IpFields& h, std::span<const std::uint8_t> l4, std::size_t mtu,
                                std::uint32_t ipv6_id) {
  const std::size_t header = h.src.v6 ? 40 : 20;
  if (header + l4.size() <= mtu) return {ip_datagram(h, l4)};
  // Fragment data lengths are multiples of 8 except the last one's.
  const std::size_t chunk = h.src.v6 ? (mtu - 40 - 8) & ~std::size_t{7} : (mtu - 20) & ~std::size_t{7};
  std::vector<Bytes> out;
  for (std::size_t off = 0; off < l4.size(); off += chunk) {
    const std::size_t len = std::min(chunk, l4.size() - off);
    const bool more = off + len < l4.size();
    const auto piece = l4.subspan(off, len);
    Bytes d;
    if (h.src.v6) {
      d = ipv6_header(h, 8 + len, proto::ipv6_fragment);
      put_u8(d, h.proto);
      put_u8(d, 0);
      put_be16(d, static_cast<std::uint16_t>(off | (more ? 1 : 0)));
      put_be32(d, ipv6_id);
    } else {
      d = ipv4_header(h, len, static_cast<std::uint16_t>((more ? 0x2000 : 0) | (off / 8)));
    }
    put_bytes(d, piece);
    out.push_back(std::move(d));
  }
  return out;
}

Bytes tcp_segment(const IpAddr& src, const IpAddr& dst, const TcpFields& t,
                  std::span<const std::uint8_t> payload) {
  Bytes opts = t.options;
  while (opts.size() % 4) opts.push_back(0);
  Bytes b;
  b.reserve(20 + opts.size() + payload.size());
  put_be16(b, t.sport);
  put_be16(b, t.dport);
  put_be32(b, t.seq);
  put_be32(b, (t.flags & tcpflag::ack) ? t.ack : 0);
  put_u8(b, static_cast<std::uint8_t>((20 + opts.size()) / 4 << 4));
  put_u8(b, t.flags);
  put_be16(b, t.window);
  put_be16(b, 0);
  put_be16(b, 0);
  put_bytes(b, opts);
  put_bytes(b, payload);
  patch_be16(b, 16, checksum_fold(checksum_add(pseudo_header_sum(src, dst, proto::tcp, b.size()), b)));
  return b;
}

Bytes udp_datagram(const IpAddr& src, const IpAddr& dst, std::uint16_t sport, std::uint16_t dport,
                   std::span<const std::uint8_t> payload) {
  Bytes b;
  b.reserve(8 + payload.size());
  put_be16(b, sport);
  put_be16(b, dport);
  put_be16(b, static_cast<std::uint16_t>(8 + payload.size()));
  put_be16(b, 0);
  put_bytes(b, payload);
  std::uint16_t sum = checksum_fold(checksum_add(pseudo_header_sum(src, dst, proto::udp, b.size()), b));
  if (sum == 0) sum = 0xffff;  // zero means "no checksum" in UDP
  patch_be16(b, 6, sum);
  return b;
}

Bytes icmpv4_message(std::uint8_t type, std::uint8_t code, std::uint32_t rest,
                     std::span<const std::uint8_t> data) {
  Bytes b;
  put_u8(b, type);
  put_u8(b, code);
  put_be16(b, 0);
  put_be32(b, rest);
  put_bytes(b, data);
  patch_be16(b, 2, checksum_fold(checksum_add(0, b)));
  return b;
}

Bytes icmpv6_message(const IpAddr& src, const IpAddr& dst, std::uint8_t type, std::uint8_t code,
                     std::uint32_t rest, std::span<const std::uint8_t> data) {
  Bytes b;
  put_u8(b, type);
  put_u8(b, code);
  put_be16(b, 0);
  put_be32(b, rest);
  put_bytes(b, data);
  patch_be16(b, 2, checksum_fold(checksum_add(pseudo_header_sum(src, dst, proto::icmpv6, b.size()), b)));
  return b;
}

}  // namespace vigil::pcapgen
