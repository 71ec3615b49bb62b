#include "tools/pcapgen/app/dns.h"

#include <map>
#include <stdexcept>
#include <string_view>

namespace vigil::pcapgen {

namespace {

// Suffixes already written, for compression pointers (offsets must fit in 14 bits).
using NameTable = std::map<std::string, std::uint16_t, std::less<>>;

void put_name(Bytes& b, std::string_view name, NameTable& table) {
  while (!name.empty() && name.back() == '.') name.remove_suffix(1);
  while (!name.empty()) {
    if (auto it = table.find(name); it != table.end()) {
      put_be16(b, static_cast<std::uint16_t>(0xc000 | it->second));
      return;
    }
    if (b.size() < 0x4000) table.emplace(std::string(name), static_cast<std::uint16_t>(b.size()));
    const std::size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > 63) throw std::invalid_argument("bad DNS label in " + std::string(name));
    put_u8(b, static_cast<std::uint8_t>(label.size()));
    put_text(b, label);
    name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
  }
  put_u8(b, 0);
}

void put_record(Bytes& b, const DnsRecord& r, NameTable& table) {
  put_name(b, r.name, table);
  put_be16(b, r.type);
  put_be16(b, 1);  // class IN
  put_be32(b, r.ttl);
  const std::size_t len_at = b.size();
  put_be16(b, 0);
  switch (r.type) {
    case dnstype::a:
    case dnstype::aaaa:
      put_bytes(b, r.address.view());
      break;
    case dnstype::cname:
    case dnstype::ns:
    case dnstype::ptr:
      put_name(b, r.target, table);
      break;
    case dnstype::mx:
      put_be16(b, r.preference);
      put_name(b, r.target, table);
      break;
    case dnstype::txt:
      for (const std::string& t : r.texts) {
        if (t.size() > 255) throw std::invalid_argument("TXT string longer than 255 bytes");
        put_u8(b, static_cast<std::uint8_t>(t.size()));
        put_text(b, t);
      }
      break;
    default:
      throw std::invalid_argument("unsupported DNS record type");
  }
  patch_be16(b, len_at, static_cast<std::uint16_t>(b.size() - len_at - 2));
}

}  // namespace

Bytes dns_encode(const DnsMessage& m) {
  Bytes b;
  NameTable table;
  put_be16(b, m.id);
  put_be16(b, m.flags);
  put_be16(b, static_cast<std::uint16_t>(m.questions.size()));
  put_be16(b, static_cast<std::uint16_t>(m.answers.size()));
  put_be16(b, static_cast<std::uint16_t>(m.authorities.size()));
  put_be16(b, static_cast<std::uint16_t>(m.additionals.size() + (m.edns_udp_size ? 1 : 0)));
  for (const DnsQuestion& q : m.questions) {
    put_name(b, q.name, table);
    put_be16(b, q.type);
    put_be16(b, 1);
  }
  for (const DnsRecord& r : m.answers) put_record(b, r, table);
  for (const DnsRecord& r : m.authorities) put_record(b, r, table);
  for (const DnsRecord& r : m.additionals) put_record(b, r, table);
  if (m.edns_udp_size) {
    put_u8(b, 0);  // root name
    put_be16(b, dnstype::opt);
    put_be16(b, m.edns_udp_size);
    put_be32(b, 0);  // extended RCODE, version 0, no DO bit
    put_be16(b, 0);
  }
  return b;
}

Bytes dns_tcp_frame(const Bytes& message) {
  Bytes b;
  put_be16(b, static_cast<std::uint16_t>(message.size()));
  put_bytes(b, message);
  return b;
}

}  // namespace vigil::pcapgen
