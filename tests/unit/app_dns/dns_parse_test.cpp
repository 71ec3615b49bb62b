#include <CppUTest/TestHarness.h>

#include <memory>
#include <string>
#include <vector>

#include "dataplane/app/dns/dns_message.h"
#include "dns_test_util.h"

using namespace vigil::app::dns;
using vigil::app::dns::test::Msg;

namespace {

// A response carrying one record of every decoded type, compressed the way servers do it.
struct Rich {
  Msg m;
  std::size_t n_answers = 0;
};

Rich rich_response() {
  Rich r;
  Msg& m = r.m;
  m.header(0x1234, 0x8180, 1, 12, 1, 2);
  m.question("www.example.com", 1);                 // name at 12, "example.com" at 16
  const std::size_t cdn = m.size() + 12;            // rdata of the first record
  m.ptr(12).rr_fields(5, 3600).rd_begin().labels("cdn").ptr(16).rd_end();
  const std::size_t edge = m.size() + 12;
  m.ptr(cdn).rr_fields(5, 3600).rd_begin().labels("edge").ptr(cdn).rd_end();
  m.a_rr(edge, {93, 184, 216, 34}, 60);
  m.ptr(edge).rr_fields(28, 60).rd_begin().bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0,
                                                  0, 0, 0, 0, 1}).rd_end();
  m.ptr(16).rr_fields(15).rd_begin().u16(10).labels("mail").ptr(16).rd_end();
  m.ptr(16).rr_fields(16).rd_begin().u8(7).raw("v=spf1 ").u8(4).raw("-all").rd_end();
  m.labels("_sip._tcp").ptr(16).rr_fields(33).rd_begin().u16(1).u16(5).u16(5060)
      .labels("sip").ptr(16).rd_end();
  m.name("34.216.184.93.in-addr.arpa").rr_fields(12).rd_begin().ptr(12).rd_end();
  m.ptr(16).rr_fields(65).rd_begin().u16(1).u8(0).u16(1).u16(3).u8(2).raw("h2").rd_end();
  m.ptr(16).rr_fields(257).rd_begin().u8(0).u8(5).raw("issue").raw("letsencrypt.org").rd_end();
  m.ptr(16).rr_fields(10).rd_begin().bytes({1, 2, 3}).rd_end();
  m.ptr(16).rr_fields(65280).rd_begin().bytes({0xde, 0xad}).rd_end();
  r.n_answers = 12;
  // Authority: SOA.
  const std::size_t ns1 = m.size() + 12;
  m.ptr(16).rr_fields(6, 900).rd_begin().labels("ns1").ptr(16).labels("hostmaster").ptr(16)
      .u32(2024010101).u32(7200).u32(3600).u32(1209600).u32(300).rd_end();
  // Additional: ns1's address, then EDNS OPT with DO set.
  m.a_rr(ns1, {192, 0, 2, 53});
  m.u8(0).u16(41).u16(1232).u32(0x00008000).u16(0);
  return r;
}

}  // namespace

TEST_GROUP(DnsParse) {
  std::unique_ptr<DnsShared> shared = std::make_unique<DnsShared>();
  std::unique_ptr<DnsMessage> msg = std::make_unique<DnsMessage>();

  DnsStatus parse(std::span<const std::uint8_t> b) { return dns_parse(b, *shared, *msg); }
  std::uint64_t count(DnsCounter c) const { return shared->counters().get(c); }
};

TEST(DnsParse, Query) {
  Msg m;
  m.header(0xbeef, 0x0100, 1).question("www.example.com", 28);
  CHECK(parse(m.span()) == DnsStatus::ok);
  UNSIGNED_LONGS_EQUAL(0xbeef, msg->id);
  CHECK_FALSE(msg->response);
  CHECK_TRUE(msg->rd);
  CHECK_FALSE(msg->aa || msg->tc || msg->ra || msg->z || msg->ad || msg->cd);
  UNSIGNED_LONGS_EQUAL(0, msg->opcode);
  UNSIGNED_LONGS_EQUAL(1, msg->qdcount);
  UNSIGNED_LONGS_EQUAL(1, msg->question_count);
  SV_EQUAL("www.example.com", msg->questions[0].name);
  UNSIGNED_LONGS_EQUAL(28, msg->questions[0].type);
  UNSIGNED_LONGS_EQUAL(1, msg->questions[0].klass);
  UNSIGNED_LONGS_EQUAL(0, msg->answer_count);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::messages));
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::requests));
  UNSIGNED_LONGS_EQUAL(0, count(DnsCounter::malformed) + count(DnsCounter::truncated));
}

