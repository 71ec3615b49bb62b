// Application-protocol detection by content: the first bytes of a TCP stream direction (or a UDP
// datagram) are offered to each protocol's probe; ports only break ties (DNS over TCP is tried
// first when the server port is 53). Works on any port and in either direction, so a flow picked
// up from its responses is still named.
#pragma once

#include <cstdint>
#include <span>

#include "dataplane/app/app_proto.h"
#include "dataplane/flow/flow.h"

namespace vigil::app {

struct ProbeResult {
  AppProto proto = AppProto::unknown;  // unknown: not recognised (yet)
  bool need_more = false;              // a probe could decide with more bytes
};

ProbeResult probe_stream(std::span<const std::uint8_t> start, FlowDirection dir,
                         std::uint16_t server_port);
ProbeResult probe_datagram(std::span<const std::uint8_t> payload, FlowDirection dir,
                           std::uint16_t server_port);

}  // namespace vigil::app
