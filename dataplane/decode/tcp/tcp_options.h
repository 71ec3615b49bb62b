// TCP option parsing, shared by the decoder and by anything that needs to re-read options.
// Pure function over a span; reentrant; the caller owns `out` and `counters`.
#pragma once

#include <cstdint>
#include <span>

#include "dataplane/decode/decode_events.h"
#include "dataplane/decode/decoded_packet.h"

namespace vigil {

// Window scale shifts above this are treated as this (RFC 7323 section 2.3).
inline constexpr std::uint8_t kTcpMaxWindowScale = 14;

// Parses the options area of a TCP header (the bytes after the 20 fixed ones) into `out`.
// Bad options are anomalies, never malformations: an option whose length byte is unusable ends
// the walk (tcp.invalid_optlen); a known option with the wrong length for its kind is ignored
// (tcp.opt_invalid_len); a repeated known option keeps the first value (tcp.opt_duplicate).
void parse_tcp_options(std::span<const std::uint8_t> options, TcpOptions& out,
                       DecodeCounters& counters);

}  // namespace vigil
