// Header fix-ups for a reassembled datagram: the first fragment's header, rewritten so the
// datagram reads as never fragmented. Pure functions over caller-owned bytes; thread-safe.
#pragma once

#include <cstdint>
#include <span>

namespace vigil {

// Internet checksum (RFC 1071) of an IPv4 header, computed as if its checksum field were zero.
// `header` is 20..60 bytes; an odd trailing byte is padded with zero.
std::uint16_t ipv4_header_checksum(std::span<const std::uint8_t> header);

// Sets the total length, clears MF and the fragment offset (DF and the reserved bit are kept)
// and recomputes the header checksum. `header` is the whole IPv4 header, options included.
void finish_ipv4_header(std::span<std::uint8_t> header, std::uint16_t total_length);

// Sets the payload length and makes the next-header byte at `nh_offset` (inside `unfragmentable`)
// name what the fragment header named, which removes the fragment header from the chain.
// Returns false, changing nothing, when nh_offset or the fixed header lie outside the bytes.
bool finish_ipv6_header(std::span<std::uint8_t> unfragmentable, std::uint16_t nh_offset,
                        std::uint8_t next_header, std::uint16_t payload_length);

}  // namespace vigil
