// Test helpers: IPv4 and IPv6 fragments built byte by byte, with the DecodedPacket the decoder
// would fill for them, so the defragmenter is tested without the decoder.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/decode/decoded_packet.h"
#include "dataplane/defrag/defrag.h"

namespace vigil::test {

using Bytes = std::vector<std::uint8_t>;

inline IpAddress v4_address(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  IpAddress x;
  x.b[0] = a;
  x.b[1] = b;
  x.b[2] = c;
  x.b[3] = d;
  return x;
}

inline IpAddress v6_address(std::uint8_t last) {
  IpAddress x;
  x.b[0] = 0x20;
  x.b[1] = 0x01;
  x.b[2] = 0x0d;
  x.b[3] = 0xb8;
  x.b[15] = last;
  return x;
}

inline void put16(Bytes& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}

inline std::uint16_t get16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}

// One fragment as it crossed the wire. view() rebuilds the decoder's output from `bytes`, so a
// Fragment can be copied and moved freely.
struct Fragment {
  Bytes bytes;
  IpFamily family = IpFamily::v4;
  IpAddress src, dst;
  std::uint8_t proto = 17;
  std::uint32_t id = 0;
  std::uint16_t offset = 0;
  bool more = false;
  std::uint16_t header_len = 0;      // l3_header_len
  std::uint16_t unfragmentable = 0;  // IPv6
  std::uint16_t nh_offset = 0;       // IPv6
  std::array<std::uint16_t, 2> vlan{};
  std::uint8_t vlan_count = 0;

  DecodedPacket view() const {
    DecodedPacket p;
    p.vlan = vlan;
    p.vlan_count = vlan_count;
    p.family = family;
    p.ip_proto = proto;
    p.src = src;
    p.dst = dst;
    p.l3 = bytes;
    p.l3_header_len = header_len;
    p.is_fragment = true;
    p.more_fragments = more;
    p.frag_offset = offset;
    p.frag_id = id;
    p.frag_header_offset = unfragmentable;
    p.unfragmentable_len = unfragmentable;
    p.frag_nh_offset = nh_offset;
    return p;
  }
  std::uint32_t wire_len() const { return static_cast<std::uint32_t>(bytes.size()) + 14; }
};

struct Ipv4Spec {
  IpAddress src = v4_address(192, 0, 2, 1), dst = v4_address(198, 51, 100, 7);
  std::uint16_t id = 0x1234;
  std::uint8_t proto = 17;
  Bytes options;  // multiple of 4 bytes, at most 40
  bool dont_fragment = false;
};

inline Fragment ipv4_fragment(const Ipv4Spec& s, std::uint16_t offset, bool more,
                              std::span<const std::uint8_t> data) {
  Fragment f;
  const std::size_t hlen = 20 + s.options.size();
  f.bytes.assign(hlen, 0);
  f.bytes[0] = static_cast<std::uint8_t>(0x40 | (hlen / 4));
  put16(f.bytes, 2, static_cast<std::uint16_t>(hlen + data.size()));
  put16(f.bytes, 4, s.id);
  put16(f.bytes, 6,
        static_cast<std::uint16_t>((s.dont_fragment ? 0x4000 : 0) | (more ? 0x2000 : 0) |
                                   (offset / 8)));
  f.bytes[8] = 64;
  f.bytes[9] = s.proto;
  for (int i = 0; i < 4; ++i) {
    f.bytes[12 + i] = s.src.b[i];
    f.bytes[16 + i] = s.dst.b[i];
  }
  for (std::size_t i = 0; i < s.options.size(); ++i) f.bytes[20 + i] = s.options[i];
  f.bytes.insert(f.bytes.end(), data.begin(), data.end());
  f.family = IpFamily::v4;
  f.src = s.src;
  f.dst = s.dst;
  f.proto = s.proto;
  f.id = s.id;
  f.offset = offset;
  f.more = more;
  f.header_len = static_cast<std::uint16_t>(hlen);
  return f;
}

struct Ipv6Spec {
  IpAddress src = v6_address(1), dst = v6_address(2);
  std::uint32_t id = 0xcafe0001;
  std::uint8_t proto = 17;
  // Extension headers placed before the fragment header, each 8 bytes (PadN options only).
  std::vector<std::uint8_t> ext_before;  // their types: ipproto::hopopts, dstopts, routing
};

inline constexpr std::uint8_t kFragmentHeaderType = 44;

// The unfragmentable part of an IPv6 datagram carrying `s.ext_before` and then `after`.
inline Bytes ipv6_unfragmentable(const Ipv6Spec& s, std::uint8_t after) {
  Bytes b(40, 0);
  b[0] = 0x60;
  b[6] = s.ext_before.empty() ? after : s.ext_before[0];
  b[7] = 64;
  for (int i = 0; i < 16; ++i) {
    b[8 + i] = s.src.b[i];
    b[24 + i] = s.dst.b[i];
  }
  for (std::size_t e = 0; e < s.ext_before.size(); ++e) {
    const std::uint8_t next = e + 1 < s.ext_before.size() ? s.ext_before[e + 1] : after;
    const Bytes ext = {next, 0, 1, 4, 0, 0, 0, 0};  // PadN filling the 8 bytes
    b.insert(b.end(), ext.begin(), ext.end());
  }
  return b;
}

