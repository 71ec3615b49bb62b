#include <CppUTest/TestHarness.h>

#include <algorithm>

#include "dataplane/app/tls/tls_certificate.h"
#include "tls_test_util.h"
#include "tools/pcapgen/app/tls.h"

using namespace vigil::app::tls;
using namespace vigil::app::tls::test;

TEST_GROUP(TlsCertificate){};

TEST(TlsCertificate, ChainFields) {
  const TestChain chain = make_chain();
  Flow f;
  for (const Segment& seg : tls12_conversation()) f.feed(seg.dir, seg.bytes);
  LONGS_EQUAL(2, tls_cert_count(f.s()));
  STRCMP_EQUAL("C=US, O=Example Corp, CN=www.example.com", field(f.s(), TlsField::cert_subject).c_str());
  STRCMP_EQUAL("C=US, O=Vigil Test Trust, CN=Vigil Test Root CA",
               field(f.s(), TlsField::cert_issuer).c_str());
  STRCMP_EQUAL("01:23:45:67:89:AB", field(f.s(), TlsField::cert_serial).c_str());
  STRCMP_EQUAL(sha1_colon_hex(chain.leaf).c_str(), field(f.s(), TlsField::cert_fingerprint).c_str());
  STRCMP_EQUAL("2023-06-15T08:30:00", std::string(tls_not_before(f.s())).c_str());
  STRCMP_EQUAL("2024-07-14T23:59:59", std::string(tls_not_after(f.s())).c_str());
  const auto leaf = tls_cert(f.s(), 0);
  const auto ca = tls_cert(f.s(), 1);
  CHECK(Bytes(leaf.begin(), leaf.end()) == chain.leaf);
  CHECK(Bytes(ca.begin(), ca.end()) == chain.ca);
  LONGS_EQUAL(0, tls_cert(f.s(), 2).size());
  LONGS_EQUAL(0, f.count(TlsCounter::cert_parse_errors));
  LONGS_EQUAL(1, f.count(TlsCounter::certificates));
  LONGS_EQUAL(2, f.count(TlsCounter::certs));

  STRCMP_EQUAL("TLS 1.2", field(f.s(), TlsField::version).c_str());
  STRCMP_EQUAL("771,49195,65281-11-16", field(f.s(), TlsField::ja3s_string).c_str());
  STRCMP_EQUAL("h2", field(f.s(), TlsField::alpn_server).c_str());
  STRCMP_EQUAL("771,49195-49199-156-47,0-10-11-16-13-65281,29-23,0",
               field(f.s(), TlsField::ja3_string).c_str());

  LONGS_EQUAL(4, f.rec.events.size());
  CHECK(f.rec.events[0] == std::make_pair(kToServer, TlsProgress::client_hello));
  CHECK(f.rec.events[1] == std::make_pair(kToClient, TlsProgress::server_hello));
  CHECK(f.rec.events[2] == std::make_pair(kToClient, TlsProgress::certificate));
  CHECK(f.rec.events[3].second == TlsProgress::handshake_done);
  LONGS_EQUAL(1, f.count(TlsCounter::app_data_records));
  LONGS_EQUAL(2, f.count(TlsCounter::encrypted_handshake));
  f.close();
  LONGS_EQUAL(1, f.rec.done_count);
}

TEST(TlsCertificate, DescribeRefusesGarbage) {
  char scratch[4096];
  TlsCertText text{};
  const Bytes junk(100, 0x30);
  CHECK(tls_describe_certificate(junk, scratch, text) == CertRead::failed);
  CHECK(tls_describe_certificate({}, scratch, text) == CertRead::failed);
  LONGS_EQUAL(0, text.subject.len);
}

