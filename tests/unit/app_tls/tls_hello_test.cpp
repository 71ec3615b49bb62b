#include <CppUTest/TestHarness.h>

#include "dataplane/app/tls/tls_fingerprint.h"
#include "tls_test_util.h"

using namespace vigil::app::tls;
using namespace vigil::app::tls::test;

TEST_GROUP(TlsHello){};

TEST(TlsHello, GreaseValues) {
  CHECK(tls_is_grease(0x0a0a));
  CHECK(tls_is_grease(0xfafa));
  CHECK(tls_is_grease(0x3a3a));
  CHECK_FALSE(tls_is_grease(0x0a1a));
  CHECK_FALSE(tls_is_grease(0x1301));
  CHECK_FALSE(tls_is_grease(0x0a0b));
}

// The example in the JA3 README: its string and MD5 are the published reference values.
TEST(TlsHello, Ja3ReadmeExample) {
  HelloSpec h;
  h.version = 0x0301;
  h.ciphers = {47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4};
  h.extensions = {{0, sni_ext_data("example.net")}, {10, u16_list({23, 24, 25})}, {11, Bytes{1, 0}}};
  Flow f;
  f.feed(kToServer, record(22, 0x0301, handshake(1, client_hello_body(h))));
  const std::string expected = "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0";
  STRCMP_EQUAL(expected.c_str(), field(f.s(), TlsField::ja3_string).c_str());
  STRCMP_EQUAL("ada70206e40642a3e4461f35503241d5", field(f.s(), TlsField::ja3_hash).c_str());
  STRCMP_EQUAL(md5_hex(expected).c_str(), field(f.s(), TlsField::ja3_hash).c_str());
  STRCMP_EQUAL("example.net", field(f.s(), TlsField::sni).c_str());
}

TEST(TlsHello, ClientHelloWithGreaseSniAlpn) {
  HelloSpec h;
  h.ciphers = {0x0a0a, 0x1301, 0x1302, 0xc02b, 0x002f};
  h.extensions = {{0x1a1a, {}},
                  {0x0000, sni_ext_data("www.example.com")},
                  {0x0017, {}},
                  {0x000a, u16_list({0x2a2a, 0x001d, 0x0017})},
                  {0x000b, Bytes{0x01, 0x00}},
                  {0x0010, alpn_ext_data({"h2", "http/1.1"})},
                  {0x002b, Bytes{0x06, 0x3a, 0x3a, 0x03, 0x04, 0x03, 0x03}},
                  {0x000d, u16_list({0x0403, 0x0804})},
                  {0x4a4a, Bytes{0x00}}};
  Flow f;
  f.feed(kToServer, record(22, 0x0301, handshake(1, client_hello_body(h))));
  const std::string expected = "771,4865-4866-49195-47,0-23-10-11-16-43-13,29-23,0";
  STRCMP_EQUAL(expected.c_str(), field(f.s(), TlsField::ja3_string).c_str());
  STRCMP_EQUAL(md5_hex(expected).c_str(), field(f.s(), TlsField::ja3_hash).c_str());
  STRCMP_EQUAL("www.example.com", field(f.s(), TlsField::sni).c_str());
  STRCMP_EQUAL("h2", field(f.s(), TlsField::alpn_first).c_str());
  LONGS_EQUAL(0x0303, tls_client_version(f.s()));
  LONGS_EQUAL(1, f.rec.events.size());
  CHECK(f.rec.events[0] == std::make_pair(kToServer, TlsProgress::client_hello));
  LONGS_EQUAL(1, f.count(TlsCounter::client_hellos));
  LONGS_EQUAL(0, f.count(TlsCounter::truncated_extension));
  LONGS_EQUAL(0, f.count(TlsCounter::invalid_handshake));
  // No version until the server speaks.
  LONGS_EQUAL(0, tls_field(f.s(), TlsField::version).size());
}

