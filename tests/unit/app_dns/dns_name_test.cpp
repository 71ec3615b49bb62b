// Names: compression pointers (and every way they can be hostile), length limits, text form.
#include <CppUTest/TestHarness.h>

#include <memory>
#include <string>

#include "dataplane/app/dns/dns_message.h"
#include "dns_test_util.h"

using namespace vigil::app::dns;
using vigil::app::dns::test::Msg;

TEST_GROUP(DnsName) {
  std::unique_ptr<DnsShared> shared = std::make_unique<DnsShared>();
  std::unique_ptr<DnsMessage> msg = std::make_unique<DnsMessage>();

  DnsStatus parse(const Msg& m) { return dns_parse(m.span(), *shared, *msg); }
  std::uint64_t count(DnsCounter c) const { return shared->counters().get(c); }
};

TEST(DnsName, PointerToEarlierQuestion) {
  Msg m;
  m.header(1, 0, 2).question("www.example.com").labels("mail").ptr(16).u16(15).u16(1);
  CHECK(parse(m) == DnsStatus::ok);
  UNSIGNED_LONGS_EQUAL(2, msg->question_count);
  SV_EQUAL("mail.example.com", msg->questions[1].name);
}

TEST(DnsName, PointerToPointer) {
  Msg m;
  m.header(1, 0, 3).question("example.com");  // 12
  const std::size_t second = m.size();
  m.labels("a").ptr(12).u16(1).u16(1);        // a.example.com
  m.ptr(second).u16(1).u16(1);                // -> a -> example.com
  CHECK(parse(m) == DnsStatus::ok);
  SV_EQUAL("a.example.com", msg->questions[2].name);
}

TEST(DnsName, PointerIntoItsOwnLabelsIsALoop) {
  Msg m;
  m.header(1, 0, 1).labels("a").ptr(12).u16(1).u16(1);
  CHECK(parse(m) == DnsStatus::malformed);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::name_loop));
  UNSIGNED_LONGS_EQUAL(0, msg->question_count);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::malformed));
}

TEST(DnsName, SelfPointerIsALoop) {
  Msg m;
  m.header(1, 0, 1).ptr(12).u16(1).u16(1);
  CHECK(parse(m) == DnsStatus::malformed);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::name_loop));
}

// Two names pointing at each other: whichever is read first, one of the pointers goes forward.
TEST(DnsName, MutualPointersNeverHang) {
  Msg m;
  m.header(1, 0x8000, 1, 1).question("x.test");
  const std::size_t a = m.size();
  m.labels("b").ptr(a + 6).rr_fields(1).rd_begin().bytes({1, 2, 3, 4}).rd_end();
  // a: "b" then a pointer to a+6... which is inside this record's fields: forward.
  CHECK(parse(m) == DnsStatus::malformed);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::pointer_forward));
}

// A pointer backwards into a label whose bytes hide another pointer that jumps back again:
// the "strictly before the current run" rule stops it at the second jump.
TEST(DnsName, BackwardPointersThatWouldCycle) {
  Msg m;
  m.header(1, 0x8000, 1, 1).question("x.test");
  const std::size_t rec = m.size();
  // Owner: label of length 3 whose content is [c0 xx 'z'], then a pointer back to rec + 1
  // (the c0 inside the label), which points back to rec.
  m.u8(3).u8(0xc0).u8(static_cast<unsigned>(rec)).u8('z').ptr(rec + 1);
  m.rr_fields(1).rd_begin().bytes({1, 2, 3, 4}).rd_end();
  CHECK(parse(m) == DnsStatus::malformed);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::name_loop));
}

TEST(DnsName, ForwardPointer) {
  Msg m;
  m.header(1, 0, 1).ptr(20).u16(1).u16(1).bytes({0, 0, 0, 0});
  CHECK(parse(m) == DnsStatus::malformed);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::pointer_forward));
}

TEST(DnsName, PointerPastEnd) {
  Msg m;
  m.header(1, 0, 1).u8(0xff).u8(0xff).u16(1).u16(1);
  CHECK(parse(m) == DnsStatus::malformed);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::pointer_forward));
}

TEST(DnsName, PointerCutInHalf) {
  Msg m;
  m.header(1, 0, 1).u8(0xc0);
  CHECK(parse(m) == DnsStatus::truncated);
}

// Builds a NULL record whose raw rdata holds a chain of `links` pointers, each pointing at the
// previous one (the first at a root name), then a CNAME whose target points at the last link.
static Msg pointer_chain(std::size_t links) {
  Msg m;
  m.header(1, 0x8000, 1, 2).question("x.test");
  m.ptr(12).rr_fields(10).rd_begin();
  std::size_t prev = m.size();
  m.u8(0);
  for (std::size_t i = 0; i < links; ++i) {
    const std::size_t here = m.size();
    m.ptr(prev);
    prev = here;
  }
  m.rd_end();
  m.ptr(12).rr_fields(5).rd_begin().ptr(prev).rd_end();
  return m;
}

