#include "dataplane/flow/flow_key.h"

namespace vigil {

namespace {

constexpr std::uint8_t kIpprotoSctp = 132;

constexpr std::uint64_t kP1 = 0x9E3779B185EBCA87ull;
constexpr std::uint64_t kP2 = 0xC2B2AE3D27D4EB4Full;
constexpr std::uint64_t kP4 = 0x85EBCA77C2B2AE63ull;

inline std::uint64_t rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

inline std::uint64_t fmix64(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

inline std::uint64_t mix_round(std::uint64_t h, std::uint64_t w) {
  h ^= rotl(w * kP2, 31) * kP1;
  return rotl(h, 27) * kP1 + kP4;
}

}  // namespace

bool icmp_is_echo(std::uint8_t ip_proto, std::uint8_t icmp_type) {
  if (ip_proto == ipproto::icmp) return icmp_type == 8 || icmp_type == 0;
  if (ip_proto == ipproto::icmpv6) return icmp_type == 128 || icmp_type == 129;
  return false;
}

FlowKeyStatus flow_key_from_packet(const DecodedPacket& p, FlowKey& key, bool& src_is_lo) {
  if (p.family != IpFamily::v4 && p.family != IpFamily::v6) return FlowKeyStatus::not_ip;
  if (p.is_fragment) return FlowKeyStatus::fragment;

  std::uint16_t sport = 0, dport = 0;
  switch (p.ip_proto) {
    case ipproto::tcp:
    case ipproto::udp:
      sport = p.sport;
      dport = p.dport;
      break;
    case kIpprotoSctp:
      sport = p.sport;
      dport = p.dport;
      if (sport == 0 && dport == 0) {
        // The decoder has no SCTP decoder: the common header's ports lead the IP payload.
        std::span<const std::uint8_t> l4 = p.l4.empty() ? p.payload : p.l4;
        if (l4.size() >= 4) {
          sport = static_cast<std::uint16_t>((l4[0] << 8) | l4[1]);
          dport = static_cast<std::uint16_t>((l4[2] << 8) | l4[3]);
        }
      }
      break;
    case ipproto::icmp:
    case ipproto::icmpv6:
      if (icmp_is_echo(p.ip_proto, p.icmp_type)) sport = dport = p.icmp_id;
      break;
    default:
      break;
  }

  key = FlowKey{};
  key.ip_proto = p.ip_proto;
  key.family = p.family;
  const std::uint8_t vlans = p.vlan_count < 2 ? p.vlan_count : 2;
  for (std::uint8_t i = 0; i < vlans; ++i) key.vlan[i] = p.vlan[i] & 0x0fff;

  // Lower (address, port) first; equal endpoints (a host talking to itself on one port) keep the
  // packet's order, and then every packet of the flow counts as sent by the lo endpoint.
  const bool swap = p.dst < p.src || (p.dst == p.src && dport < sport);
  src_is_lo = !swap;
  if (swap) {
    key.lo_addr = p.dst;
    key.hi_addr = p.src;
    key.lo_port = dport;
    key.hi_port = sport;
  } else {
    key.lo_addr = p.src;
    key.hi_addr = p.dst;
    key.lo_port = sport;
    key.hi_port = dport;
  }
  return FlowKeyStatus::ok;
}

std::uint64_t flow_key_hash(const FlowKey& key, std::uint64_t seed) {
  unsigned char bytes[sizeof(FlowKey)];
  std::memcpy(bytes, &key, sizeof(FlowKey));
  std::uint64_t h = seed + kP4 + sizeof(FlowKey);
  for (std::size_t off = 0; off + 8 <= sizeof(FlowKey); off += 8) {
    std::uint64_t w;
    std::memcpy(&w, bytes + off, 8);
    h = mix_round(h, w);
  }
  std::uint32_t tail;
  std::memcpy(&tail, bytes + 40, 4);
  h ^= static_cast<std::uint64_t>(tail) * kP1;
  return fmix64(h);
}

}  // namespace vigil