TEST(TlsHello, ClientHelloWithoutExtensions) {
  HelloSpec h;
  h.version = 0x0300;
  h.ciphers = {0x0004, 0x0005};
  h.no_extensions_block = true;
  Flow f;
  f.feed(kToServer, record(22, 0x0300, handshake(1, client_hello_body(h))));
  STRCMP_EQUAL("768,4-5,,,", field(f.s(), TlsField::ja3_string).c_str());
  LONGS_EQUAL(0, tls_field(f.s(), TlsField::sni).size());
}

TEST(TlsHello, ServerHelloSupportedVersionsGivesTls13) {
  Flow f;
  for (const Segment& seg : tls13_conversation()) f.feed(seg.dir, seg.bytes);
  LONGS_EQUAL(0x0304, tls_version(f.s()));
  STRCMP_EQUAL("TLS 1.3", field(f.s(), TlsField::version).c_str());
  const std::string ja3s = "771,4865,51-43";
  STRCMP_EQUAL(ja3s.c_str(), field(f.s(), TlsField::ja3s_string).c_str());
  STRCMP_EQUAL(md5_hex(ja3s).c_str(), field(f.s(), TlsField::ja3s_hash).c_str());
  STRCMP_EQUAL("tls13.example.org", field(f.s(), TlsField::sni).c_str());
  // Everything after the ServerHello is encrypted: done right after it, once.
  LONGS_EQUAL(3, f.rec.events.size());
  CHECK(f.rec.events[1] == std::make_pair(kToClient, TlsProgress::server_hello));
  CHECK(f.rec.events[2] == std::make_pair(kToClient, TlsProgress::handshake_done));
  CHECK(tls_encrypted(f.s(), kToServer));
  CHECK(tls_encrypted(f.s(), kToClient));
  LONGS_EQUAL(3, f.count(TlsCounter::app_data_records));
  LONGS_EQUAL(0, tls_cert_count(f.s()));
  f.close();
  LONGS_EQUAL(1, f.rec.done_count);
}

TEST(TlsHello, HelloRetryRequestKeepsParsing) {
  HelloSpec h;
  h.ciphers = {0x1301};
  h.extensions = {{0x002b, Bytes{0x02, 0x03, 0x04}}, {0x0000, sni_ext_data("first.example")}};
  HelloSpec h2 = h;
  h2.extensions[1].second = sni_ext_data("second.example");
  Flow f;
  f.feed(kToServer, record(22, 0x0301, handshake(1, client_hello_body(h))));
  f.feed(kToClient, cat({record(22, 0x0303, handshake(2, server_hello_body(0x0303, 0x1301,
                                                                             {{0x002b, Bytes{3, 4}}}, true))),
                         record(20, 0x0303, Bytes{1})}));
  LONGS_EQUAL(1, f.count(TlsCounter::hello_retry_requests));
  CHECK_FALSE(tls_encrypted(f.s(), kToClient));
  f.feed(kToServer, cat({record(20, 0x0303, Bytes{1}),
                         record(22, 0x0303, handshake(1, client_hello_body(h2)))}));
  CHECK_FALSE(tls_encrypted(f.s(), kToServer));
  f.feed(kToClient, record(22, 0x0303, handshake(2, server_hello_body(0x0303, 0x1301,
                                                                       {{0x002b, Bytes{3, 4}}}))));
  STRCMP_EQUAL("first.example", field(f.s(), TlsField::sni).c_str());
  STRCMP_EQUAL("TLS 1.3", field(f.s(), TlsField::version).c_str());
  LONGS_EQUAL(1, f.count(TlsCounter::server_hellos));
  LONGS_EQUAL(1, f.rec.done_count);
}

