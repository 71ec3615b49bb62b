// Community ID v1 flow hashing (corelight/community-id-spec): the same string for the same flow
// in every tool that implements the spec. Pure functions; reentrant. Called once per emitted
// event or flow record, never per packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "dataplane/decode/decoded_packet.h"
#include "dataplane/flow/flow_record.h"

namespace vigil {

struct CommunityIdTuple {
  IpFamily family = IpFamily::none;
  IpAddress src{}, dst{};
  std::uint8_t ip_proto = 0;
  // TCP, UDP, SCTP: ports. ICMP, ICMPv6: sport = message type, dport = message code (the spec
  // maps them to port equivalents). Ignored for other protocols, which hash without ports.
  std::uint16_t sport = 0, dport = 0;
};

// "1:" followed by the base64 of a 20-byte SHA-1 digest.
inline constexpr std::size_t kCommunityIdLen = 30;

// Writes the id into `out`. Returns false, leaving `out` unspecified, when the tuple has no IP
// family (the spec allows reporting nothing for flows it does not cover).
bool community_id_v1(const CommunityIdTuple& t, std::uint16_t seed,
                     std::span<char, kCommunityIdLen> out);

// The id as a string; empty when the tuple has no IP family.
std::string community_id_v1(const CommunityIdTuple& t, std::uint16_t seed = 0);

// A flow's tuple: client as source; for ICMP the message type and code stand for the ports.
CommunityIdTuple community_id_tuple(IpFamily family, const IpAddress& client,
                                    const IpAddress& server, std::uint8_t ip_proto,
                                    std::uint16_t client_port, std::uint16_t server_port,
                                    std::uint8_t icmp_type, std::uint8_t icmp_code);
// A flow record's tuple: client as source; for ICMP the client's first message type and code.
CommunityIdTuple community_id_tuple(const FlowRecord& r);
std::string community_id_v1(const FlowRecord& r, std::uint16_t seed = 0);

}  // namespace vigil
