// Packet builders and flow-end recorders shared by the flow module's tests.
#pragma once

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "dataplane/decode/decoded_packet.h"
#include "dataplane/flow/flow_record.h"
#include "dataplane/flow/flow_table.h"

namespace vigil::test {

inline constexpr std::uint64_t kSec = 1'000'000'000ull;

// Parses a textual IPv4 or IPv6 address; the family follows from the text.
inline IpAddress ip(const char* text, IpFamily* family = nullptr) {
  IpAddress a;
  if (inet_pton(AF_INET, text, a.b.data()) == 1) {
    if (family) *family = IpFamily::v4;
  } else if (inet_pton(AF_INET6, text, a.b.data()) == 1) {
    if (family) *family = IpFamily::v6;
  }
  return a;
}

inline IpFamily family_of(const char* text) {
  IpFamily f = IpFamily::none;
  ip(text, &f);
  return f;
}

// Zero bytes that payload spans point into.
inline std::span<const std::uint8_t> payload_bytes(std::size_t n) {
  static const std::array<std::uint8_t, 4096> zeros{};
  return std::span<const std::uint8_t>(zeros.data(), n < zeros.size() ? n : zeros.size());
}

inline DecodedPacket ip_pkt(const char* src, const char* dst, std::uint8_t proto) {
  DecodedPacket p;
  p.family = family_of(src);
  p.src = ip(src);
  p.dst = ip(dst);
  p.ip_proto = proto;
  return p;
}

inline DecodedPacket tcp_pkt(const char* src, std::uint16_t sport, const char* dst,
                             std::uint16_t dport, std::uint8_t flags, std::uint32_t seq = 0,
                             std::uint32_t ack = 0, std::size_t len = 0,
                             std::uint16_t window = 65535) {
  DecodedPacket p = ip_pkt(src, dst, ipproto::tcp);
  p.sport = sport;
  p.dport = dport;
  p.tcp_flags = flags;
  p.seq = seq;
  p.ack = ack;
  p.window = window;
  p.payload = payload_bytes(len);
  return p;
}

inline DecodedPacket udp_pkt(const char* src, std::uint16_t sport, const char* dst,
                             std::uint16_t dport, std::size_t len = 0) {
  DecodedPacket p = ip_pkt(src, dst, ipproto::udp);
  p.sport = sport;
  p.dport = dport;
  p.payload = payload_bytes(len);
  return p;
}

inline DecodedPacket icmp_pkt(const char* src, const char* dst, std::uint8_t type,
                              std::uint8_t code, std::uint16_t id = 0) {
  DecodedPacket p = ip_pkt(src, dst, family_of(src) == IpFamily::v6 ? ipproto::icmpv6 : ipproto::icmp);
  p.icmp_type = type;
  p.icmp_code = code;
  p.icmp_id = id;
  return p;
}

inline DecodedPacket with_vlan(DecodedPacket p, std::uint16_t outer, std::uint16_t inner = 0) {
  p.vlan = {outer, inner};
  p.vlan_count = inner != 0 ? 2 : 1;
  return p;
}

// Keeps the record of every flow that ends, in order.
struct Recorder final : FlowEndHandler {
  std::vector<FlowRecord> ended;
  void on_flow_end(Flow& f, FlowEndReason r) override { ended.push_back(make_flow_record(f, r)); }
};

// Counts ended flows without allocating (for the stress test).
struct Counter final : FlowEndHandler {
  std::uint64_t flows = 0, pkts = 0;
  std::array<std::uint64_t, 4> by_reason{};
  void on_flow_end(Flow& f, FlowEndReason r) override {
    ++flows;
    pkts += f.pkts[0] + f.pkts[1];
    ++by_reason[static_cast<std::size_t>(r)];
  }
};

// Looks up (or creates) the packet's flow and accounts it, as the worker pipeline does.
struct Feed {
  FlowTable& table;
  FlowEndHandler& handler;
  FlowDirection dir = FlowDirection::to_server;
  TcpTrackStatus status = TcpTrackStatus::ok;

  Flow* operator()(const DecodedPacket& p, std::uint64_t now_ns, std::uint32_t wire_len = 60) {
    Flow* f = table.lookup_or_create(p, now_ns, dir, handler);
    if (f) status = table.account(*f, dir, p, wire_len, now_ns);
    return f;
  }
};

}  // namespace vigil::test