TEST(DnsParse, HeaderFlags) {
  Msg m;
  // QR, opcode 5 (UPDATE), AA TC RD RA Z AD CD, rcode 3.
  m.header(1, 0x8000 | (5 << 11) | 0x07f0 | 3, 0);
  CHECK(parse(m.span()) == DnsStatus::ok);
  CHECK_TRUE(msg->response);
  UNSIGNED_LONGS_EQUAL(5, msg->opcode);
  UNSIGNED_LONGS_EQUAL(3, msg->rcode);
  CHECK_TRUE(msg->aa && msg->tc && msg->rd && msg->ra && msg->z && msg->ad && msg->cd);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::z_flag_set));
  UNSIGNED_LONGS_EQUAL(0x8000 | (5 << 11) | 0x07f3, msg->flags);
}

TEST(DnsParse, ReservedOpcodeCounted) {
  Msg m;
  m.header(1, 3 << 11, 0);
  CHECK(parse(m.span()) == DnsStatus::ok);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::bad_opcode));
}

TEST(DnsParse, RichResponse) {
  const Rich r = rich_response();
  CHECK(parse(r.m.span()) == DnsStatus::ok);
  CHECK_TRUE(msg->response);
  UNSIGNED_LONGS_EQUAL(12, msg->ancount);
  UNSIGNED_LONGS_EQUAL(12, msg->answer_count);
  const auto& a = msg->answers;
  // CNAME chain.
  SV_EQUAL("www.example.com", a[0].name);
  UNSIGNED_LONGS_EQUAL(5, a[0].type);
  UNSIGNED_LONGS_EQUAL(3600, a[0].ttl);
  SV_EQUAL("cdn.example.com", a[0].rdata_text);
  SV_EQUAL("cdn.example.com", a[1].name);
  SV_EQUAL("edge.cdn.example.com", a[1].rdata_text);
  SV_EQUAL("edge.cdn.example.com", a[2].name);
  SV_EQUAL("93.184.216.34", a[2].rdata_text);
  UNSIGNED_LONGS_EQUAL(4, a[2].rdata.size());
  UNSIGNED_LONGS_EQUAL(60, a[2].ttl);
  SV_EQUAL("2001:db8::1", a[3].rdata_text);
  // MX
  SV_EQUAL("example.com", a[4].name);
  SV_EQUAL("mail.example.com", a[4].rdata_text);
  UNSIGNED_LONGS_EQUAL(10, a[4].preference);
  // TXT: strings joined as they are.
  SV_EQUAL("v=spf1 -all", a[5].rdata_text);
  // SRV
  SV_EQUAL("_sip._tcp.example.com", a[6].name);
  SV_EQUAL("sip.example.com", a[6].rdata_text);
  UNSIGNED_LONGS_EQUAL(1, a[6].preference);
  UNSIGNED_LONGS_EQUAL(5, a[6].srv_weight);
  UNSIGNED_LONGS_EQUAL(5060, a[6].srv_port);
  // PTR
  SV_EQUAL("34.216.184.93.in-addr.arpa", a[7].name);
  SV_EQUAL("www.example.com", a[7].rdata_text);
  // HTTPS: priority and target (the root: empty).
  UNSIGNED_LONGS_EQUAL(65, a[8].type);
  UNSIGNED_LONGS_EQUAL(1, a[8].preference);
  SV_EQUAL("", a[8].rdata_text);
  CHECK_TRUE(a[8].rdata_ok);
  // CAA
  SV_EQUAL("0 issue \"letsencrypt.org\"", a[9].rdata_text);
  // NULL and unknown: raw only.
  SV_EQUAL("", a[10].rdata_text);
  UNSIGNED_LONGS_EQUAL(3, a[10].rdata.size());
  UNSIGNED_LONGS_EQUAL(65280, a[11].type);
  UNSIGNED_LONGS_EQUAL(0xde, a[11].rdata[0]);
  // SOA in authority.
  UNSIGNED_LONGS_EQUAL(1, msg->authority_count);
  const DnsRecord& soa = msg->authorities[0];
  UNSIGNED_LONGS_EQUAL(6, soa.type);
  SV_EQUAL("example.com", soa.name);
  SV_EQUAL("ns1.example.com", soa.rdata_text);
  SV_EQUAL("hostmaster.example.com", soa.soa_rname);
  UNSIGNED_LONGS_EQUAL(2024010101u, soa.soa_serial);
  UNSIGNED_LONGS_EQUAL(7200, soa.soa_refresh);
  UNSIGNED_LONGS_EQUAL(3600, soa.soa_retry);
  UNSIGNED_LONGS_EQUAL(1209600, soa.soa_expire);
  UNSIGNED_LONGS_EQUAL(300, soa.soa_minimum);
  // Additional: the A record is stored, the OPT becomes the edns fields.
  UNSIGNED_LONGS_EQUAL(1, msg->additional_count);
  SV_EQUAL("ns1.example.com", msg->additionals[0].name);
  SV_EQUAL("192.0.2.53", msg->additionals[0].rdata_text);
  CHECK_TRUE(msg->edns);
  CHECK_TRUE(msg->edns_do);
  UNSIGNED_LONGS_EQUAL(1232, msg->edns_udp_size);
  UNSIGNED_LONGS_EQUAL(0, msg->edns_version);
  UNSIGNED_LONGS_EQUAL(12, dns_records(*msg, DnsSection::answer).size());
  UNSIGNED_LONGS_EQUAL(1, dns_records(*msg, DnsSection::authority).size());
  UNSIGNED_LONGS_EQUAL(1, dns_records(*msg, DnsSection::additional).size());
  UNSIGNED_LONGS_EQUAL(0, count(DnsCounter::bad_rdata) + count(DnsCounter::malformed));
}

