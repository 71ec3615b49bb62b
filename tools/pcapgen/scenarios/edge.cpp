// Captures for error paths: a snapped capture (valid, headers only), and the inputs a replay must
// refuse with one clear error (truncated file, not a pcap, empty file).
#include <fstream>
#include <stdexcept>

#include "tools/pcapgen/app/content.h"
#include "tools/pcapgen/app/tls.h"
#include "tools/pcapgen/pcapgen.h"
#include "tools/pcapgen/scenarios/building_blocks.h"

namespace vigil::pcapgen {

namespace {

// Web, TLS and DNS traffic of one workstation: the content of snapped.pcap and truncated.pcap.
Capture workstation_traffic(std::uint64_t seed, std::uint32_t snaplen) {
  Capture cap;
  cap.snaplen = snaplen;
  Rng r = rng_seeded(seed);
  const MacAddress gw = mac("00:0d:b9:4b:2a:10");
  const Host ws = lan_host(ipv4("192.168.10.77"), mac("3c:7c:3f:1e:8a:77"), 64, 150 * kUs);
  const Host resolver = lan_host(ipv4("192.168.10.1"), gw, 64, 80 * kUs);
  const Host web = remote_host(ipv4("203.0.113.10"), gw, 64, 12, 9 * kMs);
  const Host login = remote_host(ipv4("198.51.100.20"), gw, 64, 9, 14 * kMs);

  Conversation dns = conversation(cap, r, ws, 43001, resolver, 53, kEpochNs + 2 * kMs);
  const DnsMessage q = dns_query(r, "www.example.com", dnstype::a, 0);
  dns_over_udp(dns, q, dns_response(q, {dns_a("www.example.com", web.ip, 300)}), 12 * kMs);

  TcpSession http = tcp_session(conversation(cap, r, ws, 51000, web, 80, kEpochNs + 20 * kMs), r,
                                TcpStack::linux_host, TcpStack::linux_host);
  tcp_connect(http);
  const std::string page = html_page(r, "Example Corp", 20'000);
  http_exchange(http, http_message("GET / HTTP/1.1", firefox_request_headers("www.example.com"), ""),
                http_response(http.conv.now_ns, 200, "OK", "text/html; charset=utf-8", page, true), 3 * kMs);
  tcp_close(http, Side::client, 200 * kMs);

  TcpSession tls = tcp_session(conversation(cap, r, ws, 51002, login, 443, kEpochNs + 60 * kMs), r,
                               TcpStack::linux_host, TcpStack::linux_host);
  tcp_connect(tls);
  TlsExchange spec;
  spec.sni = "login.example.com";
  spec.tls13 = false;
  spec.rounds = {{500, 4000}};
  tls_session(tls, r, spec);
  tcp_close(tls, Side::client, 50 * kMs);
  sort_by_time(cap);
  return cap;
}

void write_text(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error(path.string() + ": write failed");
}

}  // namespace

Capture make_snapped() { return workstation_traffic(0x736e6170ull, 96); }  // "snap"

void write_truncated(const std::filesystem::path& path) {
  Capture cap = workstation_traffic(0x7472756eull, 262144);  // "trun"
  write_pcap(cap, path);
  constexpr std::size_t kKeep = 5;
  std::uintmax_t size = 24;  // file header
  for (std::size_t i = 0; i < kKeep; ++i) size += 16 + cap.frames[i].data.size();
  size += 16 + cap.frames[kKeep].data.size() / 2;
  std::filesystem::resize_file(path, size);
}

void write_not_a_pcap(const std::filesystem::path& path) {
  write_text(path,
             "This file is not a packet capture.\n"
             "It is plain text with a .pcap name: a replay must reject it with one clear error.\n");
}

void write_empty(const std::filesystem::path& path) { write_text(path, ""); }

}  // namespace vigil::pcapgen
