// Per-flow TCP connection-tracking state, embedded in each Flow. Plain data; owned by the worker
// that owns the flow, never shared. The transitions live in tcp_tracker.h.
#pragma once

#include <cstdint>
#include <string_view>

namespace vigil {

// Suricata's TCP session states, with the names its EVE `tcp.state` field uses.
enum class TcpState : std::uint8_t {
  none,         // no handshake seen yet (and no midstream pickup)
  syn_sent,     // client SYN seen
  syn_recv,     // SYN-ACK seen (or both SYNs of a simultaneous open)
  established,  // handshake complete, or picked up midstream
  fin_wait1,    // client sent FIN
  fin_wait2,    // server acknowledged the client's FIN
  time_wait,    // both FINs sent, the client's acknowledged
  last_ack,     // server FIN'd first, then the client FIN'd
  close_wait,   // server sent FIN
  closing,      // both sides FIN'd before either FIN was acknowledged
  closed,       // final ACK seen, or a plausible RST
};

std::string_view tcp_state_name(TcpState s);

namespace tcppeer {
inline constexpr std::uint8_t isn_known = 0x01;  // the SYN (or SYN-ACK) fixed isn
inline constexpr std::uint8_t seq_known = 0x02;  // next_seq is meaningful
inline constexpr std::uint8_t ack_known = 0x04;  // last_ack and window are meaningful
inline constexpr std::uint8_t wscale_set = 0x08; // the SYN carried a window-scale option
inline constexpr std::uint8_t syn_acked = 0x10;  // the other side acknowledged this side's SYN
inline constexpr std::uint8_t fin_sent = 0x20;   // this side sent FIN (fin_seq valid)
inline constexpr std::uint8_t fin_acked = 0x40;  // the other side acknowledged that FIN
inline constexpr std::uint8_t rst_sent = 0x80;   // this side sent an accepted RST
}  // namespace tcppeer

// What the tracker knows about one sender (index by FlowDirection: 0 = client, 1 = server).
struct TcpPeer {
  std::uint32_t isn = 0;       // initial sequence number (valid with isn_known)
  std::uint32_t next_seq = 0;  // highest sequence number sent + 1 (SYN and FIN count one)
  std::uint32_t last_ack = 0;  // highest acknowledgement this side sent
  std::uint32_t window = 0;    // this side's receive window in bytes (already scaled)
  std::uint8_t wscale = 0;     // shift this side applies to the windows it advertises
  std::uint8_t flags = 0;      // tcppeer::*
  std::uint16_t mss = 0;       // MSS option of this side's SYN, 0 when absent
};

namespace tcpsess {
inline constexpr std::uint8_t midstream = 0x01;      // picked up without a handshake
inline constexpr std::uint8_t simultaneous = 0x02;   // both sides sent a bare SYN
inline constexpr std::uint8_t wscale_on = 0x04;      // both SYNs carried window scale
inline constexpr std::uint8_t closed_by_rst = 0x08;  // ended by an accepted RST
inline constexpr std::uint8_t async = 0x10;          // established from the client's side only
}  // namespace tcpsess

struct TcpSession {
  TcpPeer peer[2]{};
  std::uint32_t fin_seq[2]{};  // sequence number of each side's FIN (valid with fin_sent)
  TcpState state = TcpState::none;
  std::uint8_t flags = 0;      // tcpsess::*
};

}  // namespace vigil