TEST(DnsParse, Ipv6Text) {
  struct Case {
    std::vector<unsigned> addr;
    const char* text;
  } cases[] = {
      {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "::"},
      {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, "::1"},
      {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1}, "2001:db8::1:0:0:1"},
      {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}, "2001:db8:0:1:1:1:1:1"},
      {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}, "2001:db8:0:0:1::"},
      {{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x1a, 0x2b, 0xff, 0xfe, 0x3c, 0x4d, 0x5e},
       "fe80::21a:2bff:fe3c:4d5e"},
      {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1}, "::ffff:192.0.2.1"},
      {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "2001:db8::"},
  };
  for (const Case& c : cases) {
    Msg m;
    m.header(1, 0x8000, 1, 1).question("v6.test", 28);
    m.ptr(12).rr_fields(28).rd_begin();
    for (unsigned x : c.addr) m.u8(x);
    m.rd_end();
    CHECK(parse(m.span()) == DnsStatus::ok);
    SV_EQUAL(c.text, msg->answers[0].rdata_text);
  }
}

TEST(DnsParse, BadRdataKeptRawAndCounted) {
  Msg m;
  m.header(1, 0x8000, 1, 3).question("x.test");
  m.ptr(12).rr_fields(1).rd_begin().bytes({1, 2, 3}).rd_end();            // A of 3 bytes
  m.ptr(12).rr_fields(5).rd_begin().labels("y").rd_end();                 // name without root
  m.ptr(12).rr_fields(1).rd_begin().bytes({10, 0, 0, 1}).rd_end();        // fine
  CHECK(parse(m.span()) == DnsStatus::malformed);
  UNSIGNED_LONGS_EQUAL(3, msg->answer_count);
  CHECK_FALSE(msg->answers[0].rdata_ok);
  SV_EQUAL("", msg->answers[0].rdata_text);
  UNSIGNED_LONGS_EQUAL(3, msg->answers[0].rdata.size());
  CHECK_FALSE(msg->answers[1].rdata_ok);
  SV_EQUAL("", msg->answers[1].rdata_text);
  SV_EQUAL("10.0.0.1", msg->answers[2].rdata_text);
  UNSIGNED_LONGS_EQUAL(2, count(DnsCounter::bad_rdata));
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::malformed));
}

