// The answer a `reject` rule sends inline: a TCP RST for TCP, otherwise an ICMP (v4: port
// unreachable, v6: port unreachable) quoting the offending datagram. Built as a raw IP datagram
// (the transmit path adds the link layer) into caller memory: no allocation, usable per packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dataplane/decode/decoded_packet.h"

namespace vigil::detect {

enum class RejectTarget : std::uint8_t {
  source,       // reject / rejectsrc: answer the packet's sender
  destination,  // rejectdst: reset the packet's receiver (TCP only; ICMP always goes to the sender)
};

// Largest datagram build_reject writes: IPv6 header + ICMPv6 header + the quoted bytes.
inline constexpr std::size_t kMaxRejectLen = 40 + 8 + 1232;

// Writes the answer to `p` into `out` and returns its length, or 0 when there is nothing to
// answer (no IP layer, an ICMP error — never answered, to avoid loops — or a TCP RST).
std::size_t build_reject(const DecodedPacket& p, RejectTarget target, std::span<std::uint8_t> out);

}  // namespace vigil::detect
