// A conversation between two hosts as the sensor sees it: addresses, link-layer path, the one-way
// delay from the sensor to each end, and the time of the last packet. TCP sessions, UDP
// exchanges and ICMP messages are all built on it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tools/pcapgen/capture.h"
#include "tools/pcapgen/ip.h"

namespace vigil::pcapgen {

enum class Side : std::uint8_t { client = 0, server = 1 };
inline Side other(Side s) { return s == Side::client ? Side::server : Side::client; }

struct Host {
  IpAddr ip;
  MacAddress mac{};            // the host's MAC, or its gateway's when it is beyond a router
  std::uint8_t ttl = 64;       // TTL / hop limit as packets from it pass the sensor
  std::uint64_t delay_ns = 0;  // one-way delay between the sensor and this host
  std::uint16_t next_ip_id = 0;
};

struct Conversation {
  Capture* capture = nullptr;
  Host client, server;
  std::uint16_t client_port = 0, server_port = 0;
  std::vector<VlanTag> vlans;
  bool capturer_is_client = true;  // which end a Linux cooked capture was taken on
  std::size_t mtu = 1500;
  std::uint64_t now_ns = 0;        // time of the last packet at the sensor
  Side last_sender = Side::server;
  bool started = false;
};

inline Host& host(Conversation& c, Side s) { return s == Side::client ? c.client : c.server; }

// When `from` sends next, given what the sensor last saw: a reply waits for the last packet to
// reach `from` and come back (2 x its delay), plus `think_ns`; a continuation only `think_ns`.
std::uint64_t send_time(const Conversation& c, Side from, std::uint64_t think_ns);

// Emits one transport message from `from` at `ts_ns`, fragmenting to the conversation's MTU.
void send_ip(Conversation& c, Side from, std::uint64_t ts_ns, std::uint8_t proto,
             std::span<const std::uint8_t> l4, bool dont_fragment);
// Fragments of one message in an explicit order (indexes into the in-order fragment list), to
// model reordering on the path; every fragment is sent `gap_ns` after the previous one.
void send_ip_fragments_reordered(Conversation& c, Side from, std::uint64_t ts_ns, std::uint8_t proto,
                                 std::span<const std::uint8_t> l4, std::span<const std::size_t> order,
                                 std::uint64_t gap_ns);

// A UDP datagram from `from` after `think_ns` (see send_time).
void send_udp(Conversation& c, Side from, std::span<const std::uint8_t> payload,
              std::uint64_t think_ns);
// An ICMP or ICMPv6 message (family from the addresses) after `think_ns`.
void send_icmp(Conversation& c, Side from, std::uint8_t type, std::uint8_t code, std::uint32_t rest,
               std::span<const std::uint8_t> data, std::uint64_t think_ns);

}  // namespace vigil::pcapgen
