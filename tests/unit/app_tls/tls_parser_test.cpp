#include <CppUTest/TestHarness.h>

#include <new>

#include "tls_test_util.h"

using namespace vigil::app::tls;
using namespace vigil::app::tls::test;

namespace {

std::string run(const std::vector<Segment>& conv) {
  Flow f;
  for (const Segment& seg : conv) f.feed(seg.dir, seg.bytes);
  f.close();
  return f.snapshot();
}

// Splits segment k at every byte; every result must equal the unsplit one.
void check_every_split(const std::vector<Segment>& conv) {
  const std::string expected = run(conv);
  for (std::size_t k = 0; k < conv.size(); ++k) {
    for (std::size_t at = 1; at < conv[k].bytes.size(); ++at) {
      Flow f;
      for (std::size_t i = 0; i < conv.size(); ++i) {
        if (i == k) f.feed_split(conv[i].dir, conv[i].bytes, at);
        else f.feed(conv[i].dir, conv[i].bytes);
      }
      f.close();
      const std::string got = f.snapshot();
      if (got != expected) {
        FAIL((std::string("split of segment ") + std::to_string(k) + " at " + std::to_string(at) +
              " differs:\n" + got + "\nexpected:\n" + expected)
                 .c_str());
      }
    }
  }
  // And one byte at a time throughout.
  Flow f;
  for (const Segment& seg : conv) {
    for (std::uint8_t b : seg.bytes) f.feed(seg.dir, Bytes{b});
  }
  f.close();
  STRCMP_EQUAL(expected.c_str(), f.snapshot().c_str());
}

}  // namespace

TEST_GROUP(TlsParser){};

TEST(TlsParser, EverySplitTls12) { check_every_split(tls12_conversation()); }

TEST(TlsParser, EverySplitTls13) { check_every_split(tls13_conversation()); }

TEST(TlsParser, HandshakeMessageSpanningRecords) {
  const auto conv = tls12_conversation();
  // The ClientHello and the server's flight re-framed: one record cut into pieces of 7 bytes,
  // and every server handshake message in one record.
  const Bytes& ch_record = conv[0].bytes;
  const Bytes ch_msg(ch_record.begin() + 5, ch_record.end());
  Bytes ch_framed;
  for (std::size_t at = 0; at < ch_msg.size(); at += 7) {
    const std::size_t n = std::min<std::size_t>(7, ch_msg.size() - at);
    put(ch_framed, record(22, 0x0301, Bytes(ch_msg.begin() + static_cast<long>(at),
                                            ch_msg.begin() + static_cast<long>(at + n))));
  }
  Bytes server_msgs;
  const Bytes& flight = conv[1].bytes;
  for (std::size_t at = 0; at + 5 <= flight.size();) {
    const std::size_t len = static_cast<std::size_t>(flight[at + 3] << 8 | flight[at + 4]);
    put(server_msgs, Bytes(flight.begin() + static_cast<long>(at + 5),
                           flight.begin() + static_cast<long>(at + 5 + len)));
    at += 5 + len;
  }
  auto reframed = conv;
  reframed[0].bytes = ch_framed;
  reframed[1].bytes = record(22, 0x0303, server_msgs);
  Flow f;
  for (const Segment& seg : reframed) f.feed(seg.dir, seg.bytes);
  f.close();
  STRCMP_EQUAL("771,49195-49199-156-47,0-10-11-16-13-65281,29-23,0", field(f.s(), TlsField::ja3_string).c_str());
  STRCMP_EQUAL("www.example.com", field(f.s(), TlsField::sni).c_str());
  STRCMP_EQUAL("C=US, O=Example Corp, CN=www.example.com", field(f.s(), TlsField::cert_subject).c_str());
  LONGS_EQUAL(2, tls_cert_count(f.s()));
  LONGS_EQUAL(0, f.count(TlsCounter::invalid_handshake));
  LONGS_EQUAL(4, f.rec.events.size());
}

TEST(TlsParser, RecordTooLong) {
  Flow f;
  Bytes bad{22, 3, 3, 0x48, 0x01};  // 18433 bytes: over 2^14 + 2048
  put(bad, Bytes(100, 0));
  f.feed(kToServer, bad);
  LONGS_EQUAL(1, f.count(TlsCounter::record_too_long));
  CHECK_FALSE(tls_stopped(f.s()));  // the other direction goes on
  f.feed(kToServer, tls12_conversation()[0].bytes);
  LONGS_EQUAL(0, f.count(TlsCounter::client_hellos));
  f.feed(kToClient, record(22, 0x0303, handshake(2, server_hello_body(0x0303, 0xc02b, {}))));
  LONGS_EQUAL(1, f.count(TlsCounter::server_hellos));
  tls_gap(*f.state, f.shared, kToClient, f.rec);
  CHECK(tls_stopped(f.s()));
  LONGS_EQUAL(1, f.count(TlsCounter::gaps));
  // The exact limit is still a record.
  Flow g;
  g.feed(kToClient, record(23, 0x0303, Bytes(kMaxRecordBody, 1)));
  LONGS_EQUAL(0, g.count(TlsCounter::record_too_long));
  LONGS_EQUAL(1, g.count(TlsCounter::app_data_records));
}

