// dns_probe: real messages say yes, other protocols and noise say no.
#include <CppUTest/TestHarness.h>

#include <random>
#include <vector>

#include "dataplane/app/dns/dns_message.h"
#include "dns_test_util.h"

using namespace vigil::app::dns;
using vigil::app::dns::test::bytes_of;
using vigil::app::dns::test::Msg;

namespace {

Msg query() {
  Msg m;
  m.header(0x1a2b, 0x0100, 1, 0, 0, 1).question("www.example.org", 1);
  m.u8(0).u16(41).u16(1232).u32(0).u16(0);  // EDNS
  return m;
}

Msg response() {
  Msg m;
  m.header(0x1a2b, 0x8180, 1, 1).question("www.example.org", 1).a_rr(12, {192, 0, 2, 7});
  return m;
}

}  // namespace

TEST_GROUP(DnsProbe){};

TEST(DnsProbe, QueriesAndResponses) {
  CHECK_TRUE(dns_probe(query().span(), false));
  CHECK_TRUE(dns_probe(response().span(), false));
  Msg plain;
  plain.header(1, 0, 1).question("example.org", 28);
  CHECK_TRUE(dns_probe(plain.span(), false));
  Msg root;
  root.header(1, 0, 1).question("", 2);  // priming query
  CHECK_TRUE(dns_probe(root.span(), false));
  Msg mdns;
  mdns.header(0, 0, 1).question("_http._tcp.local", 12, 0x8001);
  CHECK_TRUE(dns_probe(mdns.span(), false));
  Msg nxdomain;
  nxdomain.header(5, 0x8183, 1).question("nope.example");
  CHECK_TRUE(dns_probe(nxdomain.span(), false));
}

TEST(DnsProbe, Tcp) {
  const auto q = query().tcp();
  CHECK_TRUE(dns_probe(q, true));
  CHECK_FALSE(dns_probe(query().span(), true));  // no length prefix
  CHECK_FALSE(dns_probe(q, false));              // the prefix where the id should be... shifted
  // The first segment carrying only the header and question of a longer message.
  const auto r = response().tcp();
  CHECK_TRUE(dns_probe(std::span(r).first(2 + 12 + 21), true));
  CHECK_FALSE(dns_probe(std::span(r).first(2 + 12 + 10), true));  // question cut
  CHECK_FALSE(dns_probe(std::span(r).first(1), true));
  // A length prefix too small for the header and a question.
  std::vector<std::uint8_t> tiny = r;
  tiny[0] = 0;
  tiny[1] = 16;
  CHECK_FALSE(dns_probe(tiny, true));
}

TEST(DnsProbe, BadHeaders) {
  Msg m = query();
  CHECK_FALSE(dns_probe(Msg(m).set_u16(2, 3 << 11).span(), false));  // opcode 3
  CHECK_FALSE(dns_probe(Msg(m).set_u16(2, 7 << 11).span(), false));  // opcode 7
  CHECK_FALSE(dns_probe(Msg(m).set_u16(2, 0x0102).span(), false));   // query with rcode
  CHECK_FALSE(dns_probe(Msg(m).set_u16(4, 0).span(), false));        // no question
  CHECK_FALSE(dns_probe(Msg(m).set_u16(4, 17).span(), false));       // too many questions
  CHECK_FALSE(dns_probe(Msg(m).set_u16(10, 50).span(), false));      // records do not fit
  CHECK_FALSE(dns_probe(Msg(m).set_u16(10, 0).span(), false));       // trailing bytes
  const std::size_t qtype = 12 + 17;
  CHECK_FALSE(dns_probe(Msg(m).set_u16(qtype, 0).span(), false));      // qtype 0
  CHECK_FALSE(dns_probe(Msg(m).set_u16(qtype + 2, 7).span(), false));  // unknown qclass
  Msg loop;
  loop.header(1, 0, 1).ptr(12).u16(1).u16(1);
  CHECK_FALSE(dns_probe(loop.span(), false));
  CHECK_FALSE(dns_probe({}, false));
}

TEST(DnsProbe, OtherProtocols) {
  CHECK_FALSE(dns_probe(bytes_of("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"), false));
  CHECK_FALSE(dns_probe(bytes_of("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"), true));
  CHECK_FALSE(dns_probe(bytes_of("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), false));
  CHECK_FALSE(dns_probe(bytes_of("SSH-2.0-OpenSSH_9.2p1\r\n"), true));
  // TLS ClientHello record header and the start of the handshake.
  const std::vector<std::uint8_t> tls = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc,
                                         0x03, 0x03, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60,
                                         0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69};
  CHECK_FALSE(dns_probe(tls, false));
  CHECK_FALSE(dns_probe(tls, true));
  // NTPv4 client request (mode 3) as ntpd sends it, and the SNTP minimal form.
  std::vector<std::uint8_t> ntp(48, 0);
  ntp[0] = 0x23;
  ntp[1] = 0x02;
  ntp[2] = 0x06;
  ntp[3] = 0xe8;
  for (std::size_t i = 40; i < 48; ++i) ntp[i] = static_cast<std::uint8_t>(0x9a + i);
  CHECK_FALSE(dns_probe(ntp, false));
  std::vector<std::uint8_t> sntp(48, 0);
  sntp[0] = 0x1b;
  CHECK_FALSE(dns_probe(sntp, false));
}

TEST(DnsProbe, RandomBytes) {
  std::mt19937 rng(12345);
  std::vector<std::uint8_t> b;
  int hits = 0;
  for (int i = 0; i < 200000; ++i) {
    b.resize(rng() % 600);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    hits += dns_probe(b, (i & 1) != 0) ? 1 : 0;
  }
  LONGS_EQUAL(0, hits);
}
