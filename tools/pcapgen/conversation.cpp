#include "tools/pcapgen/conversation.h"

#include <stdexcept>

namespace vigil::pcapgen {

namespace {

IpFields ip_fields(Conversation& c, Side from, std::uint8_t proto, bool dont_fragment) {
  Host& h = host(c, from);
  IpFields f;
  f.src = h.ip;
  f.dst = host(c, other(from)).ip;
  f.proto = proto;
  f.ttl = h.ttl;
  f.id = h.next_ip_id++;
  f.dont_fragment = dont_fragment;
  return f;
}

void emit(Conversation& c, Side from, std::uint64_t ts_ns, std::span<const std::uint8_t> datagram) {
  LinkHop hop;
  hop.src = host(c, from).mac;
  hop.dst = host(c, other(from)).mac;
  hop.vlans = c.vlans;
  hop.outgoing = (from == Side::client) == c.capturer_is_client;
  add_ip_packet(*c.capture, ts_ns, hop, datagram);
  if (!c.started || ts_ns >= c.now_ns) {
    c.now_ns = ts_ns;
    c.last_sender = from;
  }
  c.started = true;
}

// Serialisation time of a frame on a 1 Gb/s link: spacing between back-to-back fragments.
std::uint64_t wire_time_ns(std::size_t bytes) { return (bytes + 24) * 8; }

}  // namespace

std::uint64_t send_time(const Conversation& c, Side from, std::uint64_t think_ns) {
  if (!c.started) return c.now_ns + think_ns;
  if (c.last_sender == from) return c.now_ns + think_ns;
  const Host& h = from == Side::client ? c.client : c.server;
  return c.now_ns + 2 * h.delay_ns + think_ns;
}

void send_ip(Conversation& c, Side from, std::uint64_t ts_ns, std::uint8_t proto,
             std::span<const std::uint8_t> l4, bool dont_fragment) {
  const IpFields f = ip_fields(c, from, proto, dont_fragment);
  // The IPv6 fragment identification comes from the same per-host counter as IPv4's.
  const std::uint32_t v6_id = 0x5a000000u | f.id;
  std::uint64_t t = ts_ns;
  for (const Bytes& d : ip_fragments(f, l4, c.mtu, v6_id)) {
    emit(c, from, t, d);
    t += wire_time_ns(d.size());
  }
}

void send_ip_fragments_reordered(Conversation& c, Side from, std::uint64_t ts_ns, std::uint8_t proto,
                                 std::span<const std::uint8_t> l4, std::span<const std::size_t> order,
                                 std::uint64_t gap_ns) {
  const IpFields f = ip_fields(c, from, proto, false);
  const std::vector<Bytes> frags = ip_fragments(f, l4, c.mtu, 0x5a000000u | f.id);
  if (order.size() != frags.size()) throw std::logic_error("fragment order does not cover the fragments");
  std::uint64_t t = ts_ns;
  for (std::size_t i : order) {
    emit(c, from, t, frags.at(i));
    t += gap_ns;
  }
}

void send_udp(Conversation& c, Side from, std::span<const std::uint8_t> payload,
              std::uint64_t think_ns) {
  const bool client = from == Side::client;
  const Bytes l4 = udp_datagram(host(c, from).ip, host(c, other(from)).ip,
                                client ? c.client_port : c.server_port,
                                client ? c.server_port : c.client_port, payload);
  send_ip(c, from, send_time(c, from, think_ns), proto::udp, l4, false);
}

void send_icmp(Conversation& c, Side from, std::uint8_t type, std::uint8_t code, std::uint32_t rest,
               std::span<const std::uint8_t> data, std::uint64_t think_ns) {
  const IpAddr& src = host(c, from).ip;
  const IpAddr& dst = host(c, other(from)).ip;
  const Bytes l4 = src.v6 ? icmpv6_message(src, dst, type, code, rest, data)
                          : icmpv4_message(type, code, rest, data);
  send_ip(c, from, send_time(c, from, think_ns), src.v6 ? proto::icmpv6 : proto::icmp, l4, false);
}

}  // namespace vigil::pcapgen
