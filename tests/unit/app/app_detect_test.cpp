// Protocol detection by content: any port, either direction, more bytes when a probe needs them.
#include <CppUTest/TestHarness.h>

#include <string_view>
#include <vector>

#include "dataplane/app/app_detect.h"

using namespace vigil;
using vigil::app::AppProto;

namespace {

std::vector<std::uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

app::ProbeResult ts(std::string_view s, std::uint16_t port = 4444) {
  const auto b = bytes(s);
  return app::probe_stream(b, FlowDirection::to_server, port);
}
app::ProbeResult tc(std::string_view s, std::uint16_t port = 4444) {
  const auto b = bytes(s);
  return app::probe_stream(b, FlowDirection::to_client, port);
}

// A DNS query for a.b (type A) over TCP: 2-byte length, then the message.
std::vector<std::uint8_t> dns_tcp_query() {
  std::vector<std::uint8_t> m = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0,
                                 1,    'a',  1,    'b',  0,    0,    1, 0, 1};
  std::vector<std::uint8_t> out = {0, static_cast<std::uint8_t>(m.size())};
  out.insert(out.end(), m.begin(), m.end());
  return out;
}

}  // namespace

TEST_GROUP(AppDetect){};

TEST(AppDetect, HttpByContentOnAnyPort) {
  CHECK(ts("GET / HTTP/1.1\r\n").proto == AppProto::http);
  CHECK(ts("NOTIFY * HTTP/1.1\r\n").proto == AppProto::http);
  CHECK(tc("HTTP/1.1 200 OK\r\n").proto == AppProto::http);
  CHECK(tc("GET / HTTP/1.1\r\n").proto != AppProto::http);  // a request from the server is not
  const app::ProbeResult part = ts("GE");
  CHECK(part.proto == AppProto::unknown);
  CHECK(part.need_more);
}

TEST(AppDetect, TlsSshSmtpFtp) {
  const std::vector<std::uint8_t> hello = {0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x03};
  CHECK(app::probe_stream(hello, FlowDirection::to_server, 8443).proto == AppProto::tls);
  CHECK(ts("SSH-2.0-OpenSSH_9.2\r\n").proto == AppProto::ssh);
  CHECK(tc("SSH-2.0-OpenSSH_9.2\r\n").proto == AppProto::ssh);
  CHECK(ts("EHLO mail.example\r\n", 25).proto == AppProto::smtp);
  CHECK(ts("USER anonymous\r\n", 21).proto == AppProto::ftp);
  CHECK(tc("220 ready\r\n", 21).proto == AppProto::unknown);  // a greeting alone is ambiguous
}

TEST(AppDetect, DnsOverTcpPortBreaksTies) {
  const auto q = dns_tcp_query();
  CHECK(app::probe_stream(q, FlowDirection::to_server, 53).proto == AppProto::dns);
  CHECK(app::probe_stream(q, FlowDirection::to_server, 5353).proto == AppProto::dns);
  // Half a message: more bytes are needed, nothing is decided.
  const std::vector<std::uint8_t> half(q.begin(), q.begin() + 16);
  const app::ProbeResult r = app::probe_stream(half, FlowDirection::to_server, 53);
  CHECK(r.proto == AppProto::unknown);
  CHECK(r.need_more);
  // Text does not hold detection back waiting for a DNS message.
  const app::ProbeResult t = ts("nothing here at all\r\n");
  CHECK(t.proto == AppProto::unknown);
  CHECK_FALSE(t.need_more);
}

TEST(AppDetect, DnsDatagramTrailingBytesOnlyOnPort53) {
  std::vector<std::uint8_t> m = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0,
                                 1,    'a',  0,    0,    1,    0,    1, 'M', 'S'};
  CHECK(app::probe_datagram(m, FlowDirection::to_server, 53).proto == AppProto::dns);
  CHECK(app::probe_datagram(m, FlowDirection::to_server, 5353).proto == AppProto::unknown);
  m.resize(m.size() - 2);
  CHECK(app::probe_datagram(m, FlowDirection::to_server, 5353).proto == AppProto::dns);
  const auto ntp = std::vector<std::uint8_t>(48, 0x1b);
  CHECK(app::probe_datagram(ntp, FlowDirection::to_server, 123).proto == AppProto::unknown);
}

TEST(AppDetect, ProtocolNames) {
  CHECK(app::app_proto_from_name("http1") == AppProto::http);
  CHECK(app::app_proto_from_name("tls") == AppProto::tls);
  CHECK_FALSE(app::app_proto_from_name("smb").has_value());
  STRCMP_EQUAL("failed", std::string(app::app_proto_name(AppProto::failed)).c_str());
}
