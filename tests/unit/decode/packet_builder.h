// Test-only helpers that build packets byte by byte, layer by layer. Each builder writes the
// header fields exactly as given (no checksums: the decoder does not verify them), so a test can
// break any single field. Heap use is fine here: this is test code, not the packet path.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <utility>
#include <vector>

#include <CppUTest/TestHarness.h>

#include "dataplane/decode/decode.h"

namespace vigil::test {

using Packet = std::vector<std::uint8_t>;

struct Writer {
  Packet b;
  Writer& u8(unsigned v) {
    b.push_back(static_cast<std::uint8_t>(v));
    return *this;
  }
  Writer& be16(unsigned v) { return u8(v >> 8).u8(v); }
  Writer& be32(std::uint32_t v) { return be16(v >> 16).be16(v & 0xffff); }
  Writer& le32(std::uint32_t v) { return u8(v).u8(v >> 8).u8(v >> 16).u8(v >> 24); }
  Writer& bytes(std::span<const std::uint8_t> s) {
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Writer& bytes(std::initializer_list<std::uint8_t> s) {
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Writer& zeros(std::size_t n) {
    b.insert(b.end(), n, 0);
    return *this;
  }
};

inline Packet cat(std::initializer_list<std::span<const std::uint8_t>> parts) {
  Writer w;
  for (auto p : parts) w.bytes(p);
  return w.b;
}

inline Packet bytes_of(std::initializer_list<std::uint8_t> s) { return Packet(s); }

// ---- Link layers ----

inline Packet ethernet(std::uint16_t type, std::span<const std::uint8_t> payload,
                       std::initializer_list<std::uint16_t> tags = {},
                       std::uint16_t tag_tpid = 0x8100) {
  Writer w;
  w.bytes({0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb});
  for (std::uint16_t tci : tags) w.be16(tag_tpid).be16(tci);
  w.be16(type).bytes(payload);
  return w.b;
}

inline Packet sll(std::uint16_t arphrd, std::uint16_t protocol,
                  std::span<const std::uint8_t> payload) {
  Writer w;
  w.be16(0).be16(arphrd).be16(6).bytes({0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0});
  w.be16(protocol).bytes(payload);
  return w.b;
}

inline Packet sll2(std::uint16_t arphrd, std::uint16_t protocol,
                   std::span<const std::uint8_t> payload) {
  Writer w;
  w.be16(protocol).be16(0).be32(3).be16(arphrd).u8(0).u8(6);
  w.bytes({0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0}).bytes(payload);
  return w.b;
}

// PPP: address and control (0xff 0x03) when `hdlc`, then the protocol field (one byte when
// `compressed`).
inline Packet ppp(std::uint16_t protocol, std::span<const std::uint8_t> payload, bool hdlc = true,
                  bool compressed = false) {
  Writer w;
  if (hdlc) w.u8(0xff).u8(0x03);
  if (compressed) {
    w.u8(protocol);
  } else {
    w.be16(protocol);
  }
  w.bytes(payload);
  return w.b;
}

// PPPoE session header (version/type 0x11, code 0, session 0x42); `length` -1: the payload's.
inline Packet pppoe(std::span<const std::uint8_t> ppp_frame, int length = -1,
                    std::uint8_t version_type = 0x11, std::uint8_t code = 0) {
  Writer w;
  w.u8(version_type).u8(code).be16(0x42);
  w.be16(length >= 0 ? static_cast<unsigned>(length) : ppp_frame.size()).bytes(ppp_frame);
  return w.b;
}

// ---- Tunnels ----

// GRE with the optional fields the flags announce, in order (checksum+offset, key, sequence,
// acknowledgment); `fields` gives their values.
inline Packet gre(std::uint16_t flags, std::uint16_t protocol, std::span<const std::uint8_t> payload,
                  std::initializer_list<std::uint32_t> fields = {}) {
  Writer w;
  w.be16(flags).be16(protocol);
  for (std::uint32_t f : fields) w.be32(f);
  w.bytes(payload);
  return w.b;
}

// PPTP's enhanced GRE (version 1, key present, protocol PPP) with a sequence number, carrying
// `ppp_frame`.
inline Packet pptp_gre(std::span<const std::uint8_t> ppp_frame, std::uint16_t call_id = 7) {
  const auto len = static_cast<std::uint32_t>(ppp_frame.size());
  return gre(0x3001, 0x880b, ppp_frame, {len << 16 | call_id, 1});
}

// VXLAN header (I flag, VNI) before an Ethernet frame.
inline Packet vxlan(std::uint32_t vni, std::span<const std::uint8_t> frame) {
  Writer w;
  w.u8(0x08).zeros(3).be32(vni << 8).bytes(frame);
  return w.b;
}

// ---- IPv4 ----

struct Ipv4Spec {
  std::uint8_t proto = 6;
  std::uint8_t ttl = 64;
  std::uint16_t id = 0x1234;
  std::uint16_t flags_offset = 0x4000;  // DF
  std::vector<std::uint8_t> options{};  // must be a multiple of 4 long (or ihl set explicitly)
  int version = 4;
  int ihl = -1;                         // -1: from the options
  int total_len = -1;                   // -1: header + payload
  std::array<std::uint8_t, 4> src{192, 0, 2, 1}, dst{198, 51, 100, 7};
};

inline Packet ipv4(const Ipv4Spec& s, std::span<const std::uint8_t> payload) {
  const unsigned ihl = s.ihl >= 0 ? static_cast<unsigned>(s.ihl) : 5 + s.options.size() / 4;
  const unsigned total = s.total_len >= 0 ? static_cast<unsigned>(s.total_len)
                                           : 20 + s.options.size() + payload.size();
  Writer w;
  w.u8(static_cast<unsigned>(s.version) << 4 | (ihl & 0x0f)).u8(0).be16(total);
  w.be16(s.id).be16(s.flags_offset).u8(s.ttl).u8(s.proto).be16(0);
  w.bytes(s.src).bytes(s.dst).bytes(s.options).bytes(payload);
  return w.b;
}

// ---- IPv6 ----

struct Ipv6Spec {
  std::uint8_t next_header = 6;
  std::uint8_t hop_limit = 64;
  int version = 6;
  int payload_len = -1;  // -1: from the payload
  std::array<std::uint8_t, 16> src{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  std::array<std::uint8_t, 16> dst{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
};

inline Packet ipv6(const Ipv6Spec& s, std::span<const std::uint8_t> payload) {
  const unsigned plen =
      s.payload_len >= 0 ? static_cast<unsigned>(s.payload_len) : payload.size();
  Writer w;
  w.u8(static_cast<unsigned>(s.version) << 4).u8(0).be16(0).be16(plen).u8(s.next_header);
  w.u8(s.hop_limit).bytes(s.src).bytes(s.dst).bytes(payload);
  return w.b;
}

// Hop-by-hop, destination options or routing header: next header, length in 8-byte units
// beyond the first 8, then `body` (6 + 8n bytes), then what follows.
inline Packet ext_header(std::uint8_t next, std::span<const std::uint8_t> body,
                         std::span<const std::uint8_t> rest) {
  Writer w;
  w.u8(next).u8(static_cast<unsigned>((body.size() + 2) / 8 - 1)).bytes(body).bytes(rest);
  return w.b;
}

// Options area of six bytes that is one PadN option (type 1, length 4).
inline Packet padn6() { return bytes_of({1, 4, 0, 0, 0, 0}); }

inline Packet fragment_header(std::uint8_t next, std::uint16_t offset_bytes, bool more,
                              std::uint32_t id, std::span<const std::uint8_t> rest) {
  Writer w;
  w.u8(next).u8(0).be16(static_cast<unsigned>(offset_bytes & 0xfff8) | (more ? 1u : 0u)).be32(id);
  w.bytes(rest);
  return w.b;
}

// Authentication header with a 12-byte ICV: (n + 2) * 4 = 24 bytes, n = 4.
inline Packet ah_header(std::uint8_t next, std::span<const std::uint8_t> rest) {
  Writer w;
  w.u8(next).u8(4).be16(0).be32(0x1000).be32(1).zeros(12).bytes(rest);
  return w.b;
}

// ---- Transport ----

struct TcpSpec {
  std::uint16_t sport = 40000, dport = 80;
  std::uint32_t seq = 1000, ack = 2000;
  std::uint8_t flags = 0x18;  // PSH|ACK
  std::uint16_t window = 65535;
  std::vector<std::uint8_t> options{};  // padded by the caller to a multiple of 4
  int data_offset = -1;                 // -1: from the options
};

inline Packet tcp(const TcpSpec& s, std::span<const std::uint8_t> payload) {
  const unsigned doff =
      s.data_offset >= 0 ? static_cast<unsigned>(s.data_offset) : 5 + s.options.size() / 4;
  Writer w;
  w.be16(s.sport).be16(s.dport).be32(s.seq).be32(s.ack).u8((doff & 0x0f) << 4).u8(s.flags);
  w.be16(s.window).be16(0).be16(0).bytes(s.options).bytes(payload);
  return w.b;
}

inline Packet udp(std::uint16_t sport, std::uint16_t dport, std::span<const std::uint8_t> payload,
                  int length = -1) {
  Writer w;
  w.be16(sport).be16(dport).be16(length >= 0 ? static_cast<unsigned>(length) : 8 + payload.size());
  w.be16(0).bytes(payload);
  return w.b;
}

inline Packet icmp(std::uint8_t type, std::uint8_t code, std::uint16_t id, std::uint16_t seq,
                   std::span<const std::uint8_t> payload) {
  Writer w;
  w.u8(type).u8(code).be16(0).be16(id).be16(seq).bytes(payload);
  return w.b;
}

inline Packet text(const char* s) {
  Packet p;
  for (; *s != 0; ++s) p.push_back(static_cast<std::uint8_t>(*s));
  return p;
}

// ---- Decoding ----

struct Decoded {
  DecodeStatus status{};
  DecodedPacket pkt{};
  DecodeCounters counters{};
  Packet owned{};  // the bytes, when decode() was handed a temporary packet
  std::uint64_t total_events() const {
    std::uint64_t n = 0;
    for (auto v : counters.values) n += v;
    return n;
  }
};

// Decodes `bytes` as a capture of link type `link`; `wire_len` 0 means the whole packet was
// captured, anything larger means the capture tool cut it to `bytes.size()`. The spans in the
// result point into `bytes`, which the caller keeps alive.
inline Decoded decode(LinkType link, std::span<const std::uint8_t> bytes,
                      std::uint32_t wire_len = 0) {
  PacketView view;
  view.data = bytes.data();
  view.caplen = static_cast<std::uint32_t>(bytes.size());
  view.wire_len = wire_len != 0 ? wire_len : view.caplen;
  view.link_type = link;
  Decoded d;
  d.status = decode_packet(view, d.pkt, d.counters);
  return d;
}

// The same for a temporary packet: the result keeps the bytes (moving a vector keeps its buffer,
// so the spans stay valid).
inline Decoded decode(LinkType link, Packet&& bytes, std::uint32_t wire_len = 0) {
  Packet keep = std::move(bytes);
  Decoded d = decode(link, std::span<const std::uint8_t>(keep), wire_len);
  d.owned = std::move(keep);
  return d;
}

// Whether `inner` lies within `outer` (spans point into the packet, never elsewhere).
inline bool within(std::span<const std::uint8_t> inner, std::span<const std::uint8_t> outer) {
  if (inner.empty()) return true;
  const auto in = reinterpret_cast<std::uintptr_t>(inner.data());
  const auto out = reinterpret_cast<std::uintptr_t>(outer.data());
  return in >= out && in + inner.size() <= out + outer.size();
}

// Asserts that decoding counted exactly one event, `e`, once.
inline void expect_only_event(const Decoded& d, DecodeEvent e) {
  const char* name = decode_event_name(e).data();
  UNSIGNED_LONGS_EQUAL_TEXT(1, d.counters.get(e),
                            StringFromFormat("count of %s", name).asCharString());
  UNSIGNED_LONGS_EQUAL_TEXT(1, d.total_events(),
                            StringFromFormat("events in all (only %s)", name).asCharString());
}

}  // namespace vigil::test

namespace vigil {
inline SimpleString StringFrom(DecodeStatus s) {
  switch (s) {
    case DecodeStatus::ok: return "ok";
    case DecodeStatus::fragment: return "fragment";
    case DecodeStatus::not_ip: return "not_ip";
    case DecodeStatus::malformed: return "malformed";
  }
  return "?";
}
}  // namespace vigil