TEST(TlsParser, InvalidRecordHeaders) {
  Flow f;
  f.feed(kToServer, Bytes{0x17, 0x02, 0x00, 0x00, 0x01, 0x00});
  LONGS_EQUAL(1, f.count(TlsCounter::invalid_record_version));
  Flow g;
  g.feed(kToServer, Bytes{'G', 'E', 'T', ' '});
  LONGS_EQUAL(1, g.count(TlsCounter::invalid_record_type));
  g.feed(kToServer, Bytes{22, 3, 1});  // ignored: the direction stopped
  LONGS_EQUAL(0, g.count(TlsCounter::records));
  // SSLv2 framing after a TLS record is not accepted.
  Flow h;
  h.feed(kToServer, cat({record(21, 0x0303, Bytes{1, 0}), Bytes{0x80, 0x10, 0x01}}));
  LONGS_EQUAL(1, h.count(TlsCounter::invalid_record_type));
}

TEST(TlsParser, TruncatedRecords) {
  const auto conv = tls12_conversation();
  // The ClientHello record cut short, then the flow ends: nothing to log.
  Flow f;
  f.feed(kToServer, Bytes(conv[0].bytes.begin(), conv[0].bytes.begin() + 60));
  f.close();
  LONGS_EQUAL(0, f.rec.events.size());
  // A full ClientHello, the server's flight cut inside the certificate: logged at close.
  Flow g;
  g.feed(kToServer, conv[0].bytes);
  g.feed(kToClient, Bytes(conv[1].bytes.begin(), conv[1].bytes.begin() + 300));
  g.close();
  g.close();
  LONGS_EQUAL(3, g.rec.events.size());
  CHECK(g.rec.events[2] == std::make_pair(kToClient, TlsProgress::handshake_done));
  LONGS_EQUAL(0, tls_cert_count(g.s()));
  LONGS_EQUAL(1, g.rec.done_count);
  // A handshake message longer than its record, then another record type: counted, reset.
  Flow h;
  Bytes partial = handshake(1, Bytes(200, 0));
  partial.resize(100);
  h.feed(kToServer, cat({record(22, 0x0301, partial), record(21, 0x0301, Bytes{2, 10})}));
  LONGS_EQUAL(1, h.count(TlsCounter::invalid_handshake));
  h.feed(kToServer, conv[0].bytes);  // a fresh message parses
  LONGS_EQUAL(1, h.count(TlsCounter::client_hellos));
}

TEST(TlsParser, ExtensionLengthsOverflowingParent) {
  HelloSpec h;
  h.ciphers = {0x1301};
  h.extensions = {{0x0000, sni_ext_data("ok.example")}, {0x000a, u16_list({0x001d})}};
  Bytes body = client_hello_body(h);
  // The last extension claims 200 bytes more than there are.
  const std::size_t last_len_at = body.size() - 2 - 4;  // groups data is 4 bytes
  body[last_len_at] = 0;
  body[last_len_at + 1] = 204;
  Flow f;
  f.feed(kToServer, record(22, 0x0301, handshake(1, body)));
  LONGS_EQUAL(1, f.count(TlsCounter::truncated_extension));
  STRCMP_EQUAL("ok.example", field(f.s(), TlsField::sni).c_str());
  STRCMP_EQUAL("771,4865,0,,", field(f.s(), TlsField::ja3_string).c_str());

  // The extensions block longer than the message, and an SNI list longer than its extension.
  HelloSpec h2;
  h2.ciphers = {0x1301};
  Bytes bad_sni = sni_ext_data("x.example");
  bad_sni[1] = static_cast<std::uint8_t>(bad_sni[1] + 40);
  h2.extensions = {{0x0000, bad_sni}, {0x0010, Bytes{0x00, 0x09, 0x20, 'h'}}};
  Bytes body2 = client_hello_body(h2);
  const std::size_t block_at = 2 + 32 + 1 + 2 + 2 + 2;
  body2[block_at + 1] = static_cast<std::uint8_t>(body2[block_at + 1] + 9);
  Flow g;
  g.feed(kToServer, record(22, 0x0301, handshake(1, body2)));
  CHECK(g.count(TlsCounter::truncated_extension) >= 3);
  // What an over-long list holds is still read (and counted); a name past the end is not.
  STRCMP_EQUAL("x.example", field(g.s(), TlsField::sni).c_str());
  LONGS_EQUAL(0, tls_field(g.s(), TlsField::alpn_first).size());
  LONGS_EQUAL(1, g.count(TlsCounter::client_hellos));

  // A hello whose fixed part runs out: invalid, no event.
  Flow k;
  k.feed(kToServer, record(22, 0x0301, handshake(1, Bytes{3, 3, 1, 2, 3})));
  LONGS_EQUAL(1, k.count(TlsCounter::invalid_handshake));
  LONGS_EQUAL(0, k.rec.events.size());
}