inline Fragment ipv6_fragment(const Ipv6Spec& s, std::uint16_t offset, bool more,
                              std::span<const std::uint8_t> data) {
  Fragment f;
  f.bytes = ipv6_unfragmentable(s, kFragmentHeaderType);
  const std::size_t unfrag = f.bytes.size();
  const Bytes fh = {s.proto,
                    0,
                    static_cast<std::uint8_t>(offset >> 8),
                    static_cast<std::uint8_t>((offset & 0xf8) | (more ? 1 : 0)),
                    static_cast<std::uint8_t>(s.id >> 24),
                    static_cast<std::uint8_t>(s.id >> 16),
                    static_cast<std::uint8_t>(s.id >> 8),
                    static_cast<std::uint8_t>(s.id)};
  f.bytes.insert(f.bytes.end(), fh.begin(), fh.end());
  f.bytes.insert(f.bytes.end(), data.begin(), data.end());
  put16(f.bytes, 4, static_cast<std::uint16_t>(f.bytes.size() - 40));
  f.family = IpFamily::v6;
  f.src = s.src;
  f.dst = s.dst;
  f.proto = s.proto;
  f.id = s.id;
  f.offset = offset;
  f.more = more;
  f.unfragmentable = static_cast<std::uint16_t>(unfrag);
  f.header_len = static_cast<std::uint16_t>(unfrag + 8);
  f.nh_offset = static_cast<std::uint16_t>(s.ext_before.empty() ? 6 : unfrag - 8);
  return f;
}

// Splits `payload` into fragments carrying `step` bytes each (a multiple of 8), in order.
template <typename Spec, typename Build>
std::vector<Fragment> split(const Spec& s, std::span<const std::uint8_t> payload, std::size_t step,
                            Build build) {
  std::vector<Fragment> out;
  for (std::size_t at = 0; at < payload.size(); at += step) {
    const std::size_t n = std::min(step, payload.size() - at);
    out.push_back(
        build(s, static_cast<std::uint16_t>(at), at + n < payload.size(), payload.subspan(at, n)));
  }
  return out;
}

inline std::vector<Fragment> split_ipv4(const Ipv4Spec& s, std::span<const std::uint8_t> payload,
                                        std::size_t step) {
  return split(s, payload, step, ipv4_fragment);
}

inline std::vector<Fragment> split_ipv6(const Ipv6Spec& s, std::span<const std::uint8_t> payload,
                                        std::size_t step) {
  return split(s, payload, step, ipv6_fragment);
}

// A UDP datagram (header + payload); the checksum is left zero, which IPv4 allows.
inline Bytes udp_datagram(std::uint16_t sport, std::uint16_t dport, std::size_t payload_len) {
  Bytes b(8 + payload_len);
  put16(b, 0, sport);
  put16(b, 2, dport);
  put16(b, 4, static_cast<std::uint16_t>(b.size()));
  for (std::size_t i = 0; i < payload_len; ++i) b[8 + i] = static_cast<std::uint8_t>(i * 7 + 3);
  return b;
}

inline Bytes pattern(std::size_t n, std::uint8_t seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 13 + (i >> 8));
  return b;
}

// What one insert() produced, copied out of the defragmenter's buffer.
struct Offered {
  DefragStatus status = DefragStatus::dropped;
  Bytes datagram;
  std::uint32_t wire_bytes = 0;
};

inline Offered offer(Defragmenter& d, const Fragment& f, std::uint64_t now_ns = 0) {
  Offered o;
  std::span<const std::uint8_t> out;
  o.status = d.insert(f.view(), f.wire_len(), now_ns, out, o.wire_bytes);
  o.datagram.assign(out.begin(), out.end());
  return o;
}

// Offers fragments in the given order; returns what the last one produced.
inline Offered offer_all(Defragmenter& d, const std::vector<Fragment>& frags,
                         std::uint64_t now_ns = 0) {
  Offered o;
  for (const Fragment& f : frags) o = offer(d, f, now_ns);
  return o;
}

inline std::uint32_t total_wire(const std::vector<Fragment>& frags) {
  std::uint32_t n = 0;
  for (const Fragment& f : frags) n += f.wire_len();
  return n;
}

// The one's-complement sum of an IPv4 header including its checksum: 0xffff when it verifies.
inline std::uint16_t ones_sum(std::span<const std::uint8_t> h) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) sum += get16(h, i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

inline DefragConfig small_config(DefragPolicy policy = DefragPolicy::bsd) {
  DefragConfig c;
  c.max_datagrams = 64;
  c.memory_bytes = 1u << 20;
  c.timeout_ns = 1'000'000'000;
  c.policy = policy;
  c.hash_seed = 0x5eed;
  return c;
}

}  // namespace vigil::test
