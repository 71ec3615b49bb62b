// FlowKey: the identity of a flow, normalised so that both directions of a conversation give the
// same key, and its hash. Pure functions over plain values; reentrant, no ownership.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "dataplane/decode/decoded_packet.h"

namespace vigil {

// Endpoints are stored lower-first by (address, port), so A->B and B->A build the same bytes.
// No implicit padding: keys are compared and hashed as raw bytes.
struct FlowKey {
  IpAddress lo_addr{}, hi_addr{};
  std::uint16_t lo_port = 0, hi_port = 0;  // TCP/UDP/SCTP ports; ICMP echo id on both; else 0
  std::array<std::uint16_t, 2> vlan{};     // VLAN ids, outermost first; 0 when absent
  std::uint8_t ip_proto = 0;
  IpFamily family = IpFamily::none;
  std::uint16_t reserved = 0;              // always 0; keeps the layout free of padding

  bool operator==(const FlowKey& o) const { return std::memcmp(this, &o, sizeof(FlowKey)) == 0; }
};
static_assert(sizeof(FlowKey) == 44);
static_assert(std::has_unique_object_representations_v<FlowKey>);

enum class FlowKeyStatus : std::uint8_t {
  ok,
  not_ip,     // no network layer (family none): nothing to key a flow on
  fragment,   // an IP fragment whose transport header was not decoded: defragment first
};

// The key of one packet plus which end of the key sent it.
struct PacketFlowKey {
  FlowKey key{};
  std::uint64_t hash = 0;    // flow_key_hash(key, seed); compute once, prefetch with it
  bool src_is_lo = true;     // the packet's source is the key's lo endpoint
};

// Builds the normalised key of a decoded packet. ICMP/ICMPv6 echo request and reply use the echo
// identifier as both ports so both directions match; other ICMP types use ports 0; IP protocols
// other than TCP, UDP, SCTP and ICMP use ports 0. VLAN ids beyond vlan_count are ignored.
FlowKeyStatus flow_key_from_packet(const DecodedPacket& p, FlowKey& key, bool& src_is_lo);

// 64-bit hash of the key's bytes (multiply-rotate rounds and a murmur3 finaliser). Symmetric
// because the key is: both directions of a flow hash alike. `seed` lets a live appliance make the
// table layout unpredictable to an attacker; 0 gives the reproducible hash used for flow ids.
std::uint64_t flow_key_hash(const FlowKey& key, std::uint64_t seed = 0);

// True for ICMP / ICMPv6 echo request and reply, the ICMP types keyed by their identifier.
bool icmp_is_echo(std::uint8_t ip_proto, std::uint8_t icmp_type);

}  // namespace vigil
