// Decoder chain entry points. Pure functions over spans: no allocation, no state, no exceptions.
// Thread-safety: reentrant; each worker passes its own DecodeCounters.
#pragma once

#include <span>

#include "dataplane/decode/decode_events.h"
#include "dataplane/decode/decoded_packet.h"
#include "dataplane/packet/packet_view.h"

namespace vigil {

// Decodes from the capture's link layer down to the transport payload. `out` is reset first.
DecodeStatus decode_packet(const PacketView& pkt, DecodedPacket& out, DecodeCounters& counters);

// Decodes an IP datagram (IPv4 or IPv6, told by the version nibble) and its transport layer.
// Used for raw-IP link types and for datagrams rebuilt by the defragmenter. Link-layer fields of
// `out` (VLANs, ethertype) are kept; everything from L3 down is overwritten.
DecodeStatus decode_ip(std::span<const std::uint8_t> datagram, DecodedPacket& out,
                       DecodeCounters& counters);

}  // namespace vigil
