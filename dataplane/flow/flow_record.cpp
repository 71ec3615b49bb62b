#include "dataplane/flow/flow_record.h"

namespace vigil {

FlowRecord make_flow_record(const Flow& f, FlowEndReason reason) {
  constexpr std::size_t ts = dir_index(FlowDirection::to_server);
  constexpr std::size_t tc = dir_index(FlowDirection::to_client);
  FlowRecord r;
  r.flow_id = f.flow_id;
  r.app_proto = f.app_proto;
  r.start_ns = f.start_ns;
  r.end_ns = f.last_ns;
  r.client_addr = f.client_addr();
  r.server_addr = f.server_addr();
  const bool icmp = f.key.ip_proto == ipproto::icmp || f.key.ip_proto == ipproto::icmpv6;
  if (!icmp) {
    r.client_port = f.client_port();
    r.server_port = f.server_port();
  }
  r.vlan = f.key.vlan;
  r.family = f.key.family;
  r.ip_proto = f.key.ip_proto;
  r.pkts_toserver = f.pkts[ts];
  r.pkts_toclient = f.pkts[tc];
  r.bytes_toserver = f.bytes[ts];
  r.bytes_toclient = f.bytes[tc];
  r.tcp_state = f.tcp.state;
  r.state = flow_state(f);
  r.reason = reason;
  r.tcp_flags_ts = f.tcp_flags[ts];
  r.tcp_flags_tc = f.tcp_flags[tc];
  r.tcp_flags = static_cast<std::uint8_t>(f.tcp_flags[ts] | f.tcp_flags[tc]);
  r.icmp_type = f.icmp_type[ts];
  r.icmp_code = f.icmp_code[ts];
  r.response_icmp_type = f.icmp_type[tc];
  r.response_icmp_code = f.icmp_code[tc];
  if (f.stream[ts].flags & streamflag::gap) r.flags |= flowrec::gap_ts;
  if (f.stream[tc].flags & streamflag::gap) r.flags |= flowrec::gap_tc;
  if (f.tcp.flags & tcpsess::midstream) r.flags |= flowrec::midstream;
  if (f.tcp.flags & tcpsess::closed_by_rst) r.flags |= flowrec::closed_by_rst;
  if (f.flags & flowflag::flagged) r.flags |= flowrec::flagged;
  return r;
}

std::string_view flow_state_name(FlowState s) {
  switch (s) {
    case FlowState::new_: return "new";
    case FlowState::established: return "established";
    case FlowState::closed: return "closed";
  }
  return "unknown";
}

std::string_view flow_end_reason_name(FlowEndReason r) {
  switch (r) {
    case FlowEndReason::timeout: return "timeout";
    case FlowEndReason::forced: return "forced";
    case FlowEndReason::shutdown: return "shutdown";
    case FlowEndReason::tcp_reuse: return "tcp_reuse";
  }
  return "unknown";
}

}  // namespace vigil
