// Text forms shared by every EVE event: Suricata's timestamp format, addresses, protocol names.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dataplane/decode/decoded_packet.h"

namespace vigil::eve {

// "2024-05-01T10:20:30.123456+0000": UTC, microseconds, as Suricata writes it.
std::string timestamp(std::uint64_t ts_ns);

// Dotted quad for IPv4; IPv6 in full (eight groups of four hex digits), as Suricata writes it.
std::string ip_text(IpFamily family, const IpAddress& addr);

// Protocol names as Suricata prints them (the /etc/protocols aliases: "TCP", "UDP", "ICMP",
// "IPv6-ICMP", "GRE", ...); the number for protocols without a well-known name.
std::string proto_name(std::uint8_t ip_proto);

}  // namespace vigil::eve
