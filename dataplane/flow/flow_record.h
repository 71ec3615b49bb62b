// FlowRecord: what leaves a worker when a flow ends (input of the EVE `flow` event). A copyable
// POD with no pointers, so it can cross a lock-free queue by value; the names are static strings.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "dataplane/decode/decoded_packet.h"
#include "dataplane/flow/flow.h"

namespace vigil {

namespace flowrec {
inline constexpr std::uint16_t gap_ts = 0x01;         // the to_server stream skipped a hole
inline constexpr std::uint16_t gap_tc = 0x02;         // the to_client stream skipped a hole
inline constexpr std::uint16_t midstream = 0x04;      // TCP picked up without a handshake
inline constexpr std::uint16_t flagged = 0x08;        // detection flagged the flow
inline constexpr std::uint16_t closed_by_rst = 0x10;  // TCP ended by an accepted RST
}  // namespace flowrec

struct FlowRecord {
  std::uint64_t flow_id = 0;
  std::uint64_t start_ns = 0, end_ns = 0;      // first and last packet
  IpAddress client_addr{}, server_addr{};      // oriented client -> server
  std::uint16_t client_port = 0, server_port = 0;  // 0 for ICMP and port-less protocols
  std::array<std::uint16_t, 2> vlan{};         // outermost first, 0 when absent
  IpFamily family = IpFamily::none;
  std::uint8_t ip_proto = 0;
  std::uint64_t pkts_toserver = 0, pkts_toclient = 0;
  std::uint64_t bytes_toserver = 0, bytes_toclient = 0;
  TcpState tcp_state = TcpState::none;         // meaningful for TCP only
  FlowState state = FlowState::new_;
  FlowEndReason reason = FlowEndReason::timeout;
  std::uint8_t tcp_flags_ts = 0, tcp_flags_tc = 0, tcp_flags = 0;  // to_server, to_client, both
  std::uint8_t icmp_type = 0, icmp_code = 0;   // client's first ICMP message
  std::uint8_t response_icmp_type = 0, response_icmp_code = 0;  // server's first (if any)
  std::uint16_t flags = 0;                     // flowrec::*
  std::uint8_t app_proto = 0;                  // app::AppProto: 0 unknown
};
static_assert(std::is_trivially_copyable_v<FlowRecord>);

FlowRecord make_flow_record(const Flow& f, FlowEndReason reason);

// EVE `flow.state`: "new", "established", "closed".
std::string_view flow_state_name(FlowState s);
// EVE `flow.reason`: "timeout", "forced", "shutdown", "tcp_reuse".
std::string_view flow_end_reason_name(FlowEndReason r);

}  // namespace vigil
