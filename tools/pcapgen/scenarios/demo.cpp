// demo.pcap: three and a half seconds of a small office network at its Internet gateway.
// Every flow is described in docs/captures.md; the comments here say what each one is for.
#include "tools/pcapgen/app/content.h"
#include "tools/pcapgen/app/ntp.h"
#include "tools/pcapgen/app/ssh.h"
#include "tools/pcapgen/app/tls.h"
#include "tools/pcapgen/pcapgen.h"
#include "tools/pcapgen/scenarios/building_blocks.h"

namespace vigil::pcapgen {

namespace {

struct Office {
  MacAddress gateway_mac = mac("00:0d:b9:4b:2a:10");
  Host gateway = lan_host(ipv4("192.168.10.1"), gateway_mac, 64, 80 * kUs);
  Host gateway6 = lan_host(ipv6("2001:db8:10::1"), gateway_mac, 64, 80 * kUs);
  Host alice = lan_host(ipv4("192.168.10.21"), mac("3c:7c:3f:1e:8a:21"), 64, 150 * kUs);
  Host alice6 = lan_host(ipv6("2001:db8:10::21"), mac("3c:7c:3f:1e:8a:21"), 64, 150 * kUs);
  Host bob = lan_host(ipv4("192.168.10.34"), mac("8c:16:45:72:0b:34"), 128, 400 * kUs);
  Host fileserver = lan_host(ipv4("192.168.10.60"), mac("00:11:32:a4:7e:60"), 64, 120 * kUs);
  Host web = remote_host(ipv4("203.0.113.10"), gateway_mac, 64, 12, 9 * kMs);
  Host cdn = remote_host(ipv4("203.0.113.11"), gateway_mac, 64, 12, 9 * kMs);
  Host login = remote_host(ipv4("198.51.100.20"), gateway_mac, 64, 9, 14 * kMs);
  Host api6 = remote_host(ipv6("2001:db8:200::443"), gateway_mac, 64, 11, 21 * kMs);
  Host ping4 = remote_host(ipv4("192.0.2.1"), gateway_mac, 255, 8, 6 * kMs);
  Host ping6 = remote_host(ipv6("2001:db8:200::1"), gateway_mac, 64, 8, 7 * kMs);
  Host ntp = remote_host(ipv4("192.0.2.123"), gateway_mac, 64, 10, 11 * kMs);
  Host ssh = remote_host(ipv4("203.0.113.50"), gateway_mac, 64, 13, 17 * kMs);
};

constexpr std::uint64_t at(double seconds) { return kEpochNs + static_cast<std::uint64_t>(seconds * 1e9); }

// Address resolution before Alice's first packet: ARP for the gateway, and IPv6 neighbour
// discovery between link-local addresses.
void neighbour_discovery(Capture& cap, const Office& o) {
  Bytes arp;
  put_be16(arp, 1);
  put_be16(arp, 0x0800);
  put_u8(arp, 6);
  put_u8(arp, 4);
  put_be16(arp, 1);
  put_bytes(arp, o.alice.mac);
  put_bytes(arp, o.alice.ip.view());
  put_zeros(arp, 6);
  put_bytes(arp, o.gateway.ip.view());
  LinkHop req{o.alice.mac, mac("ff:ff:ff:ff:ff:ff")};
  add_ethernet_frame(cap, at(0.0002), req, 0x0806, arp);
  Bytes reply;
  put_be16(reply, 1);
  put_be16(reply, 0x0800);
  put_u8(reply, 6);
  put_u8(reply, 4);
  put_be16(reply, 2);
  put_bytes(reply, o.gateway.mac);
  put_bytes(reply, o.gateway.ip.view());
  put_bytes(reply, o.alice.mac);
  put_bytes(reply, o.alice.ip.view());
  add_ethernet_frame(cap, at(0.000431), LinkHop{o.gateway.mac, o.alice.mac}, 0x0806, reply);

  // Neighbour solicitation to the gateway's solicited-node multicast group, then advertisement.
  const IpAddr alice_ll = ipv6("fe80::3e7c:3fff:fe1e:8a21");
  const IpAddr gw_ll = ipv6("fe80::20d:b9ff:fe4b:2a10");
  const IpAddr solicited = ipv6("ff02::1:ff4b:2a10");
  Bytes ns;
  put_bytes(ns, gw_ll.view());
  put_u8(ns, 1);  // source link-layer address option
  put_u8(ns, 1);
  put_bytes(ns, o.alice.mac);
  IpFields h;
  h.src = alice_ll;
  h.dst = solicited;
  h.proto = proto::icmpv6;
  h.ttl = 255;
  add_ip_packet(cap, at(0.0009), LinkHop{o.alice.mac, mac("33:33:ff:4b:2a:10")},
                ip_datagram(h, icmpv6_message(alice_ll, solicited, 135, 0, 0, ns)));
  Bytes na;
  put_bytes(na, gw_ll.view());
  put_u8(na, 2);  // target link-layer address option
  put_u8(na, 1);
  put_bytes(na, o.gateway.mac);
  h.src = gw_ll;
  h.dst = alice_ll;
  add_ip_packet(cap, at(0.00104), LinkHop{o.gateway.mac, o.alice.mac},
                ip_datagram(h, icmpv6_message(gw_ll, alice_ll, 136, 0, 0xe0000000u, na)));  // R|S|O
}

// Alice browses www.example.com: A and AAAA queries from one socket (as glibc sends them), then
// one keep-alive connection with two requests. The page's 5th segment is lost between the sensor
// and Alice (seen twice: original and fast retransmission) and its 7th and 8th pass the sensor
// swapped; the second response is chunked.
void browse_example_com(Capture& cap, Rng& r, const Office& o) {
  Conversation dns = conversation(cap, r, o.alice, 41822, o.gateway, 53, at(0.010));
  const DnsMessage qa = dns_query(r, "www.example.com", dnstype::a, 0);
  const DnsMessage qaaaa = dns_query(r, "www.example.com", dnstype::aaaa, 0);
  send_udp(dns, Side::client, dns_encode(qa), 0);
  send_udp(dns, Side::client, dns_encode(qaaaa), 25 * kUs);
  send_udp(dns, Side::server,
           dns_encode(dns_response(qa, {dns_cname("www.example.com", "web-lb.example.net", 3600),
                                        dns_a("web-lb.example.net", o.web.ip, 60),
                                        dns_a("web-lb.example.net", o.cdn.ip, 60)})),
           18 * kMs);
  send_udp(dns, Side::server,
           dns_encode(dns_response(qaaaa, {dns_cname("www.example.com", "web-lb.example.net", 3600)})),
           400 * kUs);

  TcpSession s = tcp_session(conversation(cap, r, o.alice, 52814, o.web, 80, at(0.040)), r,
                             TcpStack::linux_host, TcpStack::linux_host);
  tcp_connect(s);
  std::string req = http_message("GET / HTTP/1.1", firefox_request_headers("www.example.com"), "");
  const std::string page = html_page(r, "Example Corp - Welcome", 40'000);
  std::string resp = http_response(s.conv.now_ns, 200, "OK", "text/html; charset=utf-8", page, true, {},
                                   {{"Last-Modified", "Fri, 15 Dec 2023 09:12:44 GMT"},
                                    {"ETag", "\"657c17cc-9c40\""},
                                    {"Cache-Control", "max-age=600"}});
  SendShape shape;
  shape.lost_segment = 4;
  shape.reordered_segment = 6;
  http_exchange(s, req, resp, 3 * kMs, shape);

  HttpHeaders h2 = firefox_request_headers("www.example.com");
  h2.emplace_back("Referer", "http://www.example.com/");
  req = http_message("GET /news HTTP/1.1", h2, "");
  const std::string news = html_page(r, "News", 9'000);
  const std::size_t chunks[] = {4096, 2711, 1500};
  resp = http_response(s.conv.now_ns, 200, "OK", "text/html; charset=utf-8", news, true, chunks);
  http_exchange(s, req, resp, 41 * kMs);
  tcp_close(s, Side::client, 900 * kMs);
}

// Bob signs in on login.example.com over TLS 1.2 (certificate chain in clear), and his browser
// aborts the connection with a RST, as Windows browsers commonly do.
void tls12_login(Capture& cap, Rng& r, const Office& o) {
  Conversation dns = conversation(cap, r, o.bob, 57311, o.gateway, 53, at(0.300));
  const DnsMessage q = dns_query(r, "login.example.com", dnstype::a, 0);
  dns_over_udp(dns, q, dns_response(q, {dns_a("login.example.com", o.login.ip, 300)}), 22 * kMs);

  TcpSession s = tcp_session(conversation(cap, r, o.bob, 50122, o.login, 443, at(0.331)), r,
                             TcpStack::windows_host, TcpStack::linux_host);
  tcp_connect(s);
  TlsExchange tls;
  tls.sni = "login.example.com";
  tls.tls13 = false;
  tls.rounds = {{612, 3480}, {1450, 380}};
  tls_session(s, r, tls);
  tcp_reset(s, Side::client, 120 * kMs);
}

// Alice calls an API over IPv6 with TLS 1.3; the server closes first. One segment of the second
// response is lost before the sensor, which sees only its retransmission (after a gap).
void tls13_api_v6(Capture& cap, Rng& r, const Office& o) {
  Conversation dns = conversation(cap, r, o.alice6, 39004, o.gateway6, 53, at(0.500));
  const DnsMessage q = dns_query(r, "api.example.org", dnstype::aaaa, 1232);
  dns_over_udp(dns, q, dns_response(q, {dns_a("api.example.org", o.api6.ip, 120)}), 31 * kMs);

  TcpSession s = tcp_session(conversation(cap, r, o.alice6, 45530, o.api6, 443, at(0.535)), r,
                             TcpStack::linux_host, TcpStack::linux_host);
  tcp_connect(s);
  TlsExchange tls;
  tls.sni = "api.example.org";
  tls.rounds = {{420, 1800}};
  tls_session(s, r, tls);
  SendShape req;
  req.think_ns = 300 * kMs;
  req.ack_last = false;
  tcp_send(s, Side::client, tls_application_data(r, 380, true), req);
  SendShape resp;
  resp.think_ns = 12 * kMs;
  resp.lost_segment = 2;
  resp.lost_before_sensor = true;
  tcp_send(s, Side::server, tls_application_data(r, 9200, true), resp);
  tcp_close(s, Side::server, 250 * kMs);
}

// Two pings each way: ICMP echo to an IPv4 router, ICMPv6 echo to an IPv6 host, one second apart.
void pings(Capture& cap, Rng& r, const Office& o) {
  Bytes data;
  for (int family = 0; family < 2; ++family) {
    Conversation c = conversation(cap, r, family ? o.alice6 : o.alice, 0, family ? o.ping6 : o.ping4, 0,
                                  at(family ? 0.850 : 0.800));
    const std::uint16_t id = static_cast<std::uint16_t>(uniform(r, 1, 0xffff));
    for (std::uint16_t seq = 1; seq <= 2; ++seq) {
      // Linux ping: a struct timeval (64-bit seconds and microseconds), then bytes 0x10..0x37.
      const std::uint64_t think = seq == 1 ? 0 : 1 * kSec;
      const std::uint64_t sent = send_time(c, Side::client, think);
      data.clear();
      put_le64(data, sent / kSec);
      put_le64(data, sent % kSec / kUs);
      for (std::uint8_t b = 0x10; b < 0x38; ++b) put_u8(data, b);
      const std::uint32_t rest = static_cast<std::uint32_t>(id) << 16 | seq;
      send_icmp(c, Side::client, family ? 128 : 8, 0, rest, data, think);
      send_icmp(c, Side::server, family ? 129 : 0, 0, rest, data, 40 * kUs);
    }
  }
}

void ntp_sync(Capture& cap, Rng& r, const Office& o) {
  Conversation c = conversation(cap, r, o.alice, 123, o.ntp, 123, at(1.000));
  const std::uint64_t sent = c.now_ns;
  send_udp(c, Side::client, ntp_client_request(sent), 0);
  const std::uint64_t reply = sent + 2 * o.ntp.delay_ns + 35 * kUs;
  send_udp(c, Side::server,
           ntp_server_reply(sent, sent + o.ntp.delay_ns, reply - o.ntp.delay_ns, ipv4("192.0.2.254")), 35 * kUs);
}

// A TXT lookup whose UDP answer is truncated (TC), retried over TCP (RFC 7766).
void dns_over_tcp(Capture& cap, Rng& r, const Office& o) {
  Conversation udp = conversation(cap, r, o.bob, 61044, o.gateway, 53, at(1.100));
  const DnsMessage q = dns_query(r, "example.com", dnstype::txt, 0);
  dns_over_udp(udp, q, dns_response(q, {}, true), 28 * kMs);

  TcpSession s = tcp_session(conversation(cap, r, o.bob, 50131, o.gateway, 53, udp.now_ns + 300 * kUs), r,
                             TcpStack::windows_host, TcpStack::linux_host);
  tcp_connect(s);
  DnsMessage tq = q;
  tq.id = static_cast<std::uint16_t>(uniform(r, 0, 0xffff));
  std::vector<DnsRecord> txt;
  for (const char* t : {"v=spf1 ip4:192.0.2.0/24 include:_spf.example.net ~all",
                        "google-site-verification=Zm9yIHRlc3RzIG9ubHk6IG5vdCBhIHJlYWwgdG9rZW4",
                        "MS=ms48291736", "apple-domain-verification=k3Jq9ZpXr2Lw8Tn4",
                        "docusign=5f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"}) {
    DnsRecord rec;
    rec.name = "example.com";
    rec.type = dnstype::txt;
    rec.ttl = 3600;
    rec.texts = {t};
    txt.push_back(rec);
  }
  SendShape quick;
  quick.ack_last = false;
  tcp_send(s, Side::client, dns_tcp_frame(dns_encode(tq)), quick);
  SendShape answer;
  answer.think_ns = 900 * kUs;
  tcp_send(s, Side::server, dns_tcp_frame(dns_encode(dns_response(tq, txt))), answer);
  tcp_close(s, Side::client, 200 * kUs);
}

// Bob posts a login form; the server answers 302 with Connection: close and closes first.
void http_post(Capture& cap, Rng& r, const Office& o) {
  TcpSession s = tcp_session(conversation(cap, r, o.bob, 50140, o.web, 80, at(1.300)), r,
                             TcpStack::windows_host, TcpStack::linux_host);
  tcp_connect(s);
  const std::string form = "username=bob.miller&password=Winter2023%21&remember=on&csrf_token=8f14e45fceea167a";
  HttpHeaders h = edge_request_headers("www.example.com");
  h.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  h.emplace_back("Content-Length", std::to_string(form.size()));
  h.emplace_back("Origin", "http://www.example.com");
  h.emplace_back("Referer", "http://www.example.com/login");
  const std::string req = http_message("POST /login HTTP/1.1", h, form);
  const std::string resp = http_response(
      s.conv.now_ns, 302, "Found", "text/html", "<html><body>Redirecting</body></html>\n", false, {},
      {{"Location", "/dashboard"},
       {"Set-Cookie", "session=3b9f0c2a7d114e6a; Path=/; HttpOnly; SameSite=Lax"}});
  http_exchange(s, req, resp, 48 * kMs);
  tcp_close(s, Side::server, 100 * kUs);

  // Bob also downloads a software update from the CDN: a bulk transfer.
  TcpSession d = tcp_session(conversation(cap, r, o.bob, 50141, o.cdn, 80, at(1.420)), r,
                             TcpStack::windows_host, TcpStack::linux_host);
  tcp_connect(d);
  Bytes blob(96'000);
  fill_random(r, blob);
  const std::string body(blob.begin(), blob.end());
  http_exchange(d, http_message("GET /downloads/agent-2.4.1-update.bin HTTP/1.1", edge_request_headers("cdn.example.net"), ""),
                http_response(d.conv.now_ns, 200, "OK", "application/octet-stream", body, true, {},
                              {{"Accept-Ranges", "bytes"}}),
                4 * kMs);
  tcp_close(d, Side::client, 30 * kMs);
}

// A segment behind a VLAN (802.1Q, id 20): a printer's syslog goes to a closed port and comes
// back as ICMP port unreachable; an admin station reads the printer's status page.
void printer_vlan(Capture& cap, Rng& r) {
  const std::vector<VlanTag> vlan20 = {VlanTag{0x8100, 20, 0}};
  const Host printer = lan_host(ipv4("10.20.0.15"), mac("00:80:77:3c:51:0f"), 64, 300 * kUs);
  const Host admin = lan_host(ipv4("10.20.0.2"), mac("00:50:56:9a:20:02"), 64, 200 * kUs);

  Conversation syslog = conversation(cap, r, printer, 1028, admin, 514, at(1.500), vlan20);
  const std::string msg = "<14>Jan  1 00:00:01 BRN3C510F: Toner Low (Black), replace soon";
  send_udp(syslog, Side::client, as_bytes(msg), 0);
  // The ICMP error quotes the whole offending datagram (it is short).
  const Bytes udp = udp_datagram(printer.ip, admin.ip, 1028, 514, as_bytes(msg));
  IpFields quoted;
  quoted.src = printer.ip;
  quoted.dst = admin.ip;
  quoted.proto = proto::udp;
  quoted.ttl = printer.ttl;
  quoted.id = static_cast<std::uint16_t>(syslog.client.next_ip_id - 1);
  Conversation icmp = conversation(cap, r, admin, 0, printer, 0, syslog.now_ns + 2 * admin.delay_ns + 30 * kUs, vlan20);
  send_icmp(icmp, Side::client, 3, 3, 0, ip_datagram(quoted, udp), 0);

  TcpSession s = tcp_session(conversation(cap, r, admin, 40712, printer, 80, at(1.560), vlan20), r,
                             TcpStack::linux_host, TcpStack::linux_host);
  tcp_connect(s);
  const std::string page = html_page(r, "Brother HL-L2350DW - Status", 3'000);
  http_exchange(s, http_message("GET /general/status.html HTTP/1.1", curl_request_headers("10.20.0.15"), ""),
                http_response(s.conv.now_ns, 200, "OK", "text/html", page, false), 6 * kMs);
  tcp_close(s, Side::server, 100 * kUs);
}

// A provider hand-off with QinQ (service tag 0x88a8 id 300, customer tag id 42): a branch router
// resolves a name and fetches a configuration file.
void qinq_branch(Capture& cap, Rng& r) {
  const std::vector<VlanTag> qinq = {VlanTag{0x88a8, 300, 0}, VlanTag{0x8100, 42, 0}};
  const Host branch = lan_host(ipv4("172.16.42.10"), mac("00:1e:49:7a:42:0a"), 64, 2 * kMs);
  const Host hub = lan_host(ipv4("172.16.42.1"), mac("00:1e:49:7a:42:01"), 64, 100 * kUs);
  Conversation dns = conversation(cap, r, branch, 33129, hub, 53, at(1.700), qinq);
  const DnsMessage q = dns_query(r, "config.branch.example.net", dnstype::a, 0);
  dns_over_udp(dns, q, dns_response(q, {dns_a("config.branch.example.net", hub.ip, 600)}), 300 * kUs);

  TcpSession s = tcp_session(conversation(cap, r, branch, 44012, hub, 80, at(1.712), qinq), r,
                             TcpStack::linux_host, TcpStack::linux_host);
  tcp_connect(s);
  const std::string cfg = json_document(r, 2'500);
  http_exchange(s, http_message("GET /provision/branch-42.json HTTP/1.1", curl_request_headers("config.branch.example.net"), ""),
                http_response(s.conv.now_ns, 200, "OK", "application/json", cfg, true), 2 * kMs);
  tcp_close(s, Side::client, 5 * kMs);
}

// Big DNS answers over UDP, cut into fragments by the resolver: IPv4 (three fragments in order)
// and IPv6 (three fragments, the last one first, as older Linux sent them).
void fragmented_dns(Capture& cap, Rng& r, const Office& o) {
  Conversation c4 = conversation(cap, r, o.alice, 48230, o.gateway, 53, at(2.000));
  const DnsMessage q4 = dns_query(r, "downloads.example.net", dnstype::a, 4096);
  std::vector<DnsRecord> many;
  many.push_back(dns_cname("downloads.example.net", "dl-pool.example.net", 300));
  for (std::uint32_t i = 0; i < 190; ++i) many.push_back(dns_a("dl-pool.example.net", ipv4(0xcb007100u + i), 30));
  send_udp(c4, Side::client, dns_encode(q4), 0);
  const DnsMessage a4 = dns_response(q4, many);
  send_udp(c4, Side::server, dns_encode(a4), 35 * kMs);

  Conversation c6 = conversation(cap, r, o.alice6, 51544, o.gateway6, 53, at(2.100));
  const DnsMessage q6 = dns_query(r, "_keys.example.org", dnstype::txt, 4096);
  std::vector<DnsRecord> keys;
  for (int i = 0; i < 19; ++i) {
    DnsRecord rec;
    rec.name = "_keys.example.org";
    rec.type = dnstype::txt;
    rec.ttl = 900;
    Bytes raw(150);
    fill_random(r, raw);
    std::string b64;
    static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::uint8_t v : raw) b64 += kB64[v & 63];
    rec.texts = {"k=ed25519; p=" + b64};
    keys.push_back(rec);
  }
  send_udp(c6, Side::client, dns_encode(q6), 0);
  const Bytes answer = dns_encode(dns_response(q6, keys));
  const Bytes l4 = udp_datagram(o.gateway6.ip, o.alice6.ip, 53, 51544, answer);
  const std::size_t order[] = {2, 0, 1};
  send_ip_fragments_reordered(c6, Side::server, send_time(c6, Side::server, 29 * kMs), proto::udp, l4, order,
                              14 * kUs);
}

// Alice tries remote desktop on the file server (nothing listens: SYN, RST/ACK), then Bob reads
// a status page on a non-standard port (HTTP on 8081).
void fileserver(Capture& cap, Rng& r, const Office& o) {
  TcpSession refused = tcp_session(conversation(cap, r, o.alice, 38544, o.fileserver, 3389, at(2.300)), r,
                                   TcpStack::linux_host, TcpStack::linux_host);
  tcp_refused(refused);

  TcpSession s = tcp_session(conversation(cap, r, o.bob, 50152, o.fileserver, 8081, at(2.400)), r,
                             TcpStack::windows_host, TcpStack::linux_host);
  tcp_connect(s);
  const std::string status = json_document(r, 1'400);
  http_exchange(s, http_message("GET /api/status HTTP/1.1", edge_request_headers("192.168.10.60:8081"), ""),
                http_response(s.conv.now_ns, 200, "OK", "application/json", status, true), 3 * kMs);
  tcp_close(s, Side::client, 15 * kMs);
}

// SSH to a non-standard port (2222): banners, key exchange, a few interactive packets, and the
// session still open when the capture ends.
void ssh_left_open(Capture& cap, Rng& r, const Office& o) {
  TcpSession s = tcp_session(conversation(cap, r, o.alice, 60218, o.ssh, 2222, at(2.600)), r,
                             TcpStack::linux_host, TcpStack::linux_host);
  tcp_connect(s);
  SendShape quick;
  quick.ack_last = false;
  SendShape srv;
  srv.think_ns = 3 * kMs;
  tcp_send(s, Side::client, ssh_banner("OpenSSH_9.2p1 Debian-2+deb12u2"), quick);
  tcp_send(s, Side::server, ssh_banner("OpenSSH_7.4"), srv);
  tcp_send(s, Side::client, ssh_kexinit(r, false), quick);
  tcp_send(s, Side::server, ssh_kexinit(r, true), srv);
  tcp_send(s, Side::client, ssh_kex_ecdh_init(r), quick);
  tcp_send(s, Side::server, ssh_kex_ecdh_reply_and_newkeys(r), srv);
  tcp_send(s, Side::client, ssh_newkeys(), quick);
  for (int i = 0; i < 6; ++i) {
    SendShape key;
    key.think_ns = (150 + uniform(r, 0, 250)) * kMs;
    key.ack_last = false;
    tcp_send(s, Side::client, ssh_encrypted_packet(r, 8), key);    // a keystroke
    SendShape echo;
    echo.think_ns = 200 * kUs;
    tcp_send(s, Side::server, ssh_encrypted_packet(r, 8), echo);   // its echo
  }
}

}  // namespace

Capture make_demo() {
  Capture cap;
  Rng r = rng_seeded(0x76696769'6c2d6465ull);  // "vigil-de"
  const Office o;
  neighbour_discovery(cap, o);
  browse_example_com(cap, r, o);
  tls12_login(cap, r, o);
  tls13_api_v6(cap, r, o);
  pings(cap, r, o);
  ntp_sync(cap, r, o);
  dns_over_tcp(cap, r, o);
  http_post(cap, r, o);
  printer_vlan(cap, r);
  qinq_branch(cap, r);
  fragmented_dns(cap, r, o);
  fileserver(cap, r, o);
  ssh_left_open(cap, r, o);
  sort_by_time(cap);
  return cap;
}

}  // namespace vigil::pcapgen
