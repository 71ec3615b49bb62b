// Limits: announced counts the payload cannot hold, and more records than are stored.
#include <CppUTest/TestHarness.h>

#include <memory>

#include "dataplane/app/dns/dns_message.h"
#include "dns_test_util.h"

using namespace vigil::app::dns;
using vigil::app::dns::test::Msg;

TEST_GROUP(DnsLimits) {
  std::unique_ptr<DnsShared> shared = std::make_unique<DnsShared>();
  std::unique_ptr<DnsMessage> msg = std::make_unique<DnsMessage>();

  DnsStatus parse(const Msg& m) { return dns_parse(m.span(), *shared, *msg); }
  std::uint64_t count(DnsCounter c) const { return shared->counters().get(c); }
};

TEST(DnsLimits, HugeCountsSmallPayload) {
  Msg m;
  m.header(7, 0x8000, 0xffff, 0xffff, 0xffff, 0xffff).question("a.test");
  CHECK(parse(m) == DnsStatus::truncated);
  UNSIGNED_LONGS_EQUAL(0xffff, msg->qdcount);
  UNSIGNED_LONGS_EQUAL(0xffff, msg->arcount);
  UNSIGNED_LONGS_EQUAL(1, msg->question_count);
  UNSIGNED_LONGS_EQUAL(0, msg->answer_count);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::truncated));
}

TEST(DnsLimits, HugeCountsOfRootNamesEndAtThePayload) {
  // 0xffff questions of 5 bytes each announced, 1000 present: parsing stops at the end.
  Msg m;
  m.header(7, 0, 0xffff);
  for (int i = 0; i < 1000; ++i) m.question("", 1);
  CHECK(parse(m) == DnsStatus::truncated);
  UNSIGNED_LONGS_EQUAL(kMaxQuestions, msg->question_count);
  UNSIGNED_LONGS_EQUAL(1000 - kMaxQuestions, msg->skipped);
}

TEST(DnsLimits, MoreRecordsThanStored) {
  constexpr unsigned kAnswers = kMaxRecords + 36;
  Msg m;
  m.header(9, 0x8180, 1, kAnswers, 0, 1).question("many.test");
  for (unsigned i = 0; i < kAnswers; ++i) m.a_rr(12, {10, 0, i >> 8, i & 0xff});
  m.a_rr(12, {192, 0, 2, 1});  // additional: still parsed and stored after the skipped ones
  CHECK(parse(m) == DnsStatus::ok);
  UNSIGNED_LONGS_EQUAL(kMaxRecords, msg->answer_count);
  SV_EQUAL("10.0.0.63", msg->answers[kMaxRecords - 1].rdata_text);
  UNSIGNED_LONGS_EQUAL(36, msg->skipped);
  UNSIGNED_LONGS_EQUAL(1, msg->additional_count);
  SV_EQUAL("192.0.2.1", msg->additionals[0].rdata_text);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::too_many_records));
  UNSIGNED_LONGS_EQUAL(36, count(DnsCounter::records_skipped));
}

TEST(DnsLimits, MoreQuestionsThanStored) {
  Msg m;
  m.header(9, 0, kMaxQuestions + 3, 1).question("first.test");
  for (std::size_t i = 1; i < kMaxQuestions + 3; ++i) m.ptr(12).u16(1).u16(1);
  m.a_rr(12, {1, 1, 1, 1});
  CHECK(parse(m) == DnsStatus::ok);
  UNSIGNED_LONGS_EQUAL(kMaxQuestions, msg->question_count);
  SV_EQUAL("first.test", msg->questions[kMaxQuestions - 1].name);
  UNSIGNED_LONGS_EQUAL(1, msg->answer_count);
  UNSIGNED_LONGS_EQUAL(3, msg->skipped);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::too_many_records));
}

TEST(DnsLimits, SkippedRecordWithBadNameStillStops) {
  Msg m;
  m.header(9, 0x8000, 1, kMaxRecords + 1).question("q.test");
  for (std::size_t i = 0; i < kMaxRecords; ++i) m.a_rr(12, {1, 2, 3, 4});
  m.ptr(0x3fff).rr_fields(1).rd_begin().bytes({1, 2, 3, 4}).rd_end();
  CHECK(parse(m) == DnsStatus::malformed);
  UNSIGNED_LONGS_EQUAL(kMaxRecords, msg->answer_count);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::pointer_forward));
}

TEST(DnsLimits, RdlengthPastEnd) {
  Msg m;
  m.header(9, 0x8000, 1, 2).question("q.test");
  m.a_rr(12, {1, 2, 3, 4});
  m.ptr(12).rr_fields(1).u16(400).bytes({1, 2, 3, 4});
  CHECK(parse(m) == DnsStatus::truncated);
  UNSIGNED_LONGS_EQUAL(1, msg->answer_count);
}

TEST(DnsLimits, ReusedMessageIsRewritten) {
  Msg big;
  big.header(1, 0x8000, 1, 2, 0, 1).question("a.test");
  big.a_rr(12, {1, 1, 1, 1}).a_rr(12, {2, 2, 2, 2});
  big.u8(0).u16(41).u16(4096).u32(0x8000).u16(0);
  CHECK(parse(big) == DnsStatus::ok);
  CHECK_TRUE(msg->edns);
  Msg small;
  small.header(2, 0, 1).question("b.test");
  CHECK(parse(small) == DnsStatus::ok);
  UNSIGNED_LONGS_EQUAL(0, msg->answer_count);
  CHECK_FALSE(msg->edns);
  CHECK_FALSE(msg->response);
  SV_EQUAL("b.test", msg->questions[0].name);
}
