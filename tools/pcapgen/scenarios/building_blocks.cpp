#include "tools/pcapgen/scenarios/building_blocks.h"

#include "tools/pcapgen/app/tls.h"

namespace vigil::pcapgen {

Host lan_host(const IpAddr& ip, const MacAddress& mac, std::uint8_t ttl, std::uint64_t delay_ns) {
  Host h;
  h.ip = ip;
  h.mac = mac;
  h.ttl = ttl;
  h.delay_ns = delay_ns;
  return h;
}

Host remote_host(const IpAddr& ip, const MacAddress& gateway_mac, std::uint8_t initial_ttl,
                 std::uint8_t hops, std::uint64_t delay_ns) {
  return lan_host(ip, gateway_mac, static_cast<std::uint8_t>(initial_ttl - hops), delay_ns);
}

Conversation conversation(Capture& cap, Rng& r, const Host& client, std::uint16_t client_port,
                          const Host& server, std::uint16_t server_port, std::uint64_t start_ns,
                          std::vector<VlanTag> vlans) {
  Conversation c;
  c.capture = &cap;
  c.client = client;
  c.server = server;
  c.client.next_ip_id = static_cast<std::uint16_t>(uniform(r, 0, 0xffff));
  c.server.next_ip_id = static_cast<std::uint16_t>(uniform(r, 0, 0xffff));
  c.client_port = client_port;
  c.server_port = server_port;
  c.vlans = std::move(vlans);
  c.now_ns = start_ns;
  return c;
}

DnsMessage dns_query(Rng& r, const std::string& name, std::uint16_t type, std::uint16_t edns_udp_size) {
  DnsMessage q;
  q.id = static_cast<std::uint16_t>(uniform(r, 0, 0xffff));
  q.flags = 0x0100;
  q.questions.push_back({name, type});
  q.edns_udp_size = edns_udp_size;
  return q;
}

DnsMessage dns_response(const DnsMessage& query, std::vector<DnsRecord> answers, bool truncated) {
  DnsMessage a;
  a.id = query.id;
  a.flags = truncated ? 0x8380 : 0x8180;
  a.questions = query.questions;
  a.answers = std::move(answers);
  a.edns_udp_size = query.edns_udp_size ? 1232 : 0;
  return a;
}

DnsRecord dns_a(const std::string& name, const IpAddr& ip, std::uint32_t ttl) {
  DnsRecord rec;
  rec.name = name;
  rec.type = ip.v6 ? dnstype::aaaa : dnstype::a;
  rec.ttl = ttl;
  rec.address = ip;
  return rec;
}

DnsRecord dns_cname(const std::string& name, const std::string& target, std::uint32_t ttl) {
  DnsRecord rec;
  rec.name = name;
  rec.type = dnstype::cname;
  rec.ttl = ttl;
  rec.target = target;
  return rec;
}

void dns_over_udp(Conversation& c, const DnsMessage& query, const DnsMessage& response,
                  std::uint64_t resolve_ns) {
  send_udp(c, Side::client, dns_encode(query), 0);
  send_udp(c, Side::server, dns_encode(response), resolve_ns);
}

std::string http_response(std::uint64_t ts_ns, int status, std::string_view reason,
                          std::string_view content_type, std::string_view body, bool keep_alive,
                          std::span<const std::size_t> chunks, const HttpHeaders& extra) {
  HttpHeaders h = {{"Server", "nginx/1.22.1"}, {"Date", http_date(ts_ns)}};
  if (!content_type.empty()) h.emplace_back("Content-Type", std::string(content_type));
  std::string wire_body;
  if (chunks.empty()) {
    h.emplace_back("Content-Length", std::to_string(body.size()));
    wire_body = body;
  } else {
    h.emplace_back("Transfer-Encoding", "chunked");
    wire_body = http_chunked(body, chunks);
  }
  h.emplace_back("Connection", keep_alive ? "keep-alive" : "close");
  for (const auto& kv : extra) h.push_back(kv);
  return http_message("HTTP/1.1 " + std::to_string(status) + " " + std::string(reason), h, wire_body);
}

void http_exchange(TcpSession& s, std::string_view request, std::string_view response,
                   std::uint64_t server_think_ns, const SendShape& response_shape) {
  SendShape req;
  req.ack_last = false;  // the response carries the ACK of a one-segment request
  tcp_send(s, Side::client, as_bytes(request), req);
  SendShape resp = response_shape;
  resp.think_ns = server_think_ns;
  tcp_send(s, Side::server, as_bytes(response), resp);
}

void tls_session(TcpSession& s, Rng& r, const TlsExchange& spec) {
  const ClientHello hello = tls_client_hello(r, spec.sni, spec.tls13, {"h2", "http/1.1"});
  SendShape quick;
  quick.ack_last = false;
  tcp_send(s, Side::client, hello.records, quick);
  SendShape server_flight;
  server_flight.think_ns = 600 * kUs;
  if (spec.tls13) {
    tcp_send(s, Side::server, tls13_server_hello_flight(r, hello), server_flight);
    SendShape fin;
    fin.think_ns = 900 * kUs;
    fin.ack_last = false;
    tcp_send(s, Side::client, tls13_client_finished(r), fin);
  } else {
    tcp_send(s, Side::server, tls12_server_hello_flight(r, spec.sni, "http/1.1"), server_flight);
    SendShape fin;
    fin.think_ns = 1200 * kUs;
    fin.ack_last = false;
    tcp_send(s, Side::client, tls12_client_finished(r), fin);
    SendShape sfin;
    sfin.think_ns = 300 * kUs;
    tcp_send(s, Side::server, tls12_server_finished(r), sfin);
  }
  for (const TlsRound& round : spec.rounds) {
    SendShape req;
    req.think_ns = 200 * kUs;
    req.ack_last = false;
    tcp_send(s, Side::client, tls_application_data(r, round.request, spec.tls13), req);
    SendShape resp = round.response_shape;
    resp.think_ns = 2 * kMs + uniform(r, 0, 8000) * kUs;
    tcp_send(s, Side::server, tls_application_data(r, round.response, spec.tls13), resp);
  }
}

}  // namespace vigil::pcapgen