TEST(TlsParser, HeartbeatOverflow) {
  Flow f;
  f.feed(kToServer, record(24, 0x0302, Bytes{1, 0x40, 0x00}));
  f.feed(kToServer, record(24, 0x0302, cat({Bytes{1, 0x00, 0x02, 'h', 'i'}, Bytes(16, 0)})));
  LONGS_EQUAL(2, f.count(TlsCounter::heartbeat));
  LONGS_EQUAL(1, f.count(TlsCounter::heartbeat_overflow));
}

TEST(TlsParser, SniLongerThanBoundIsCut) {
  HelloSpec h;
  h.ciphers = {0x1301};
  const std::string host(400, 'a');
  h.extensions = {{0x0000, sni_ext_data(host)}};
  Flow f;
  f.feed(kToServer, record(22, 0x0301, handshake(1, client_hello_body(h))));
  LONGS_EQUAL(255, tls_field(f.s(), TlsField::sni).size());
  LONGS_EQUAL(1, f.count(TlsCounter::field_truncated));
}

TEST(TlsParser, HugeClientHelloCountedAndHarmless) {
  HelloSpec h;
  h.ciphers = {0x1301};
  h.extensions = {{0x0000, sni_ext_data("big.example")}, {0x0015, Bytes(20000, 0)}};
  const Bytes msg = handshake(1, client_hello_body(h));
  Bytes stream;
  for (std::size_t at = 0; at < msg.size(); at += 16384) {
    const std::size_t n = std::min<std::size_t>(16384, msg.size() - at);
    put(stream, record(22, 0x0301, Bytes(msg.begin() + static_cast<long>(at),
                                         msg.begin() + static_cast<long>(at + n))));
  }
  put(stream, record(21, 0x0301, Bytes{1, 0}));
  Flow f;
  f.feed(kToServer, stream);
  LONGS_EQUAL(1, f.count(TlsCounter::message_too_large));
  STRCMP_EQUAL("big.example", field(f.s(), TlsField::sni).c_str());
  LONGS_EQUAL(1, f.count(TlsCounter::alerts));
  LONGS_EQUAL(0, f.count(TlsCounter::invalid_handshake));
}

TEST(TlsParser, InitOnJunkMemory) {
  alignas(TlsState) static unsigned char slot[sizeof(TlsState)];
  std::memset(slot, 0xcd, sizeof slot);
  TlsState* s = new (slot) TlsState;  // default-initialised only: tls_init must do the rest
  tls_init(*s);
  TlsShared shared;
  Recorder rec;
  for (const Segment& seg : tls12_conversation()) tls_parse(*s, shared, seg.dir, seg.bytes, rec);
  tls_close(*s, shared, rec);
  LONGS_EQUAL(4, rec.events.size());
  STRCMP_EQUAL("www.example.com", field(*s, TlsField::sni).c_str());
  // Reused for a second flow.
  tls_init(*s);
  LONGS_EQUAL(0, tls_field(*s, TlsField::sni).size());
  LONGS_EQUAL(0, tls_cert_count(*s));
  CHECK_FALSE(tls_client_hello_seen(*s));
}

TEST(TlsParser, CounterNames) {
  STRCMP_EQUAL("tls.records", std::string(tls_counter_name(TlsCounter::records)).c_str());
  STRCMP_EQUAL("tls.gaps", std::string(tls_counter_name(TlsCounter::gaps)).c_str());
  STRCMP_EQUAL("tls.unknown_counter", std::string(tls_counter_name(TlsCounter::count_)).c_str());
  for (std::size_t i = 0; i < kTlsCounterCount; ++i) {
    CHECK(tls_counter_name(static_cast<TlsCounter>(i)).starts_with("tls."));
  }
}
