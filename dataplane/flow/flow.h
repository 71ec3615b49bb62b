// Flow: the per-flow state a worker keeps in its flow table. Plain data in the table's preallocated
// array; owned by that worker's FlowTable and valid until the flow ends (the FlowEndHandler call is
// the last moment it may be read). Never shared between threads.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/flow/flow_key.h"
#include "dataplane/flow/tcp_state.h"
#include "dataplane/stream/stream_state.h"

namespace vigil {

// Direction of a packet relative to the flow's client (the initiator).
enum class FlowDirection : std::uint8_t { to_server = 0, to_client = 1 };

inline constexpr std::size_t dir_index(FlowDirection d) { return static_cast<std::size_t>(d); }
inline constexpr FlowDirection opposite(FlowDirection d) {
  return d == FlowDirection::to_server ? FlowDirection::to_client : FlowDirection::to_server;
}

// Suricata's flow states, as its EVE `flow.state` field names them.
enum class FlowState : std::uint8_t { new_, established, closed };

// Why a flow ended, as Suricata's EVE `flow.reason` names it.
enum class FlowEndReason : std::uint8_t {
  timeout,    // idle longer than its state's timeout
  forced,     // evicted to make room for a new flow while the table was full
  shutdown,   // the worker flushed its table (end of capture, stop)
  tcp_reuse,  // a new SYN reused the tuple of a closed / time_wait TCP connection
};

namespace flowflag {
inline constexpr std::uint8_t client_is_lo = 0x01;  // the client is the key's lo endpoint
inline constexpr std::uint8_t flagged = 0x02;       // detection asked to keep this flow's packets
inline constexpr std::uint8_t echo = 0x04;          // ICMP echo flow, keyed by identifier
inline constexpr std::uint8_t pass = 0x08;          // a pass rule matched: no more inspection
inline constexpr std::uint8_t drop = 0x10;          // a drop rule matched inline: drop the rest
inline constexpr std::uint8_t alerted = 0x20;       // at least one alert was raised on the flow
inline constexpr std::uint8_t capturing = 0x40;     // its packets are being captured (flagged)
inline constexpr std::uint8_t capture_done = 0x80;  // its capture ended (cap reached)
}  // namespace flowflag

inline constexpr std::uint32_t kNoFlow = 0xffffffffu;

struct Flow {
  FlowKey key{};
  std::uint32_t hash = 0;                 // low 32 bits of the table's hash of key
  std::uint64_t flow_id = 0;              // deterministic, never 0 (see flow_id_for)
  std::uint64_t start_ns = 0, last_ns = 0;
  std::uint64_t pkts[2]{}, bytes[2]{};    // by FlowDirection; bytes are wire lengths
  TcpSession tcp{};                       // unused for other protocols
  StreamDirState stream[2]{};             // by FlowDirection; owned by the stream reassembler
  std::uint32_t lru_prev = kNoFlow, lru_next = kNoFlow;  // timeout list (or free list) links
  std::uint8_t tcp_flags[2]{};            // union of TCP flags seen, by FlowDirection
  std::uint8_t icmp_type[2]{}, icmp_code[2]{};  // of the first ICMP packet in each direction
  std::uint8_t timeout_class = 0;         // which timeout list the flow is on
  std::uint8_t flags = 0;                 // flowflag::*
  std::uint32_t detect_slot = kNoFlow;    // the detection engine's per-flow variables, if any
  std::uint32_t app_slot = kNoFlow;       // the app layer's parser state, if any
  std::uint16_t app_tx = 0;               // DNS transactions opened (wraps at 65,536)
  std::uint8_t app_proto = 0;             // app::AppProto: 0 unknown
  std::uint8_t app_flags = 0;             // app layer's detection state (app_layer.cpp)
  std::uint64_t capture_last = ~std::uint64_t{0};  // flagged-flow capture: the flow's newest
                                                   // packet in the history ring (dataplane/capture)

  bool client_is_lo() const { return (flags & flowflag::client_is_lo) != 0; }
  const IpAddress& client_addr() const { return client_is_lo() ? key.lo_addr : key.hi_addr; }
  const IpAddress& server_addr() const { return client_is_lo() ? key.hi_addr : key.lo_addr; }
  std::uint16_t client_port() const { return client_is_lo() ? key.lo_port : key.hi_port; }
  std::uint16_t server_port() const { return client_is_lo() ? key.hi_port : key.lo_port; }
  // Direction of a packet whose source is (or is not) the key's lo endpoint.
  FlowDirection direction_of(bool src_is_lo) const {
    return src_is_lo == client_is_lo() ? FlowDirection::to_server : FlowDirection::to_client;
  }
};

// Suricata's flow state: for TCP from the connection state, otherwise established once both
// directions carried a packet.
FlowState flow_state(const Flow& f);

// Deterministic flow id from the unseeded key hash and the start time: the same capture gives the
// same ids. Kept to 51 bits, as Suricata does, so JSON consumers with double-precision integers
// read it exactly; never 0.
std::uint64_t flow_id_for(std::uint64_t unseeded_key_hash, std::uint64_t start_ns);

// Swaps which endpoint is the client, with every per-direction field. Used when a handshake
// packet reveals that the flow's first packet came from the server.
void flow_swap_direction(Flow& f);

}  // namespace vigil
