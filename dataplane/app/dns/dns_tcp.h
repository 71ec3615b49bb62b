// DNS over TCP framing (RFC 1035 4.2.2, RFC 7766): each message is preceded by its 2-byte length.
// DnsTcpState cuts a flow's two byte streams into messages: a message may be split at any byte
// across feeds, and one feed may carry several. Messages longer than kDnsTcpBufferBytes are skipped
// by their length (counted), which keeps the framing. After a gap the direction's framing is lost
// for good: its later bytes are ignored (counted).
//
// Ownership and threading: the state lives in the flow's parser slot (placement-new, then
// dns_tcp_init); it holds no resources, so dns_tcp_close only marks it closed. One worker only.
// The sink is called synchronously; the message bytes are valid only during the call (they point
// into the fed data or into the state's buffer). The sink must not feed the same state.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "dataplane/app/dns/dns_shared.h"
#include "dataplane/app/parser_state.h"
#include "dataplane/flow/flow.h"

namespace vigil::app::dns {

// Per direction, so both fit in the slot with room to spare.
inline constexpr std::size_t kDnsTcpBufferBytes = 16 * 1024 - 64;

class DnsMessageSink {
 public:
  virtual void on_dns_message(FlowDirection dir, std::span<const std::uint8_t> msg) = 0;

 protected:
  ~DnsMessageSink() = default;
};

struct DnsTcpDirection {
  enum class Phase : std::uint8_t {
    length,   // reading the 2-byte length prefix (have_len_bytes of it so far)
    message,  // collecting `need` bytes, `have` of them in `buf`
    skip,     // discarding `need - have` more bytes of an oversized message
    lost,     // after a gap, or closed: framing unknown, bytes ignored
  };
  Phase phase = Phase::length;
  std::uint8_t have_len_bytes = 0;
  std::uint8_t len_hi = 0;
  std::uint16_t need = 0;
  std::uint16_t have = 0;
  std::array<std::uint8_t, kDnsTcpBufferBytes> buf;
};

struct DnsTcpState {
  DnsTcpDirection dir[2];  // by FlowDirection
};
static_assert(sizeof(DnsTcpState) <= vigil::app::kParserStateBytes);

void dns_tcp_init(DnsTcpState& s);
void dns_tcp_feed(DnsTcpState& s, DnsShared& shared, FlowDirection dir,
                  std::span<const std::uint8_t> data, DnsMessageSink& sink);
void dns_tcp_gap(DnsTcpState& s, DnsShared& shared, FlowDirection dir);
// Ends the state's use: both directions stop; nothing to release (the slot is the lead's).
void dns_tcp_close(DnsTcpState& s);

}  // namespace vigil::app::dns
