// Pieces the scenarios share: hosts on the sensor's segment or beyond the gateway, conversations
// starting at a given time, and whole application exchanges (DNS, HTTP, TLS) over them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/pcapgen/app/dns.h"
#include "tools/pcapgen/app/http.h"
#include "tools/pcapgen/conversation.h"
#include "tools/pcapgen/rng.h"
#include "tools/pcapgen/tcp_session.h"

namespace vigil::pcapgen {

inline constexpr std::uint64_t kUs = 1'000, kMs = 1'000'000, kSec = 1'000'000'000;

// A host on the sensor's own segment (a fraction of a millisecond away).
Host lan_host(const IpAddr& ip, const MacAddress& mac, std::uint8_t ttl, std::uint64_t delay_ns);
// A host beyond the gateway: frames carry the gateway's MAC, the TTL has lost `hops`.
Host remote_host(const IpAddr& ip, const MacAddress& gateway_mac, std::uint8_t initial_ttl,
                 std::uint8_t hops, std::uint64_t delay_ns);

Conversation conversation(Capture& cap, Rng& r, const Host& client, std::uint16_t client_port,
                          const Host& server, std::uint16_t server_port, std::uint64_t start_ns,
                          std::vector<VlanTag> vlans = {});

DnsMessage dns_query(Rng& r, const std::string& name, std::uint16_t type, std::uint16_t edns_udp_size);
// The response to `query` carrying `answers` (NOERROR, RA); `truncated` sets TC.
DnsMessage dns_response(const DnsMessage& query, std::vector<DnsRecord> answers, bool truncated = false);
DnsRecord dns_a(const std::string& name, const IpAddr& ip, std::uint32_t ttl);
DnsRecord dns_cname(const std::string& name, const std::string& target, std::uint32_t ttl);
// Query from the client, answer after `resolve_ns` at the server.
void dns_over_udp(Conversation& c, const DnsMessage& query, const DnsMessage& response,
                  std::uint64_t resolve_ns);

// Response text with the server's usual headers; `chunks` non-empty: chunked transfer coding.
std::string http_response(std::uint64_t ts_ns, int status, std::string_view reason,
                          std::string_view content_type, std::string_view body, bool keep_alive,
                          std::span<const std::size_t> chunks = {}, const HttpHeaders& extra = {});

// One request/response on an open session; `response_shape` can add loss or reordering.
void http_exchange(TcpSession& s, std::string_view request, std::string_view response,
                   std::uint64_t server_think_ns, const SendShape& response_shape = {});

// One request/response of application data (plaintext sizes); the response may see loss or
// reordering (see SendShape).
struct TlsRound {
  std::size_t request = 0, response = 0;
  SendShape response_shape;  // think_ns is chosen by tls_session
};

// A TLS handshake plus request/response rounds of application data.
struct TlsExchange {
  std::string sni;
  bool tls13 = true;
  std::vector<TlsRound> rounds;
};
void tls_session(TcpSession& s, Rng& r, const TlsExchange& spec);

}  // namespace vigil::pcapgen
