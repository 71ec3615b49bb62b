// mixed.pcap: a minute of a 250-workstation site's Internet edge, for benchmarks. Flows of the
// demo's kinds start at uniformly random times; sizes are heavy-tailed (Pareto), so most flows
// are small and a few carry most bytes, as measured on real enterprise links. Each flow draws
// from its own forked generator, so the mix is reproducible flow by flow.
#include <algorithm>

#include "tools/pcapgen/app/content.h"
#include "tools/pcapgen/app/ntp.h"
#include "tools/pcapgen/app/ssh.h"
#include "tools/pcapgen/pcapgen.h"
#include "tools/pcapgen/scenarios/building_blocks.h"

namespace vigil::pcapgen {

namespace {

constexpr std::uint64_t kDurationNs = 60 * kSec;
constexpr std::uint32_t kClients = 250, kServers = 3000;

struct Client {
  Host v4, v6;
  bool has_v6 = false;
  TcpStack stack = TcpStack::linux_host;
  std::vector<VlanTag> vlans;
  std::uint16_t next_port = 0;
};

struct Site {
  MacAddress gateway_mac = mac("00:1b:21:5c:00:01");
  std::vector<Client> clients;
  std::vector<Host> servers4, servers6;
  Host resolver4 = lan_host(ipv4("10.1.255.53"), mac("00:1b:21:5c:00:35"), 64, 90 * kUs);
  Host resolver6 = lan_host(ipv6("2001:db8:1:ff::53"), mac("00:1b:21:5c:00:35"), 64, 90 * kUs);
};

Site build_site(Rng& r) {
  Site s;
  for (std::uint32_t i = 0; i < kClients; ++i) {
    Client c;
    const auto hi = static_cast<std::uint8_t>(i / 200), lo = static_cast<std::uint8_t>(i % 200 + 20);
    MacAddress m = {0x3c, 0x7c, 0x3f, 0x00, hi, lo};
    c.stack = chance(r, 0.6) ? TcpStack::windows_host : TcpStack::linux_host;
    const std::uint8_t ttl = c.stack == TcpStack::windows_host ? 128 : 64;
    const std::uint64_t delay = uniform(r, 80, 600) * kUs;
    c.v4 = lan_host(ipv4(0x0a010000u | hi << 8 | lo), m, ttl, delay);
    c.has_v6 = chance(r, 0.3);
    c.v6 = lan_host(ipv6("2001:db8:1::"), m, ttl, delay);
    c.v6.ip.bytes[14] = hi;
    c.v6.ip.bytes[15] = lo;
    // One client in ten sits on a voice/guest VLAN; a few arrive QinQ-tagged from a provider.
    if (i % 10 == 3) c.vlans = {VlanTag{0x8100, static_cast<std::uint16_t>(100 + i % 3), 0}};
    if (i % 50 == 7) c.vlans = {VlanTag{0x88a8, 300, 0}, VlanTag{0x8100, static_cast<std::uint16_t>(40 + i % 4), 0}};
    c.next_port = static_cast<std::uint16_t>(c.stack == TcpStack::windows_host ? uniform(r, 49152, 60000)
                                                                              : uniform(r, 32768, 50000));
    s.clients.push_back(c);
  }
  for (std::uint32_t i = 0; i < kServers; ++i) {
    // Benchmarking ranges: 198.18.0.0/15 (RFC 2544) and 2001:db8::/32 (documentation).
    const std::uint64_t delay = static_cast<std::uint64_t>(std::min(150.0, pareto(r, 4.0, 1.5)) * kMs);
    const std::uint8_t ttl = chance(r, 0.8) ? 64 : 128;
    const auto hops = static_cast<std::uint8_t>(uniform(r, 6, 22));
    s.servers4.push_back(remote_host(ipv4(0xc6120000u + 0x100 + i), s.gateway_mac, ttl, hops, delay));
    IpAddr v6 = ipv6("2001:db8:ff::");
    v6.bytes[14] = static_cast<std::uint8_t>(i >> 8);
    v6.bytes[15] = static_cast<std::uint8_t>(i);
    s.servers6.push_back(remote_host(v6, s.gateway_mac, ttl, hops, delay));
  }
  return s;
}

std::uint16_t ephemeral_port(Client& c) {
  const bool windows = c.stack == TcpStack::windows_host;
  const std::uint16_t lo = windows ? 49152 : 32768, hi = windows ? 65535 : 60999;
  std::uint16_t p = c.next_port;
  c.next_port = p >= hi ? lo : static_cast<std::uint16_t>(p + 1);
  return p;
}

struct FlowContext {
  Capture& cap;
  Rng& r;
  Site& site;
  Client& client;
  bool v6;
  std::uint64_t start;
};

const Host& client_host(const FlowContext& f) { return f.v6 ? f.client.v6 : f.client.v4; }
const Host& pick_server(FlowContext& f) {
  // A few popular servers take much of the traffic (Zipf-like via a Pareto index).
  const auto i = static_cast<std::size_t>(std::min<double>(kServers - 1, pareto(f.r, 1.0, 0.8) - 1.0));
  return f.v6 ? f.site.servers6[i] : f.site.servers4[i];
}
const Host& resolver(const FlowContext& f) { return f.v6 ? f.site.resolver6 : f.site.resolver4; }

std::size_t heavy_tail(Rng& r, double xmin, double alpha, double cap) {
  return static_cast<std::size_t>(std::min(cap, pareto(r, xmin, alpha)));
}

std::string server_name(Rng& r, std::size_t server_index) {
  static constexpr const char* kPrefixes[] = {"www", "cdn", "api", "static", "img", "login", "mail", "updates"};
  static constexpr const char* kDomains[] = {"example.com", "example.net", "example.org"};
  const unsigned prefix = uniform(r, 0, std::size(kPrefixes) - 1);
  return std::string(kPrefixes[prefix]) + std::to_string(server_index % 97) + "." +
         kDomains[server_index % std::size(kDomains)];
}

std::size_t index_of(const FlowContext& f, const Host& server) {
  const auto& list = f.v6 ? f.site.servers6 : f.site.servers4;
  return static_cast<std::size_t>(&server - list.data());
}

void lookup(FlowContext& f, const std::string& name, const Host& server, std::uint64_t at) {
  Conversation c = conversation(f.cap, f.r, client_host(f), ephemeral_port(f.client), resolver(f), 53, at,
                                f.client.vlans);
  const DnsMessage q = dns_query(f.r, name, server.ip.v6 ? dnstype::aaaa : dnstype::a, chance(f.r, 0.5) ? 1232 : 0);
  std::vector<DnsRecord> answers;
  if (chance(f.r, 0.4)) {
    answers.push_back(dns_cname(name, "edge" + std::to_string(uniform(f.r, 1, 40)) + ".example.net", 300));
    answers.push_back(dns_a(answers.back().target, server.ip, 60));
  } else {
    answers.push_back(dns_a(name, server.ip, 300));
  }
  const std::uint64_t resolve = chance(f.r, 0.7) ? uniform(f.r, 200, 900) * kUs : uniform(f.r, 8, 60) * kMs;
  dns_over_udp(c, q, dns_response(q, answers), resolve);
}

// Loss and reordering happen on a few percent of transfers, at a random segment. A loss between
// the sensor and the receiver (both copies seen) is only placed in the first window of a longer
// transfer: a retransmission seen after its whole PDU is a pattern Wireshark reports as a
// reassembly error. Upstream loss (only the retransmission seen, after a gap) and reordering are
// only used where the protocol marks its own record boundaries (TLS, SSH): Wireshark does not
// reassemble across a gap by default and would misparse HTTP body data as headers.
SendShape transfer_shape(Rng& r, std::size_t bytes, std::uint64_t think, bool gaps_ok) {
  SendShape s;
  s.think_ns = think;
  const int segments = static_cast<int>(bytes / 1400);
  if (segments > 3 && chance(r, 0.04)) {
    s.lost_segment = static_cast<int>(uniform(r, 1, segments - 1));
    const bool first_window_of_long = segments > 12 && s.lost_segment < 10;
    if (!first_window_of_long) {
      if (gaps_ok) {
        s.lost_before_sensor = true;
      } else {
        s.lost_segment = segments > 12 ? static_cast<int>(uniform(r, 1, 9)) : -1;
      }
    }
  }
  if (gaps_ok && segments > 3 && chance(r, 0.02)) {
    s.reordered_segment = static_cast<int>(uniform(r, 0, segments - 2));
  }
  return s;
}

void close_somehow(TcpSession& s, Rng& r) {
  const double u = unit(r);
  if (u < 0.80) {
    const Side first = chance(r, 0.7) ? Side::client : Side::server;
    tcp_close(s, first, uniform(r, 1, 4000) * kUs);
  } else if (u < 0.93) {
    tcp_reset(s, Side::client, uniform(r, 1, 2000) * kUs);
  }
  // else: still open when the capture ends
}

void web_flow(FlowContext& f) {
  const Host& server = pick_server(f);
  const std::string name = server_name(f.r, index_of(f, server));
  std::uint64_t t = f.start;
  if (chance(f.r, 0.5)) {
    lookup(f, name, server, t);
    t += 40 * kMs;
  }
  TcpSession s = tcp_session(conversation(f.cap, f.r, client_host(f), ephemeral_port(f.client), server, 80, t,
                                          f.client.vlans),
                             f.r, f.client.stack, TcpStack::linux_host);
  tcp_connect(s);
  const int requests = 1 + static_cast<int>(std::min(9.0, exponential(f.r, 0.8)));
  for (int i = 0; i < requests; ++i) {
    const std::size_t size = heavy_tail(f.r, 600, 1.15, 3'000'000);
    const unsigned kind = uniform(f.r, 0, 3);
    std::string body;
    std::string type;
    if (kind == 0) {
      body = html_page(f.r, "Page", size);
      type = "text/html; charset=utf-8";
    } else if (kind == 1 && size < 40'000) {
      body = css_sheet(f.r, size);
      type = "text/css";
    } else if (kind == 2 && size < 40'000) {
      body = json_document(f.r, size);
      type = "application/json";
    } else {
      Bytes blob(size);
      fill_random(f.r, blob);
      body.assign(blob.begin(), blob.end());
      type = "application/octet-stream";
    }
    const bool post = chance(f.r, 0.1);
    HttpHeaders h = f.client.stack == TcpStack::windows_host ? edge_request_headers(name) : firefox_request_headers(name);
    std::string form;
    if (post) {
      form = "q=" + words(f.r, 3);
      form += "&page=" + std::to_string(uniform(f.r, 1, 9));
      for (char& ch : form) if (ch == ' ') ch = '+';
      h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
      h.emplace_back("Content-Length", std::to_string(form.size()));
    }
    std::string target = "/" + words(f.r, 1);
    target += "/" + std::to_string(uniform(f.r, 1, 99999));
    const std::string req = http_message((post ? "POST " : "GET ") + target + " HTTP/1.1", h, form);
    const bool chunked = chance(f.r, 0.15);
    std::vector<std::size_t> chunks;
    if (chunked) chunks = {uniform(f.r, 1000, 8000), uniform(f.r, 1000, 8000)};
    const std::string resp = http_response(s.conv.now_ns, 200, "OK", type, body, true, chunks);
    const SendShape shape = transfer_shape(f.r, resp.size(), uniform(f.r, 1, 60) * kMs, false);
    tcp_send(s, Side::client, as_bytes(req), SendShape{.think_ns = uniform(f.r, 5, 900) * kMs, .ack_last = false});
    tcp_send(s, Side::server, as_bytes(resp), shape);
  }
  close_somehow(s, f.r);
}

void tls_flow(FlowContext& f) {
  const Host& server = pick_server(f);
  const std::string name = server_name(f.r, index_of(f, server));
  std::uint64_t t = f.start;
  if (chance(f.r, 0.5)) {
    lookup(f, name, server, t);
    t += 40 * kMs;
  }
  TcpSession s = tcp_session(conversation(f.cap, f.r, client_host(f), ephemeral_port(f.client), server, 443, t,
                                          f.client.vlans),
                             f.r, f.client.stack, TcpStack::linux_host);
  tcp_connect(s);
  TlsExchange spec;
  spec.sni = name;
  spec.tls13 = chance(f.r, 0.7);
  const int exchanges = 1 + static_cast<int>(std::min(6.0, exponential(f.r, 1.0)));
  for (int i = 0; i < exchanges; ++i) {
    TlsRound round;
    round.request = uniform(f.r, 200, 1500);
    round.response = heavy_tail(f.r, 500, 1.1, 4'000'000);
    round.response_shape = transfer_shape(f.r, round.response, 0, true);
    spec.rounds.push_back(round);
  }
  tls_session(s, f.r, spec);
  close_somehow(s, f.r);
}

void dns_flow(FlowContext& f) {
  const Host& server = pick_server(f);
  const std::string name = server_name(f.r, index_of(f, server));
  if (chance(f.r, 0.03)) {
    // A big answer: many addresses, fragmented by the resolver.
    Conversation c = conversation(f.cap, f.r, client_host(f), ephemeral_port(f.client), resolver(f), 53, f.start,
                                  f.client.vlans);
    const DnsMessage q = dns_query(f.r, name, server.ip.v6 ? dnstype::aaaa : dnstype::a, 4096);
    std::vector<DnsRecord> many;
    const std::uint32_t n = uniform(f.r, 100, 200);
    for (std::uint32_t i = 0; i < n; ++i) {
      IpAddr a = server.ip;
      a.bytes[server.ip.v6 ? 15 : 3] = static_cast<std::uint8_t>(i);
      many.push_back(dns_a(name, a, 30));
    }
    dns_over_udp(c, q, dns_response(q, many), uniform(f.r, 10, 80) * kMs);
    return;
  }
  lookup(f, name, server, f.start);
}

void ntp_flow(FlowContext& f) {
  Conversation c = conversation(f.cap, f.r, client_host(f), ephemeral_port(f.client), pick_server(f), 123, f.start,
                                f.client.vlans);
  const std::uint64_t sent = c.now_ns;
  send_udp(c, Side::client, ntp_client_request(sent), 0);
  const std::uint64_t d = c.server.delay_ns;
  send_udp(c, Side::server, ntp_server_reply(sent, sent + d, sent + d + 30 * kUs, ipv4("192.0.2.254")), 30 * kUs);
}

void ping_flow(FlowContext& f) {
  Conversation c = conversation(f.cap, f.r, client_host(f), 0, pick_server(f), 0, f.start, f.client.vlans);
  const std::uint16_t id = static_cast<std::uint16_t>(uniform(f.r, 1, 0xffff));
  const std::uint32_t count = uniform(f.r, 1, 4);
  Bytes data(56);
  for (std::uint32_t seq = 1; seq <= count; ++seq) {
    fill_random(f.r, data);
    const std::uint32_t rest = static_cast<std::uint32_t>(id) << 16 | seq;
    send_icmp(c, Side::client, f.v6 ? 128 : 8, 0, rest, data, seq == 1 ? 0 : 1 * kSec);
    send_icmp(c, Side::server, f.v6 ? 129 : 0, 0, rest, data, 30 * kUs);
  }
}

// A voice call leg: RTP (G.711, 20 ms frames) both ways for a few seconds.
void voice_flow(FlowContext& f) {
  const auto client_port = static_cast<std::uint16_t>(uniform(f.r, 8193, 16383) * 2);
  const auto server_port = static_cast<std::uint16_t>(uniform(f.r, 5000, 15000) * 2);
  Conversation c = conversation(f.cap, f.r, client_host(f), client_port, pick_server(f), server_port, f.start,
                                f.client.vlans);
  const std::uint32_t frames = uniform(f.r, 50, 300);
  struct Stream {
    std::uint16_t seq;
    std::uint32_t timestamp, ssrc;
  };
  Stream streams[2];
  for (Stream& st : streams) {
    st.seq = static_cast<std::uint16_t>(uniform(f.r, 0, 0xffff));
    st.timestamp = static_cast<std::uint32_t>(next_u64(f.r));
    st.ssrc = static_cast<std::uint32_t>(next_u64(f.r));
  }
  Bytes voice(160);
  for (std::uint32_t i = 0; i < frames; ++i) {
    for (int side = 0; side < 2; ++side) {
      Stream& st = streams[side];
      Bytes rtp;
      put_u8(rtp, 0x80);                                  // version 2
      put_u8(rtp, static_cast<std::uint8_t>(i == 0 ? 0x80 : 0x00));  // marker on the first; PT 0 (PCMU)
      put_be16(rtp, st.seq++);
      put_be32(rtp, st.timestamp);
      put_be32(rtp, st.ssrc);
      st.timestamp += 160;
      fill_random(f.r, voice);
      put_bytes(rtp, voice);
      send_udp(c, side ? Side::server : Side::client, rtp, side ? 1 * kMs : (i == 0 ? 0 : 20 * kMs));
      // Both legs stream on their own clocks: no round trip between frames.
      if (side) c.now_ns -= 2 * c.server.delay_ns;
    }
  }
}

void ssh_flow(FlowContext& f) {
  TcpSession s = tcp_session(conversation(f.cap, f.r, client_host(f), ephemeral_port(f.client), pick_server(f), 22,
                                          f.start, f.client.vlans),
                             f.r, f.client.stack, TcpStack::linux_host);
  tcp_connect(s);
  SendShape quick{.ack_last = false};
  tcp_send(s, Side::client, ssh_banner("OpenSSH_9.2p1 Debian-2+deb12u2"), quick);
  tcp_send(s, Side::server, ssh_banner("OpenSSH_7.4"), SendShape{2 * kMs});
  tcp_send(s, Side::client, ssh_kexinit(f.r, false), quick);
  tcp_send(s, Side::server, ssh_kexinit(f.r, true), SendShape{2 * kMs});
  tcp_send(s, Side::client, ssh_kex_ecdh_init(f.r), quick);
  tcp_send(s, Side::server, ssh_kex_ecdh_reply_and_newkeys(f.r), SendShape{3 * kMs});
  tcp_send(s, Side::client, ssh_newkeys(), quick);
  if (chance(f.r, 0.3)) {
    // scp: one bulk transfer.
    const std::size_t bytes = heavy_tail(f.r, 20'000, 1.1, 5'000'000);
    tcp_send(s, Side::client, ssh_encrypted_packet(f.r, bytes), transfer_shape(f.r, bytes, 5 * kMs, true));
  } else {
    const std::uint32_t keys = uniform(f.r, 5, 40);
    for (std::uint32_t i = 0; i < keys; ++i) {
      const SendShape typing{.think_ns = uniform(f.r, 80, 600) * kMs, .ack_last = false};
      tcp_send(s, Side::client, ssh_encrypted_packet(f.r, 8), typing);
      tcp_send(s, Side::server, ssh_encrypted_packet(f.r, uniform(f.r, 8, 600)), SendShape{200 * kUs});
    }
  }
  close_somehow(s, f.r);
}

}  // namespace

Capture make_mixed(std::uint64_t target_packets) {
  Capture cap;
  cap.nanosecond = true;
  Rng r = rng_seeded(0x6d697865'64000001ull);  // "mixed"
  Site site = build_site(r);
  while (cap.frames.size() < target_packets) {
    Rng fr = rng_fork(r);
    Client& client = site.clients[uniform(fr, 0, kClients - 1)];
    FlowContext f{cap, fr, site, client, client.has_v6 && chance(fr, 0.5),
                  kEpochNs + static_cast<std::uint64_t>(unit(fr) * kDurationNs)};
    const double kind = unit(fr);
    // Shares of flows (not packets): web 35%, TLS 33%, DNS 24%, NTP 2.5%, ping 2%, voice 0.5%,
    // SSH 3%. Packets end up mostly TCP, since TCP flows are the long ones.
    if (kind < 0.35) {
      web_flow(f);
    } else if (kind < 0.68) {
      tls_flow(f);
    } else if (kind < 0.92) {
      dns_flow(f);
    } else if (kind < 0.945) {
      ntp_flow(f);
    } else if (kind < 0.965) {
      ping_flow(f);
    } else if (kind < 0.97) {
      voice_flow(f);
    } else {
      ssh_flow(f);
    }
  }
  sort_by_time(cap);
  return cap;
}

}  // namespace vigil::pcapgen
