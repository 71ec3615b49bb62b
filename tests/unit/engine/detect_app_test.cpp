// Application-layer rules through a real Worker: protocol detection by content on any port,
// transaction rules on HTTP / DNS / TLS buffers alerting once per transaction, `alert <proto>`
// packet rules, app-layer-protocol, and the EVE records the app layer sends.
#include <CppUTest/TestHarness.h>

#include <string>

#include "dataplane/app/app_record.h"
#include "tests/unit/engine/engine_test_util.h"

using namespace engine_test;

namespace {

// A DNS query for `name` (type A), id 0x1234.
Packet dns_query(std::string_view name) {
  Packet m = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  std::size_t start = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      m.push_back(static_cast<std::uint8_t>(i - start));
      for (std::size_t k = start; k < i; ++k) m.push_back(static_cast<std::uint8_t>(name[k]));
      start = i + 1;
    }
  }
  m.insert(m.end(), {0x00, 0x00, 0x01, 0x00, 0x01});
  return m;
}

void put16(Packet& p, std::size_t v) {
  p.push_back(static_cast<std::uint8_t>(v >> 8));
  p.push_back(static_cast<std::uint8_t>(v));
}

// A TLS 1.2 ClientHello record with one cipher suite and the server_name extension.
Packet client_hello(std::string_view sni) {
  Packet ext;
  put16(ext, 0);                // server_name
  put16(ext, sni.size() + 5);   // extension length
  put16(ext, sni.size() + 3);   // server name list length
  ext.push_back(0);             // host_name
  put16(ext, sni.size());
  ext.insert(ext.end(), sni.begin(), sni.end());
  Packet body = {0x03, 0x03};
  body.insert(body.end(), 32, 0x42);  // random
  body.push_back(0);                  // session id
  put16(body, 2);
  put16(body, 0xc02f);                // ECDHE-RSA-AES128-GCM-SHA256
  body.push_back(1);
  body.push_back(0);                  // compression: null
  put16(body, ext.size());
  body.insert(body.end(), ext.begin(), ext.end());
  Packet hs = {0x01, 0x00, static_cast<std::uint8_t>(body.size() >> 8),
               static_cast<std::uint8_t>(body.size())};
  hs.insert(hs.end(), body.begin(), body.end());
  Packet rec = {0x16, 0x03, 0x01};
  put16(rec, hs.size());
  rec.insert(rec.end(), hs.begin(), hs.end());
  return rec;
}

std::vector<std::string> app_events(Session& s) {
  std::vector<std::string> out;
  vigil::app::AppRecordHeader h;
  std::string json;
  while (vigil::app::pop_app_record(s.worker().app()->records(), h, json)) {
    out.push_back(std::string(vigil::app::app_proto_name(h.proto)) + " " + json);
  }
  return out;
}

}  // namespace

TEST_GROUP(DetectApp){};

TEST(DetectApp, HttpUriRuleAlertsOncePerTransactionOnAnyPort) {
  Session s(
      "alert http any any -> any any (msg:\"uri\"; flow:to_server; http.uri; content:\"/evil\"; sid:1;)\n"
      "alert http any any -> any any (msg:\"status\"; http.uri; content:\"/evil\"; http.stat_code; "
      "content:\"404\"; sid:2;)\n");
  Endpoints e;
  e.sport = 4444;  // HTTP by content, not by port
  Tcp c(s, e);
  c.handshake();
  c.client("GET /ev");
  LONGS_EQUAL(0, s.alerts.size());
  c.client("il/x HTTP/1.1\r\nHost: a\r\n\r\n");
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
  CHECK(s.last_alerts[0].app_proto == static_cast<std::uint8_t>(vigil::app::AppProto::http));
  c.server("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nabc");
  STRCMP_EQUAL("2", alert_sids(s.last_alerts).c_str());
  c.client("GET /evil/y HTTP/1.1\r\nHost: a\r\n\r\n");  // a second transaction alerts again
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
  LONGS_EQUAL(2, s.count(1));
}

TEST(DetectApp, DropOnATransactionBlocksTheRestOfTheFlowInline) {
  SessionOptions inline_opts;
  inline_opts.inline_mode = true;
  Session s("drop http any any -> any any (http.uri; content:\"/blocked\"; sid:1;)\n",
            inline_opts);
  Tcp c(s);
  c.handshake();
  CHECK(c.client("GET /blocked HTTP/1.1\r\nHost: a\r\n\r\n") == Verdict::drop);
  // The retransmission and every later packet, both ways, never pass: the request never
  // reaches the server.
  CHECK(c.client("GET /blocked HTTP/1.1\r\nHost: a\r\n\r\n") == Verdict::drop);
  CHECK(c.server("HTTP/1.1 200 OK\r\n\r\n") == Verdict::drop);
  LONGS_EQUAL(1, s.count(1));
}

