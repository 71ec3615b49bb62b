#include "dataplane/detect/engine/reject.h"

#include <algorithm>
#include <cstring>

#include "dataplane/decode/checksum.h"

namespace vigil::detect {

namespace {

void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v) {
  put16(p, static_cast<std::uint16_t>(v >> 16));
  put16(p + 2, static_cast<std::uint16_t>(v));
}


// The IP header of the answer, from `src` to `dst`; returns its length. `payload_len` follows.
std::size_t ip_header(IpFamily family, const IpAddress& src, const IpAddress& dst,
                      std::uint8_t proto, std::size_t payload_len, std::uint8_t* out) {
  if (family == IpFamily::v4) {
    std::memset(out, 0, 20);
    out[0] = 0x45;
    put16(out + 2, static_cast<std::uint16_t>(20 + payload_len));
    out[8] = 64;
    out[9] = proto;
    std::memcpy(out + 12, src.b.data(), 4);
    std::memcpy(out + 16, dst.b.data(), 4);
    put16(out + 10, checksum_finish(checksum_add({out, 20}, 0)));
    return 20;
  }
  std::memset(out, 0, 40);
  out[0] = 0x60;
  put16(out + 4, static_cast<std::uint16_t>(payload_len));
  out[6] = proto;
  out[7] = 64;
  std::memcpy(out + 8, src.b.data(), 16);
  std::memcpy(out + 24, dst.b.data(), 16);
  return 40;
}


}  // namespace

std::size_t build_reject(const DecodedPacket& p, RejectTarget target, std::span<std::uint8_t> out) {
  if (p.family == IpFamily::none || out.size() < kMaxRejectLen) return 0;
  std::uint8_t* o = out.data();
  if (p.ip_proto == ipproto::tcp && p.tcp_header_len >= 20) {
    if (p.tcp_flags & tcpflag::rst) return 0;
    // RFC 793: an RST that the peer accepts. To the sender: seq = its ack (if ACK set), ack = its
    // seq + segment length; to the receiver: as if the sender had reset.
    const bool to_src = target == RejectTarget::source;
    const std::uint32_t seg_len = static_cast<std::uint32_t>(p.payload.size()) +
                                  ((p.tcp_flags & tcpflag::syn) ? 1u : 0u) +
                                  ((p.tcp_flags & tcpflag::fin) ? 1u : 0u);
    const IpAddress& src = to_src ? p.dst : p.src;
    const IpAddress& dst = to_src ? p.src : p.dst;
    const std::size_t ip_len = ip_header(p.family, src, dst, ipproto::tcp, 20, o);
    std::uint8_t* t = o + ip_len;
    std::memset(t, 0, 20);
    put16(t, to_src ? p.dport : p.sport);
    put16(t + 2, to_src ? p.sport : p.dport);
    if (to_src) {
      put32(t + 4, (p.tcp_flags & tcpflag::ack) ? p.ack : 0);
      put32(t + 8, p.seq + seg_len);
      t[13] = tcpflag::rst | tcpflag::ack;
    } else {
      put32(t + 4, p.seq + seg_len);
      t[13] = tcpflag::rst;
    }
    t[12] = 5 << 4;
    put16(t + 16, checksum_finish(
                      checksum_add({t, 20}, pseudo_header_sum(p.family, src, dst, ipproto::tcp, 20))));
    return ip_len + 20;
  }
  // ICMP errors are never answered with ICMP errors (RFC 1122 / RFC 4443).
  if (p.ip_proto == ipproto::icmp && p.l4.size() >= 1 &&
      !(p.icmp_type == 0 || p.icmp_type == 8 || p.icmp_type == 13 || p.icmp_type == 15 ||
        p.icmp_type == 17)) {
    return 0;
  }
  if (p.ip_proto == ipproto::icmpv6 && p.l4.size() >= 1 && p.icmp_type < 128) return 0;
  const bool v4 = p.family == IpFamily::v4;
  // Quote the offending datagram: IPv4 its header and 8 bytes (RFC 792), IPv6 as much as fits in
  // the minimum MTU (RFC 4443).
  const std::size_t hdr = v4 ? 20 : 40;
  const std::size_t quote =
      v4 ? std::min<std::size_t>(p.l3.size(), p.l3_header_len + 8u)
         : std::min<std::size_t>(p.l3.size(), 1280 - hdr - 8);
  const std::uint8_t proto = v4 ? ipproto::icmp : ipproto::icmpv6;
  const std::size_t ip_len = ip_header(p.family, p.dst, p.src, proto, 8 + quote, o);
  std::uint8_t* m = o + ip_len;
  std::memset(m, 0, 8);
  m[0] = v4 ? 3 : 1;  // destination unreachable
  m[1] = v4 ? 3 : 4;  // port unreachable
  std::memcpy(m + 8, p.l3.data(), quote);
  const std::uint32_t base = v4 ? 0 : pseudo_header_sum(p.family, p.dst, p.src, proto, 8 + quote);
  put16(m + 2, checksum_finish(checksum_add({m, 8 + quote}, base)));
  return ip_len + 8 + quote;
}

}  // namespace vigil::detect