TEST(TlsHello, VersionNames) {
  STRCMP_EQUAL("UNDETERMINED", std::string(tls_version_name(0)).c_str());
  STRCMP_EQUAL("SSLv2", std::string(tls_version_name(0x0002)).c_str());
  STRCMP_EQUAL("SSLv3", std::string(tls_version_name(0x0300)).c_str());
  STRCMP_EQUAL("TLSv1", std::string(tls_version_name(0x0301)).c_str());
  STRCMP_EQUAL("TLS 1.1", std::string(tls_version_name(0x0302)).c_str());
  STRCMP_EQUAL("TLS 1.2", std::string(tls_version_name(0x0303)).c_str());
  STRCMP_EQUAL("TLS 1.3", std::string(tls_version_name(0x0304)).c_str());
  STRCMP_EQUAL("TLS 1.3 draft-28", std::string(tls_version_name(0x7f1c)).c_str());
  LONGS_EQUAL(0, tls_version_name(0x1234).size());
}

TEST(TlsHello, UnknownServerVersionPrintsHex) {
  Flow f;
  f.feed(kToClient, record(22, 0x0303, handshake(2, server_hello_body(0x0303, 0x1301,
                                                                       {{0x002b, Bytes{0x12, 0x34}}}))));
  STRCMP_EQUAL("0x1234", field(f.s(), TlsField::version).c_str());
}

TEST(TlsHello, SslV2ClientHello) {
  Bytes body;
  put_u8(body, 1);           // CLIENT-HELLO
  put_u16(body, 0x0301);     // version
  put_u16(body, 9);          // cipher specs
  put_u16(body, 0);          // session id
  put_u16(body, 16);         // challenge
  put(body, Bytes{0x07, 0x00, 0xc0, 0x00, 0x00, 0x2f, 0x00, 0x00, 0x35});
  put(body, Bytes(16, 0xab));
  Bytes rec;
  put_u16(rec, static_cast<std::uint16_t>(0x8000 | body.size()));
  put(rec, body);
  CHECK(tls_probe(rec, kToServer) == Probe::yes);
  Flow f;
  for (std::size_t i = 0; i < rec.size(); ++i) f.feed(kToServer, Bytes{rec[i]});
  LONGS_EQUAL(1, f.count(TlsCounter::sslv2_hello));
  LONGS_EQUAL(0x0301, tls_client_version(f.s()));
  CHECK(f.rec.events.at(0) == std::make_pair(kToServer, TlsProgress::client_hello));
  // The server answers in TLS records.
  f.feed(kToClient, record(22, 0x0301, handshake(2, server_hello_body(0x0301, 0x002f, {}))));
  STRCMP_EQUAL("TLSv1", field(f.s(), TlsField::version).c_str());
  // A later client record is a normal TLS record.
  f.feed(kToServer, record(21, 0x0301, Bytes{2, 40}));
  LONGS_EQUAL(1, f.count(TlsCounter::alerts));
  LONGS_EQUAL(0, f.count(TlsCounter::invalid_record_type));
}

TEST(TlsHello, Probe) {
  const Bytes ch = record(22, 0x0301, handshake(1, Bytes(50, 0)));
  const Bytes sh = record(22, 0x0303, handshake(2, Bytes(50, 0)));
  CHECK(tls_probe(ch, kToServer) == Probe::yes);
  CHECK(tls_probe(ch, kToClient) == Probe::no);
  CHECK(tls_probe(sh, kToClient) == Probe::yes);
  CHECK(tls_probe(sh, kToServer) == Probe::no);
  for (std::size_t n = 0; n < 6; ++n) {
    CHECK(tls_probe(std::span<const std::uint8_t>(ch).first(n), kToServer) == Probe::more);
  }
  const std::string get = "GET / HTTP/1.1\r\n";
  CHECK(tls_probe({reinterpret_cast<const std::uint8_t*>(get.data()), get.size()}, kToServer) ==
        Probe::no);
  CHECK(tls_probe(Bytes{22, 2, 0, 0, 50, 1}, kToServer) == Probe::no);       // version 2.0
  CHECK(tls_probe(Bytes{22, 3, 9, 0, 50, 1}, kToServer) == Probe::no);       // minor 9
  CHECK(tls_probe(Bytes{22, 3, 1, 0xff, 0xff, 1}, kToServer) == Probe::no);  // 65535 bytes
  CHECK(tls_probe(Bytes{23, 3, 3, 0, 50, 1}, kToServer) == Probe::no);       // app data
}
