#include "dataplane/flow/flow.h"

#include <utility>

namespace vigil {

FlowState flow_state(const Flow& f) {
  if (f.key.ip_proto == ipproto::tcp) {
    switch (f.tcp.state) {
      case TcpState::none:
      case TcpState::syn_sent:
      case TcpState::syn_recv:
        return FlowState::new_;
      case TcpState::established:
      case TcpState::fin_wait1:
      case TcpState::fin_wait2:
      case TcpState::closing:
      case TcpState::close_wait:
        return FlowState::established;
      case TcpState::last_ack:
      case TcpState::time_wait:
      case TcpState::closed:
        return FlowState::closed;
    }
    return FlowState::new_;
  }
  return f.pkts[0] != 0 && f.pkts[1] != 0 ? FlowState::established : FlowState::new_;
}

std::uint64_t flow_id_for(std::uint64_t unseeded_key_hash, std::uint64_t start_ns) {
  std::uint64_t x = unseeded_key_hash ^ (start_ns * 0x9E3779B97F4A7C15ull);
  x ^= x >> 31;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 29;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 32;
  x &= (std::uint64_t{1} << 51) - 1;
  return x == 0 ? 1 : x;
}

void flow_swap_direction(Flow& f) {
  f.flags ^= flowflag::client_is_lo;
  std::swap(f.pkts[0], f.pkts[1]);
  std::swap(f.bytes[0], f.bytes[1]);
  std::swap(f.tcp_flags[0], f.tcp_flags[1]);
  std::swap(f.icmp_type[0], f.icmp_type[1]);
  std::swap(f.icmp_code[0], f.icmp_code[1]);
  std::swap(f.tcp.peer[0], f.tcp.peer[1]);
  std::swap(f.tcp.fin_seq[0], f.tcp.fin_seq[1]);
  std::swap(f.stream[0], f.stream[1]);
}

}  // namespace vigil
