// Checksum validation of a decoded TCP packet (Suricata's `-k all`): the Internet checksum over
// the IPv4 / IPv6 pseudo-header and the TCP segment. Pure function, no allocation.
#pragma once

#include "dataplane/decode/decoded_packet.h"

namespace vigil {

// True when the TCP checksum is right, or cannot be checked (not TCP, snapped capture).
bool tcp_checksum_ok(const DecodedPacket& p);

}  // namespace vigil
