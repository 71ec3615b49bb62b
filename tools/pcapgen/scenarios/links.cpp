// One small capture per link type: the same kinds of flows (an HTTP fetch, a TLS 1.3 session,
// DNS over UDP) behind each link-layer header the decoder accepts, with addresses that fit where
// such captures come from (loopback, a VPN tunnel, a Linux host's "any" interface).
#include "tools/pcapgen/app/content.h"
#include "tools/pcapgen/pcapgen.h"
#include "tools/pcapgen/scenarios/building_blocks.h"

namespace vigil::pcapgen {

namespace {

struct LinkPlan {
  Host client4, server4, resolver4;
  Host client6, server6, resolver6;
  bool v4 = true, v6 = true;
  std::uint64_t seed = 0;
};

LinkPlan plan_for(LinkType link) {
  const MacAddress host_mac = mac("52:54:00:12:34:56");
  const MacAddress gw_mac = mac("52:54:00:ab:cd:01");
  LinkPlan p;
  switch (link) {
    case LinkType::null_loopback:
    case LinkType::loop: {
      // Loopback: a developer's local web server and caching resolver.
      const Host lo4 = lan_host(ipv4("127.0.0.1"), {}, 64, 10 * kUs);
      const Host lo6 = lan_host(ipv6("::1"), {}, 64, 10 * kUs);
      p = {lo4, lo4, lan_host(ipv4("127.0.0.53"), {}, 64, 10 * kUs), lo6, lo6, lo6};
      break;
    }
    case LinkType::raw:
    case LinkType::ipv4:
    case LinkType::ipv6:
      // A VPN tunnel interface (WireGuard-style tun): no link header, Internet servers.
      p = {lan_host(ipv4("10.66.0.2"), {}, 64, 50 * kUs),
           remote_host(ipv4("203.0.113.80"), {}, 64, 14, 24 * kMs),
           remote_host(ipv4("10.66.0.1"), {}, 64, 0, 9 * kMs),
           lan_host(ipv6("fd66::2"), {}, 64, 50 * kUs),
           remote_host(ipv6("2001:db8:300::80"), {}, 64, 14, 26 * kMs),
           remote_host(ipv6("fd66::1"), {}, 64, 0, 9 * kMs)};
      p.v4 = link != LinkType::ipv6;
      p.v6 = link != LinkType::ipv4;
      break;
    case LinkType::ppp:
    case LinkType::ppp_serial:
    case LinkType::ppp_ether:
    case LinkType::c_hdlc:
    case LinkType::ppp_with_dir:
      // A point-to-point WAN link of a branch router: the provider's side and Internet servers.
      p = {lan_host(ipv4("100.64.7.2"), {}, 64, 40 * kUs),
           remote_host(ipv4("203.0.113.80"), {}, 64, 12, 21 * kMs),
           remote_host(ipv4("100.64.7.1"), {}, 64, 0, 3 * kMs),
           lan_host(ipv6("2001:db8:7::2"), {}, 64, 40 * kUs),
           remote_host(ipv6("2001:db8:300::80"), {}, 64, 12, 23 * kMs),
           remote_host(ipv6("2001:db8:7::1"), {}, 64, 0, 3 * kMs)};
      break;
    case LinkType::ethernet:
    case LinkType::linux_sll:
    case LinkType::linux_sll2:
      // A Linux host's own traffic, as `tcpdump -i any` records it.
      p = {lan_host(ipv4("192.168.1.50"), host_mac, 64, 5 * kUs),
           remote_host(ipv4("198.51.100.80"), gw_mac, 64, 10, 15 * kMs),
           lan_host(ipv4("192.168.1.1"), gw_mac, 64, 300 * kUs),
           lan_host(ipv6("2001:db8:1::50"), host_mac, 64, 5 * kUs),
           remote_host(ipv6("2001:db8:300::80"), gw_mac, 64, 10, 17 * kMs),
           lan_host(ipv6("2001:db8:1::1"), gw_mac, 64, 300 * kUs)};
      break;
  }
  p.seed = 0x6c696e6bull << 16 | static_cast<std::uint16_t>(link);  // "link" + type
  return p;
}

void family_flows(Capture& cap, Rng& r, const Host& client, const Host& server, const Host& resolver,
                  std::uint64_t t0, std::uint16_t port_base) {
  const bool loopback = client.ip.bytes == server.ip.bytes;
  const std::string name = loopback ? "api.dev.test" : "www.example.com";  // .test: reserved (RFC 2606)
  const std::uint16_t http_port = loopback ? 8080 : 80;

  Conversation dns = conversation(cap, r, client, port_base, resolver, 53, t0);
  const DnsMessage q = dns_query(r, name, client.ip.v6 ? dnstype::aaaa : dnstype::a, 1232);
  dns_over_udp(dns, q, dns_response(q, {dns_a(name, server.ip, 300)}), 400 * kUs);

  TcpSession http = tcp_session(conversation(cap, r, client, port_base + 1, server, http_port, t0 + 20 * kMs), r,
                                TcpStack::linux_host, TcpStack::linux_host);
  tcp_connect(http);
  const std::string page = html_page(r, "Index", 5'000);
  http_exchange(http, http_message("GET / HTTP/1.1", curl_request_headers(name), ""),
                http_response(http.conv.now_ns, 200, "OK", "text/html", page, true), 2 * kMs);
  tcp_close(http, Side::client, 1 * kMs);

  TcpSession tls = tcp_session(conversation(cap, r, client, port_base + 2, server, 443, t0 + 150 * kMs), r,
                               TcpStack::linux_host, TcpStack::linux_host);
  tcp_connect(tls);
  TlsExchange spec;
  spec.sni = name;
  spec.rounds = {{300, 2200}};
  tls_session(tls, r, spec);
  tcp_close(tls, Side::client, 5 * kMs);
}

}  // namespace

Capture make_link_capture(LinkType link) {
  Capture cap;
  cap.link = link;
  cap.nanosecond = link == LinkType::linux_sll2;  // recent tcpdump on Linux writes nanoseconds
  const LinkPlan p = plan_for(link);
  Rng r = rng_seeded(p.seed);
  if (p.v4) family_flows(cap, r, p.client4, p.server4, p.resolver4, kEpochNs + 5 * kMs, 40100);
  if (p.v6) family_flows(cap, r, p.client6, p.server6, p.resolver6, kEpochNs + 400 * kMs, 40200);
  sort_by_time(cap);
  return cap;
}

Capture make_tunnel_capture() {
  Capture cap;
  const LinkPlan p = plan_for(LinkType::ethernet);
  Rng r = rng_seeded(0x74756e6eull);  // "tunn"
  constexpr TunnelKind kKinds[] = {TunnelKind::ipip,   TunnelKind::gre,   TunnelKind::gre_bridged,
                                   TunnelKind::gre_ppp, TunnelKind::pptp, TunnelKind::vxlan,
                                   TunnelKind::pppoe};
  std::uint64_t t0 = kEpochNs + 5 * kMs;
  std::uint16_t port = 41100;
  for (TunnelKind kind : kKinds) {
    // The branch router's and the head office's addresses on the provider network.
    cap.tunnel = Tunnel{kind, ipv4("198.18.10.1"), ipv4("198.18.20.1")};
    family_flows(cap, r, p.client4, p.server4, p.resolver4, t0, port);
    family_flows(cap, r, p.client6, p.server6, p.resolver6, t0 + 400 * kMs, port + 10);
    t0 += 1000 * kMs;
    port += 100;
  }
  cap.tunnel.reset();
  sort_by_time(cap);
  return cap;
}

}  // namespace vigil::pcapgen