TEST(DnsName, JumpLimit) {
  CHECK(parse(pointer_chain(kMaxNameJumps - 1)) == DnsStatus::ok);  // kMaxNameJumps jumps
  UNSIGNED_LONGS_EQUAL(2, msg->answer_count);
  SV_EQUAL("", msg->answers[1].rdata_text);
  CHECK_TRUE(msg->answers[1].rdata_ok);
  CHECK(parse(pointer_chain(kMaxNameJumps)) == DnsStatus::malformed);
  UNSIGNED_LONGS_EQUAL(2, msg->answer_count);  // the record is kept, its rdata flagged
  CHECK_FALSE(msg->answers[1].rdata_ok);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::name_loop));
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::bad_rdata));
}

static std::string label(std::size_t n, char c) { return std::string(n, c); }

TEST(DnsName, LongestNameAccepted) {
  // 3 x 63 + 61 label octets, 4 length octets, the root: exactly 255.
  const std::string name =
      label(63, 'a') + "." + label(63, 'b') + "." + label(63, 'c') + "." + label(61, 'd');
  Msg m;
  m.header(1, 0, 1).question(name);
  CHECK(parse(m) == DnsStatus::ok);
  SV_EQUAL(name.c_str(), msg->questions[0].name);
}

TEST(DnsName, NameOver255) {
  const std::string name =
      label(63, 'a') + "." + label(63, 'b') + "." + label(63, 'c') + "." + label(62, 'd');
  Msg m;
  m.header(1, 0, 1).question(name);
  CHECK(parse(m) == DnsStatus::malformed);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::name_too_long));
}

TEST(DnsName, NameOver255ThroughCompression) {
  Msg m;
  m.header(1, 0, 2).question(label(63, 'a') + "." + label(63, 'b') + "." + label(63, 'c'));
  m.labels(label(63, 'd')).ptr(12).u16(1).u16(1);
  CHECK(parse(m) == DnsStatus::malformed);
  UNSIGNED_LONGS_EQUAL(1, msg->question_count);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::name_too_long));
}

TEST(DnsName, LabelOver63) {
  Msg m;
  m.header(1, 0, 1).u8(64).raw(label(64, 'x')).u8(0).u16(1).u16(1);
  CHECK(parse(m) == DnsStatus::malformed);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::label_too_long));
  Msg m2;
  m2.header(1, 0, 1).u8(0x80).u8(0).u16(1).u16(1);
  CHECK(parse(m2) == DnsStatus::malformed);
  UNSIGNED_LONGS_EQUAL(2, count(DnsCounter::label_too_long));
}

TEST(DnsName, LabelRunsPastEnd) {
  Msg m;
  m.header(1, 0, 1).u8(10).raw("abc");
  CHECK(parse(m) == DnsStatus::truncated);
}

TEST(DnsName, RootAndOddOctets) {
  Msg m;
  m.header(1, 0, 2).question("", 2);
  m.u8(4).bytes({'a', '.', 0x01, 0x80}).u8(1).u8('\\').u8(0).u16(1).u16(1);
  CHECK(parse(m) == DnsStatus::ok);
  SV_EQUAL("", msg->questions[0].name);
  SV_EQUAL("a.\\x01\\x80.\\", msg->questions[1].name);
}

TEST(DnsName, WorstCaseEscapedNamesFitTheScratch) {
  // Every stored piece at its largest: names of 255 octets all escaped, in every slot.
  Msg m;
  m.header(1, 0x8000, kMaxQuestions, kMaxRecords, kMaxRecords, kMaxRecords);
  auto big_name = [&] {
    for (int l = 0; l < 3; ++l) {
      m.u8(63);
      for (int i = 0; i < 63; ++i) m.u8(0x01);
    }
    m.u8(61);
    for (int i = 0; i < 61; ++i) m.u8(0xfe);
    m.u8(0);
  };
  for (std::size_t i = 0; i < kMaxQuestions; ++i) {
    big_name();
    m.u16(1).u16(1);
  }
  for (std::size_t i = 0; i < 3 * kMaxRecords; ++i) {
    big_name();
    m.rr_fields(5).rd_begin();
    big_name();
    m.rd_end();
  }
  CHECK(parse(m) == DnsStatus::ok);
  UNSIGNED_LONGS_EQUAL(kMaxRecords, msg->additional_count);
  UNSIGNED_LONGS_EQUAL(63 * 3 * 4 + 61 * 4 + 3,
                       msg->additionals[kMaxRecords - 1].rdata_text.size());
  CHECK(shared->scratch().used() <= shared->scratch().capacity());
}