TEST(TlsCertificate, GarbageDerCounted) {
  const TestChain chain = make_chain();
  Bytes junk(300);
  for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<std::uint8_t>(i * 37 + 5);
  Flow f;
  f.feed(kToClient, cat({record(22, 0x0303, handshake(2, server_hello_body(0x0303, 0xc02b, {}))),
                         record(22, 0x0303, handshake(11, certificate_body({junk, chain.ca})))}));
  LONGS_EQUAL(1, f.count(TlsCounter::cert_parse_errors));
  LONGS_EQUAL(2, tls_cert_count(f.s()));
  const auto leaf = tls_cert(f.s(), 0);
  CHECK(Bytes(leaf.begin(), leaf.end()) == junk);
  // The leaf could not be read, so no leaf fields (the CA's are not taken in its place).
  LONGS_EQUAL(0, tls_field(f.s(), TlsField::cert_subject).size());
  LONGS_EQUAL(0, tls_field(f.s(), TlsField::cert_fingerprint).size());
  LONGS_EQUAL(0, tls_not_before(f.s()).size());
}

TEST(TlsCertificate, HugeCertificateMessage) {
  const TestChain chain = make_chain();
  // Leaf, then a 40 KiB "certificate", then the CA: far bigger than the message buffer, spread
  // over records of 16 KiB as a server would send it.
  const Bytes msg = handshake(11, certificate_body({chain.leaf, Bytes(40000, 0x5a), chain.ca}));
  Bytes stream = record(22, 0x0303, handshake(2, server_hello_body(0x0303, 0xc02b, {})));
  for (std::size_t at = 0; at < msg.size(); at += 16384) {
    const std::size_t n = std::min<std::size_t>(16384, msg.size() - at);
    put(stream, record(22, 0x0303, Bytes(msg.begin() + static_cast<long>(at),
                                         msg.begin() + static_cast<long>(at + n))));
  }
  put(stream, record(22, 0x0303, handshake(14, {})));
  put(stream, record(20, 0x0303, Bytes{1}));
  Flow f;
  f.feed(kToClient, stream);
  LONGS_EQUAL(1, f.count(TlsCounter::message_too_large));
  LONGS_EQUAL(1, tls_cert_count(f.s()));
  STRCMP_EQUAL("C=US, O=Example Corp, CN=www.example.com", field(f.s(), TlsField::cert_subject).c_str());
  LONGS_EQUAL(0, f.count(TlsCounter::invalid_certificate));
  LONGS_EQUAL(3, f.count(TlsCounter::handshake_messages));  // SH, Certificate, ServerHelloDone
  CHECK(tls_encrypted(f.s(), kToClient));
  CHECK(f.rec.events.at(1) == std::make_pair(kToClient, TlsProgress::certificate));
}

TEST(TlsCertificate, TooManyCertificates) {
  std::vector<Bytes> ders(kMaxCerts + 4, Bytes(10, 0x30));
  Flow f;
  f.feed(kToClient, record(22, 0x0303, handshake(11, certificate_body(ders))));
  LONGS_EQUAL(kMaxCerts, tls_cert_count(f.s()));
  LONGS_EQUAL(1, f.count(TlsCounter::too_many_certs));
  LONGS_EQUAL(1, f.count(TlsCounter::cert_parse_errors));  // only the leaf is parsed
}

TEST(TlsCertificate, ChainFramingErrors) {
  const TestChain chain = make_chain();
  // A certificate length running past the chain.
  Bytes body;
  put_u24(body, static_cast<std::uint32_t>(chain.leaf.size() + 3));
  put_u24(body, static_cast<std::uint32_t>(chain.leaf.size() + 50));
  put(body, chain.leaf);
  Flow f;
  f.feed(kToClient, record(22, 0x0303, handshake(11, body)));
  LONGS_EQUAL(1, f.count(TlsCounter::invalid_certificate));
  LONGS_EQUAL(0, tls_cert_count(f.s()));
  // A chain length disagreeing with the message: counted, what is there is read.
  Bytes body2;
  put_u24(body2, static_cast<std::uint32_t>(chain.leaf.size() + 3 + 100));
  put_u24(body2, static_cast<std::uint32_t>(chain.leaf.size()));
  put(body2, chain.leaf);
  Flow g;
  g.feed(kToClient, record(22, 0x0303, handshake(11, body2)));
  LONGS_EQUAL(1, g.count(TlsCounter::invalid_certificate));
  LONGS_EQUAL(1, tls_cert_count(g.s()));
  // A message too short for the chain length.
  Flow h;
  h.feed(kToClient, record(22, 0x0303, handshake(11, Bytes{0x00, 0x01})));
  LONGS_EQUAL(1, h.count(TlsCounter::invalid_certificate));
}

