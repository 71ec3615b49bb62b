// The Internet checksum (RFC 1071): validation of a decoded TCP packet (Suricata's `-k all`) and
// the pieces to compute one (the reject answers). Pure functions, no allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dataplane/decode/decoded_packet.h"

namespace vigil {

// RFC 1071: adds `bytes` as 16-bit big-endian words (an odd last byte padded) to `acc`.
std::uint32_t checksum_add(std::span<const std::uint8_t> bytes, std::uint32_t acc);
// Folds the carries of a running sum and complements it: the value a checksum field holds.
std::uint16_t checksum_finish(std::uint32_t acc);
// The TCP/UDP/ICMPv6 pseudo-header's contribution for a transport segment of `len` bytes.
std::uint32_t pseudo_header_sum(IpFamily family, const IpAddress& src, const IpAddress& dst,
                                std::uint8_t ip_proto, std::size_t len);

// True when the TCP checksum is right, or cannot be checked (not TCP, snapped capture).
bool tcp_checksum_ok(const DecodedPacket& p);

}  // namespace vigil
