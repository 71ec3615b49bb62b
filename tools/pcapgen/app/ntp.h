// NTPv4 client request and server reply (RFC 5905), 48 bytes each, timestamps in NTP era 0.
#pragma once

#include <cstdint>

#include "tools/pcapgen/bytes.h"
#include "tools/pcapgen/ip.h"

namespace vigil::pcapgen {

// Client mode 3; the transmit timestamp is the client's clock at `ts_ns` (Unix nanoseconds).
Bytes ntp_client_request(std::uint64_t ts_ns);
// Server mode 4 (stratum 2), answering a request sent at `request_ts_ns`.
Bytes ntp_server_reply(std::uint64_t request_ts_ns, std::uint64_t receive_ts_ns,
                       std::uint64_t transmit_ts_ns, const IpAddr& reference);

}  // namespace vigil::pcapgen