TEST(DnsParse, OptOutsideAdditionalSkipped) {
  Msg m;
  m.header(1, 0x8000, 1, 1, 0, 2).question("x.test");
  m.u8(0).u16(41).u16(4096).u32(0).u16(0);   // in answers
  m.u8(0).u16(41).u16(512).u32(0x01020000).u16(0);  // ext rcode 1, version 2
  m.u8(0).u16(41).u16(1400).u32(0).u16(0);   // duplicate
  CHECK(parse(m.span()) == DnsStatus::ok);
  UNSIGNED_LONGS_EQUAL(0, msg->answer_count);
  UNSIGNED_LONGS_EQUAL(0, msg->additional_count);
  CHECK_TRUE(msg->edns);
  UNSIGNED_LONGS_EQUAL(512, msg->edns_udp_size);
  UNSIGNED_LONGS_EQUAL(1, msg->edns_ext_rcode);
  UNSIGNED_LONGS_EQUAL(2, msg->edns_version);
  CHECK_FALSE(msg->edns_do);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::opt_misplaced));
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::opt_duplicate));
}

TEST(DnsParse, TxtNonPrintableEscapedAndLongTextCut) {
  Msg m;
  m.header(1, 0x8000, 1, 2).question("t.test", 16);
  m.ptr(12).rr_fields(16).rd_begin().u8(3).bytes({'a', 0x00, 0xff}).u8(0).rd_end();
  m.ptr(12).rr_fields(16).rd_begin();
  for (int i = 0; i < 6; ++i) {
    m.u8(255);
    for (int j = 0; j < 255; ++j) m.u8('x');
  }
  m.rd_end();
  CHECK(parse(m.span()) == DnsStatus::ok);
  SV_EQUAL("a\\x00\\xff", msg->answers[0].rdata_text);
  UNSIGNED_LONGS_EQUAL(kMaxTextBytes, msg->answers[1].rdata_text.size());
  UNSIGNED_LONGS_EQUAL(6 * 256, msg->answers[1].rdata.size());
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::text_truncated));
}

TEST(DnsParse, TxtStringPastRdataIsBad) {
  Msg m;
  m.header(1, 0x8000, 1, 1).question("t.test", 16);
  m.ptr(12).rr_fields(16).rd_begin().u8(5).raw("abc").rd_end();
  CHECK(parse(m.span()) == DnsStatus::malformed);
  CHECK_FALSE(msg->answers[0].rdata_ok);
}

TEST(DnsParse, ShortHeaderIsTruncated) {
  const std::uint8_t b[] = {0x12, 0x34, 0x01};
  CHECK(parse(b) == DnsStatus::truncated);
  CHECK(parse({}) == DnsStatus::truncated);
  UNSIGNED_LONGS_EQUAL(2, count(DnsCounter::truncated));
}

TEST(DnsParse, TrailingBytesCounted) {
  Msg m;
  m.header(1, 0, 1).question("a.test").bytes({0, 0, 0});
  CHECK(parse(m.span()) == DnsStatus::ok);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::trailing_bytes));
}

// Every prefix of a valid response: no crash, never ok, and whatever was stored is what the
// full parse stored (fields before the cut are kept).
TEST(DnsParse, TruncatedAtEveryOffset) {
  const Rich r = rich_response();
  CHECK(parse(r.m.span()) == DnsStatus::ok);
  std::vector<std::string> full_names, full_texts;
  for (std::size_t i = 0; i < msg->answer_count; ++i) {
    full_names.emplace_back(msg->answers[i].name);
    full_texts.emplace_back(msg->answers[i].rdata_text);
  }
  const std::string qname(msg->questions[0].name);
  std::size_t last_answers = 0;
  for (std::size_t cut = 0; cut < r.m.size(); ++cut) {
    const std::vector<std::uint8_t> prefix(r.m.b.begin(), r.m.b.begin() + cut);
    const DnsStatus s = parse(prefix);
    CHECK(s == DnsStatus::truncated);
    if (cut >= 12) UNSIGNED_LONGS_EQUAL(0x1234, msg->id);
    CHECK(msg->answer_count >= last_answers);
    last_answers = msg->answer_count;
    if (msg->question_count == 1) SV_EQUAL(qname.c_str(), msg->questions[0].name);
    for (std::size_t i = 0; i < msg->answer_count; ++i) {
      SV_EQUAL(full_names[i].c_str(), msg->answers[i].name);
      SV_EQUAL(full_texts[i].c_str(), msg->answers[i].rdata_text);
    }
  }
  UNSIGNED_LONGS_EQUAL(12, last_answers);
  UNSIGNED_LONGS_EQUAL(r.m.size(), count(DnsCounter::truncated));
}