TEST(DetectApp, NormalizedUriAndRawUri) {
  Session s(
      "alert http any any -> any any (http.uri; content:\"/a/b\"; sid:1;)\n"
      "alert http any any -> any any (http.uri.raw; content:\"/a/./%62\"; sid:2;)\n");
  Tcp c(s);
  c.handshake();
  c.client("GET /a/./%62 HTTP/1.1\r\nHost: a\r\n\r\n");
  STRCMP_EQUAL("1,2", alert_sids(s.last_alerts).c_str());
}

TEST(DetectApp, ResponseBodyIsInspectedOnceAcrossChunks) {
  Session s("alert http any any -> any any (file_data; content:\"EICAR-TEST\"; sid:1;)\n");
  Tcp c(s);
  c.handshake();
  c.client("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  c.server("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nEICAR\r\n");
  LONGS_EQUAL(0, s.alerts.size());
  c.server("5\r\n-TEST\r\n");
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
  c.server("a\r\nEICAR-TEST\r\n0\r\n\r\n");  // the same transaction: no second alert
  LONGS_EQUAL(1, s.count(1));
}

TEST(DetectApp, HttpPacketRuleNeedsTheProtocol) {
  Session s("alert http any any -> any any (flow:to_server; content:\"GET /x\"; sid:1;)\n"
            "alert tcp any any -> any any (app-layer-protocol:tls; sid:2;)\n"
            "alert tcp any any -> any any (app-layer-protocol:!http; flow:to_server; content:\"GET\"; sid:3;)\n");
  Tcp c(s);
  c.handshake();
  c.client("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
  STRCMP_EQUAL("1", alert_sids(s.alerts).c_str());
  Endpoints e;
  e.cport = 40001;
  Tcp t(s, e);
  t.handshake();
  t.client(client_hello("example.org"));
  // A rule on the protocol alone holds from the packet after the one that named it (Suricata's
  // IDS mode parses bytes once acknowledged).
  CHECK_EQUAL(0u, s.count(2));
  t.server("\x16\x03\x03");
  CHECK_EQUAL(1u, s.count(2));
  Endpoints u;
  u.cport = 40002;
  Tcp o(s, u);
  o.handshake();
  o.client("GETTING nowhere\r\n");  // not decided yet: no app-layer-protocol condition holds
  CHECK_EQUAL(0u, s.count(3));
  o.server("nothing here\r\n");      // neither side is a protocol: failed, and !http holds
  o.client("GETTING more\r\n");
  CHECK_EQUAL(1u, s.count(3));
}

TEST(DetectApp, DnsQueryOverUdp) {
  Session s("alert dns any any -> any any (dns.query; content:\"evil.example\"; nocase; sid:1;)\n"
            "alert dns any any -> any any (dns.query; content:\"good\"; sid:2;)\n");
  Endpoints e;
  e.sport = 5353;  // not port 53: detected by content
  s.send(udp_frame(e, true, dns_query("www.EVIL.example.com")));
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
  const auto ev = app_events(s);
  LONGS_EQUAL(1, ev.size());
  CHECK(ev[0].find("\"type\":\"query\"") != std::string::npos);
  CHECK(ev[0].find("\"rrname\":\"www.EVIL.example.com\"") != std::string::npos);
}

TEST(DetectApp, TlsSniSplitAcrossSegments) {
  Session s("alert tls any any -> any any (tls.sni; content:\"bad.example\"; endswith; sid:1;)\n");
  Endpoints e;
  e.sport = 8443;
  Tcp c(s, e);
  c.handshake();
  const Packet hello = client_hello("www.bad.example");
  c.client(Packet(hello.begin(), hello.begin() + 20));
  LONGS_EQUAL(0, s.alerts.size());
  c.client(Packet(hello.begin() + 20, hello.end()));
  STRCMP_EQUAL("1", alert_sids(s.last_alerts).c_str());
}

TEST(DetectApp, HttpRecordIsWrittenPerTransaction) {
  Session s("alert tcp any any -> any any (content:\"nothing-matches\"; sid:1;)\n");
  Tcp c(s);
  c.handshake();
  c.client("GET /p?q=1 HTTP/1.1\r\nHost: WWW.Example.COM:8080\r\nUser-Agent: t/1\r\n\r\n");
  c.server("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 2\r\n\r\nok");
  const auto ev = app_events(s);
  LONGS_EQUAL(1, ev.size());
  CHECK(ev[0].find("\"hostname\":\"www.example.com\"") != std::string::npos);
  CHECK(ev[0].find("\"url\":\"/p?q=1\"") != std::string::npos);
  CHECK(ev[0].find("\"status\":200") != std::string::npos);
  CHECK(ev[0].find("\"http_content_type\":\"text/html\"") != std::string::npos);
  CHECK(ev[0].find("\"length\":2") != std::string::npos);
}

TEST(DetectApp, TransactionRuleWithoutAppBufferProtocolIsRefused) {
  CHECK(reject_reason("alert tls any any -> any any (http.uri; content:\"x\"; sid:1;)") == "bad_value");
  CHECK(reject_reason("alert http any any -> any any (sip.method; content:\"x\"; sid:1;)") ==
        "unsupported_keyword");
}