// A public key mbedTLS cannot load (here a P-256 point off the curve) makes it refuse the whole
// certificate; the fields a log shows are still read.
TEST(TlsCertificate, UnloadableKeyStillGivesFields) {
  TestChain chain = make_chain();
  const Bytes marker{0x03, 0x42, 0x00, 0x04};
  const auto at = std::search(chain.leaf.begin(), chain.leaf.end(), marker.begin(), marker.end());
  CHECK(at != chain.leaf.end());
  at[10] ^= 0x01;
  char scratch[4096];
  TlsCertText text{};
  CHECK(tls_describe_certificate(chain.leaf, scratch, text) == CertRead::fields_only);
  Flow f;
  f.feed(kToClient, record(22, 0x0303, handshake(11, certificate_body({chain.leaf, chain.ca}))));
  LONGS_EQUAL(1, f.count(TlsCounter::cert_fields_only));
  LONGS_EQUAL(0, f.count(TlsCounter::cert_parse_errors));
  STRCMP_EQUAL("C=US, O=Example Corp, CN=www.example.com", field(f.s(), TlsField::cert_subject).c_str());
  STRCMP_EQUAL("C=US, O=Vigil Test Trust, CN=Vigil Test Root CA",
               field(f.s(), TlsField::cert_issuer).c_str());
  STRCMP_EQUAL("01:23:45:67:89:AB", field(f.s(), TlsField::cert_serial).c_str());
  STRCMP_EQUAL(sha1_colon_hex(chain.leaf).c_str(), field(f.s(), TlsField::cert_fingerprint).c_str());
  STRCMP_EQUAL("2023-06-15T08:30:00", std::string(tls_not_before(f.s())).c_str());
  STRCMP_EQUAL("2024-07-14T23:59:59", std::string(tls_not_after(f.s())).c_str());
}

// The project's capture generator (tools/pcapgen) builds certificates whose keys are random
// bytes: mbedTLS refuses them, their fields must still reach the log.
TEST(TlsCertificate, PcapgenHandshake) {
  namespace pg = vigil::pcapgen;
  pg::Rng r = pg::rng_seeded(11);
  const auto hello = pg::tls_client_hello(r, "shop.example.net", false, {"h2", "http/1.1"});
  Flow f;
  f.feed(kToServer, hello.records);
  f.feed(kToClient, pg::tls12_server_hello_flight(r, "shop.example.net", "h2"));
  f.feed(kToServer, pg::tls12_client_finished(r));
  f.feed(kToClient, pg::tls12_server_finished(r));
  STRCMP_EQUAL("shop.example.net", field(f.s(), TlsField::sni).c_str());
  STRCMP_EQUAL("CN=shop.example.net", field(f.s(), TlsField::cert_subject).c_str());
  STRCMP_EQUAL("C=US, O=Example Trust Services, CN=Example TLS ECC CA 2023",
               field(f.s(), TlsField::cert_issuer).c_str());
  STRCMP_EQUAL("2023-12-01T00:00:00", std::string(tls_not_before(f.s())).c_str());
  STRCMP_EQUAL("2024-02-29T23:59:59", std::string(tls_not_after(f.s())).c_str());
  LONGS_EQUAL(2, tls_cert_count(f.s()));
  LONGS_EQUAL(1, f.count(TlsCounter::cert_fields_only));  // the leaf; the rest are kept as DER
  STRCMP_EQUAL("TLS 1.2", field(f.s(), TlsField::version).c_str());
  STRCMP_EQUAL("771,49195,65281-11-23-35-16", field(f.s(), TlsField::ja3s_string).c_str());
  LONGS_EQUAL(1, f.rec.done_count);
}
