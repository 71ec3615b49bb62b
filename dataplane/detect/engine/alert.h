// AlertRecord: one alert as it leaves a worker for the control plane (EVE, upload). Fixed-size
// plain data so it can travel through a lock-free queue; the signature pointer refers into the
// worker's RuleSet, which the consumer keeps alive (a rule-set swap drains the queues first).
#pragma once

#include <array>
#include <cstdint>

#include "dataplane/decode/decoded_packet.h"
#include "dataplane/flow/flow.h"

namespace vigil::detect {

struct Signature;

namespace alertflag {
inline constexpr std::uint8_t blocked = 0x01;       // the packet was dropped (inline / simulate-ips)
inline constexpr std::uint8_t stream_match = 0x02;  // matched the reassembled stream, not the packet
inline constexpr std::uint8_t has_flow = 0x04;
inline constexpr std::uint8_t inline_mode = 0x08;     // the engine decides verdicts (IPS)
inline constexpr std::uint8_t packet_dropped = 0x10;  // the packet's verdict: drop or reject
inline constexpr std::uint8_t packet_passed = 0x20;   // a pass rule matched the packet
}  // namespace alertflag

// Where the inspected packet came from, as Suricata's EVE `pkt_src` says.
enum class PacketSource : std::uint8_t { wire, defrag, ipv4_tunnel, ipv6_tunnel };

struct AlertRecord {
  const Signature* sig = nullptr;
  std::uint64_t ts_ns = 0;
  std::uint64_t pcap_cnt = 0;   // the packet's number in the run (1-based)
  std::uint64_t flow_id = 0;
  std::uint64_t flow_start_ns = 0;
  std::uint64_t flow_pkts[2]{}, flow_bytes[2]{};  // by FlowDirection, including this packet
  IpAddress src{}, dst{};       // of the packet
  IpAddress flow_client{}, flow_server{};
  std::uint16_t sport = 0, dport = 0;
  std::uint16_t flow_client_port = 0, flow_server_port = 0;
  std::array<std::uint16_t, 2> vlan{};
  IpFamily family = IpFamily::none;
  std::uint8_t ip_proto = 0;
  std::uint8_t icmp_type = 0, icmp_code = 0;
  FlowDirection dir = FlowDirection::to_server;
  std::uint8_t flags = 0;       // alertflag::*
  PacketSource source = PacketSource::wire;
  std::uint8_t app_proto = 0;   // app::AppProto of the flow when the alert was raised
  // The outermost tunnel the packet came through (tunnel_depth 0: none).
  std::uint8_t tunnel_depth = 0;
  std::uint8_t tunnel_proto = 0;
  IpFamily tunnel_family = IpFamily::none;
  IpAddress tunnel_src{}, tunnel_dst{};
};

// What the engine decided for one packet.
enum class Verdict : std::uint8_t {
  accept,  // forward
  drop,    // inline: do not forward
  reject,  // inline: do not forward, and answer with a TCP RST / ICMP unreachable
};

}  // namespace vigil::detect
