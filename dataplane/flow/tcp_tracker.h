// TCP connection tracking: moves a flow's TcpSession through Suricata's states on each packet and
// fixes each direction's initial sequence number for the stream reassembler. Free functions over
// the flow and the packet; no allocation. Thread-safety: call from the worker owning the flow, with
// that worker's TcpCounters.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/common/counter_set.h"
#include "dataplane/decode/decoded_packet.h"
#include "dataplane/flow/flow.h"

namespace vigil {

struct TcpTrackConfig {
  // Pick up connections whose handshake was not seen: a first packet with ACK and no SYN makes
  // the flow established, its sender the client. Off: such flows stay in state none.
  bool midstream = true;
  // Accept a connection whose server side is never seen (asymmetric routing): after the client's
  // SYN, its ACK without a SYN-ACK establishes the connection (Suricata's stream.async-oneside).
  bool async_oneside = false;
};

// Largest window-scale shift RFC 7323 allows; also what midstream pickup assumes, so that a
// plausible RST is never rejected for a window we could not see negotiated.
inline constexpr std::uint8_t kTcpMaxWscale = 14;

// X(enumerator, "stats name"): every way a TCP packet can fail to fit its connection.
#define VIGIL_TCP_COUNTERS(X)                                       \
  X(midstream_pickup, "tcp.midstream_pickup")                       \
  X(midstream_disabled, "tcp.midstream_disabled")                   \
  X(async_oneside, "tcp.async_oneside")     /* established on one side only */ \
  X(direction_swapped, "tcp.direction_swapped")                     \
  X(rst_but_no_session, "tcp.rst_but_no_session")                   \
  X(invalid_rst, "tcp.invalid_rst")                                 \
  X(pkt_without_ack, "tcp.pkt_without_ack")                         \
  X(syn_on_established, "tcp.syn_on_established")                   \
  X(syn_resend_diff_seq, "tcp.syn_resend_diff_seq")                 \
  X(synack_bad_ack, "tcp.synack_bad_ack")                           \
  X(synack_resend_diff_seq, "tcp.synack_resend_diff_seq")           \
  X(handshake_bad_ack, "tcp.handshake_bad_ack")                     \
  X(handshake_wrong_dir, "tcp.handshake_wrong_dir")                 \
  X(handshake_unexpected, "tcp.handshake_unexpected")               \
  X(pkt_on_closed, "tcp.pkt_on_closed")                             \
  X(invalid_wscale, "tcp.invalid_wscale")

enum class TcpCounter : std::uint8_t { VIGIL_TCP_COUNTERS(VIGIL_COUNTER_ENUM) count_ };

inline constexpr std::size_t kTcpCounterCount = static_cast<std::size_t>(TcpCounter::count_);

std::string_view tcp_counter_name(TcpCounter c);

// Per-worker counters; plain integers because each worker owns its own.
using TcpCounters = CounterSet<TcpCounter, kTcpCounterCount>;

enum class TcpTrackStatus : std::uint8_t {
  ok,       // the packet fits the connection (its state may have changed)
  anomaly,  // it does not: a TcpCounter says why, and the connection state is unchanged
};

// Advances the connection with one packet of `f` travelling in `dir`. Calls stream_dir_init on a
// direction when its first sequence number becomes known (SYN, SYN-ACK, midstream pickup).
TcpTrackStatus tcp_track(Flow& f, FlowDirection dir, const DecodedPacket& p,
                         const TcpTrackConfig& cfg, TcpCounters& counters);

// True when `p` is a bare SYN on a connection that is over (closed or time_wait): the tuple is
// being reused, so the old flow must end (reason tcp_reuse) and a new one start.
bool tcp_packet_reuses_flow(const Flow& f, const DecodedPacket& p);

// True when a handshake packet shows the flow's orientation is backwards: a bare SYN travelling to
// the client, or a SYN-ACK travelling to the server, while no handshake has been tracked yet.
bool tcp_handshake_reverses(const Flow& f, FlowDirection dir, const DecodedPacket& p);

}  // namespace vigil
