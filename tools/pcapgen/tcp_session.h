// A TCP connection seen by the sensor: handshake with each stack's options, data sent in
// congestion-window rounds with the receiver's (delayed, duplicate, SACK) ACKs, optional loss
// beyond the sensor (the segment is seen twice) or reordering before it, and FIN or RST closes.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "tools/pcapgen/conversation.h"
#include "tools/pcapgen/rng.h"

namespace vigil::pcapgen {

// Which end-host TCP stack: decides SYN option layout, timestamps, window scaling.
enum class TcpStack : std::uint8_t { linux_host, windows_host };

struct TcpEnd {
  TcpStack stack = TcpStack::linux_host;
  std::uint32_t next_seq = 0;   // next sequence number this end sends
  std::uint16_t mss = 1460;     // MSS it advertises
  std::uint8_t wscale = 7;
  std::uint32_t window = 0;     // receive window in bytes
  std::uint32_t ts_base = 0;    // TSval clock offset
  std::uint32_t ts_recent = 0;  // last TSval received from the other end
};

struct TcpSession {
  Conversation conv;
  Rng* rng = nullptr;
  std::array<TcpEnd, 2> end{};
  bool timestamps = false;  // negotiated in the handshake
  bool sack = false;
};

TcpSession tcp_session(const Conversation& conv, Rng& rng, TcpStack client, TcpStack server);

struct SendShape {
  std::uint64_t think_ns = 0;  // application time before the first byte leaves
  int lost_segment = -1;       // segment lost once, then retransmitted (fast or after timeout)
  bool lost_before_sensor = false;  // lost upstream of the sensor: only the retransmission is seen;
                                    // otherwise both copies are (loss between sensor and receiver)
  int reordered_segment = -1;  // segment overtaken by the next one before reaching the sensor
  bool ack_last = true;        // false: the receiver's reply will carry the ACK (delayed ACK)
};

void tcp_connect(TcpSession& s);
// SYN answered by RST/ACK: nothing listens on the port.
void tcp_refused(TcpSession& s);
void tcp_send(TcpSession& s, Side from, std::span<const std::uint8_t> data, const SendShape& shape = {});
// FIN/ACK from `first`, FIN/ACK back, last ACK.
void tcp_close(TcpSession& s, Side first, std::uint64_t think_ns);
// RST/ACK from `from`: an abortive close.
void tcp_reset(TcpSession& s, Side from, std::uint64_t think_ns);

}  // namespace vigil::pcapgen
