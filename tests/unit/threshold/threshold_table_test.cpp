#include <CppUTest/TestHarness.h>

#include <cstdint>
#include <vector>

#include "dataplane/detect/engine/threshold.h"
#include "threshold_test_util.h"

using namespace vigil::detect;
using namespace threshold_test;

namespace {

const ThresholdSubject kAB = subject(v4(10, 0, 0, 1), v4(10, 0, 0, 2), 1024, 80, 7);

std::vector<std::uint64_t> every_second(std::size_t n, std::uint64_t from = 0) {
  std::vector<std::uint64_t> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(at(from + i));
  return v;
}

}  // namespace

TEST_GROUP(ThresholdTypes){};

TEST(ThresholdTypes, LimitAlertsOnTheFirstCountMatchesOfAWindow) {
  ThresholdTable t(64);
  ThresholdSpec s = threshold_spec("type limit, track by_src, count 2, seconds 10");
  STRCMP_EQUAL("yynnn", verdicts(t, s, 0, kAB, every_second(5)).c_str());
  // The window ends 10 s after the match that opened it, that instant included.
  STRCMP_EQUAL("n", verdicts(t, s, 0, kAB, {at(10)}).c_str());
  STRCMP_EQUAL("yyn", verdicts(t, s, 0, kAB, {at(10) + 1, at(11), at(12)}).c_str());
}

TEST(ThresholdTypes, ThresholdAlertsOnEveryCountthMatch) {
  ThresholdTable t(64);
  ThresholdSpec s = threshold_spec("type threshold, track by_dst, count 3, seconds 60");
  STRCMP_EQUAL("nnynnyn", verdicts(t, s, 0, kAB, every_second(7)).c_str());
  // An alert does not move the window: it still ends at 60 s. After it, the count restarts at 1.
  STRCMP_EQUAL("nn", verdicts(t, s, 0, kAB, {at(59), at(61)}).c_str());
  STRCMP_EQUAL("ny", verdicts(t, s, 0, kAB, {at(62), at(63)}).c_str());
}

TEST(ThresholdTypes, ThresholdCountOneAlertsEveryMatchWithoutState) {
  ThresholdTable t(64);
  ThresholdSpec s = threshold_spec("type threshold, track by_src, count 1, seconds 60");
  STRCMP_EQUAL("yyyy", verdicts(t, s, 0, kAB, every_second(4)).c_str());
  UNSIGNED_LONGS_EQUAL(0, t.counters().get(ThresholdCounter::entries));
}

TEST(ThresholdTypes, BothAlertsOncePerWindowAtTheCountthMatch) {
  ThresholdTable t(64);
  ThresholdSpec s = threshold_spec("type both, track by_src, count 3, seconds 60");
  STRCMP_EQUAL("nnynnnnnnn", verdicts(t, s, 0, kAB, every_second(10)).c_str());
  STRCMP_EQUAL("nnyn", verdicts(t, s, 0, kAB, every_second(4, 100)).c_str());
  ThresholdSpec one = threshold_spec("type both, track by_src, count 1, seconds 60");
  STRCMP_EQUAL("ynnn", verdicts(t, one, 1, kAB, every_second(4)).c_str());
  STRCMP_EQUAL("yn", verdicts(t, one, 1, kAB, {at(61), at(62)}).c_str());
}

TEST(ThresholdTypes, DetectionFilterAlertsOnEveryMatchAfterTheCountth) {
  ThresholdTable t(64);
  ThresholdSpec s = filter_spec("track by_dst, count 4, seconds 60");
  STRCMP_EQUAL("nnnnyyyy", verdicts(t, s, 0, kAB, every_second(8)).c_str());
  // Suricata's DetectDetectionFilterTestSig2: three matches, 200 s pass, four more: no alert.
  ThresholdTable u(64);
  STRCMP_EQUAL("nnn", verdicts(u, s, 0, kAB, {at(0), at(0), at(0)}).c_str());
  STRCMP_EQUAL("nnnn", verdicts(u, s, 0, kAB, {at(200), at(200), at(200), at(200)}).c_str());
}

TEST(ThresholdTypes, DistinctPortsWindowReset) {
  // Suricata's DetectDetectionFilterDistinctWindowReset.
  ThresholdTable t(64);
  ThresholdSpec s = filter_spec("track by_dst, count 2, seconds 2, unique_on dst_port");
  auto to = [](std::uint16_t dport) {
    return subject(v4(1, 1, 1, 1), v4(2, 2, 2, 2), 1024, dport, 1);
  };
  CHECK_FALSE(t.allow(s, 0, to(80), at(0)));
  CHECK_FALSE(t.allow(s, 0, to(81), at(0)));
  CHECK_TRUE(t.allow(s, 0, to(82), at(0)));
  // Once past the count every match of the window alerts, a port already seen included.
  CHECK_TRUE(t.allow(s, 0, to(80), at(1)));
  CHECK_FALSE(t.allow(s, 0, to(80), at(3)));
  CHECK_FALSE(t.allow(s, 0, to(81), at(3)));
  CHECK_FALSE(t.allow(s, 0, to(81), at(3)));
  CHECK_TRUE(t.allow(s, 0, to(82), at(3)));
}

TEST(ThresholdTypes, DistinctPortsUpToTheBound) {
  ThresholdTable t(64);
  ThresholdSpec s = filter_spec("track by_src, count 32, seconds 60, unique_on src_port");
  for (std::uint16_t p = 0; p < 32; ++p) {
    CHECK_FALSE(t.allow(s, 0, subject(v4(1, 1, 1, 1), v4(2, 2, 2, 2), 1000 + p, 80), at(1)));
    CHECK_FALSE(t.allow(s, 0, subject(v4(1, 1, 1, 1), v4(2, 2, 2, 2), 1000 + p, 80), at(1)));
  }
  CHECK_TRUE(t.allow(s, 0, subject(v4(1, 1, 1, 1), v4(2, 2, 2, 2), 5000, 80), at(2)));
  CHECK_TRUE(t.allow(s, 0, subject(v4(1, 1, 1, 1), v4(2, 2, 2, 2), 5001, 80), at(2)));
}

TEST_GROUP(ThresholdTracks){};

TEST(ThresholdTracks, BySrcAndByDst) {
  ThresholdTable t(64);
  ThresholdSpec src = threshold_spec("type limit, track by_src, count 1, seconds 60");
  ThresholdSpec dst = threshold_spec("type limit, track by_dst, count 1, seconds 60");
  CHECK_TRUE(t.allow(src, 0, subject(v4(1, 1, 1, 1), v4(9, 9, 9, 9)), at(0)));
  CHECK_FALSE(t.allow(src, 0, subject(v4(1, 1, 1, 1), v4(8, 8, 8, 8)), at(1)));
  CHECK_TRUE(t.allow(src, 0, subject(v4(2, 2, 2, 2), v4(9, 9, 9, 9)), at(1)));
  CHECK_TRUE(t.allow(dst, 1, subject(v4(1, 1, 1, 1), v4(9, 9, 9, 9)), at(0)));
  CHECK_FALSE(t.allow(dst, 1, subject(v4(2, 2, 2, 2), v4(9, 9, 9, 9)), at(1)));
  CHECK_TRUE(t.allow(dst, 1, subject(v4(1, 1, 1, 1), v4(8, 8, 8, 8)), at(1)));
  // The same bytes in another family are another host.
  ThresholdSubject six = subject(v4(1, 1, 1, 1), v4(9, 9, 9, 9));
  six.family = vigil::IpFamily::v6;
  CHECK_TRUE(t.allow(src, 0, six, at(2)));
}

TEST(ThresholdTracks, ByBothIsTheUnorderedPair) {
  ThresholdTable t(64);
  ThresholdSpec s = threshold_spec("type limit, track by_both, count 1, seconds 60");
  CHECK_TRUE(t.allow(s, 0, subject(v4(1, 1, 1, 1), v4(9, 9, 9, 9)), at(0)));
  CHECK_FALSE(t.allow(s, 0, subject(v4(9, 9, 9, 9), v4(1, 1, 1, 1)), at(1)));
  CHECK_TRUE(t.allow(s, 0, subject(v4(1, 1, 1, 1), v4(8, 8, 8, 8)), at(1)));
  CHECK_TRUE(t.allow(s, 0, subject(v4(8, 8, 8, 8), v4(9, 9, 9, 9)), at(1)));
}

TEST(ThresholdTracks, ByRuleIsOneEntryPerRule) {
  ThresholdTable t(64);
  ThresholdSpec s = threshold_spec("type limit, track by_rule, count 2, seconds 60");
  CHECK_TRUE(t.allow(s, 5, subject(v4(1, 1, 1, 1), v4(9, 9, 9, 9), 1, 2, 100), at(0)));
  CHECK_TRUE(t.allow(s, 5, subject(v4(2, 2, 2, 2), v4(8, 8, 8, 8), 3, 4, 200), at(1)));
  CHECK_FALSE(t.allow(s, 5, subject(v4(3, 3, 3, 3), v4(7, 7, 7, 7), 5, 6, 300), at(2)));
  CHECK_TRUE(t.allow(s, 6, subject(v4(3, 3, 3, 3), v4(7, 7, 7, 7), 5, 6, 300), at(2)));
}

TEST(ThresholdTracks, ByFlow) {
  ThresholdTable t(64);
  ThresholdSpec s = threshold_spec("type limit, track by_flow, count 1, seconds 60");
  CHECK_TRUE(t.allow(s, 0, subject(v4(1, 1, 1, 1), v4(9, 9, 9, 9), 1, 2, 100), at(0)));
  CHECK_FALSE(t.allow(s, 0, subject(v4(9, 9, 9, 9), v4(1, 1, 1, 1), 2, 1, 100), at(1)));
  CHECK_TRUE(t.allow(s, 0, subject(v4(1, 1, 1, 1), v4(9, 9, 9, 9), 1, 2, 101), at(1)));
  // Suricata gives no alert for a by_flow threshold on a packet without a flow.
  CHECK_FALSE(t.allow(s, 0, subject(v4(1, 1, 1, 1), v4(9, 9, 9, 9), 1, 2, 0), at(2)));
  UNSIGNED_LONGS_EQUAL(1, t.counters().get(ThresholdCounter::no_flow));
}

TEST(ThresholdTracks, RulesDoNotShareEntries) {
  ThresholdTable t(64);
  ThresholdSpec s = threshold_spec("type limit, track by_src, count 1, seconds 60");
  CHECK_TRUE(t.allow(s, 1, kAB, at(0)));
  CHECK_TRUE(t.allow(s, 2, kAB, at(0)));
  CHECK_FALSE(t.allow(s, 1, kAB, at(0)));
  CHECK_FALSE(t.allow(s, 2, kAB, at(0)));
}

TEST_GROUP(ThresholdTable){};

TEST(ThresholdTable, CapacityIsAPowerOfTwoOfAtLeastTheProbeRun) {
  UNSIGNED_LONGS_EQUAL(ThresholdTable::kMaxProbe, ThresholdTable(0).capacity());
  UNSIGNED_LONGS_EQUAL(1024, ThresholdTable(1000).capacity());
  UNSIGNED_LONGS_EQUAL(1024, ThresholdTable(1024).capacity());
}

TEST(ThresholdTable, FullTableLetsAlertsThroughAndCountsThem) {
  ThresholdTable t(ThresholdTable::kMaxProbe);  // one probe run covers the whole table
  ThresholdSpec s = threshold_spec("type limit, track by_src, count 1, seconds 60");
  for (std::uint8_t i = 0; i < ThresholdTable::kMaxProbe; ++i)
    CHECK_TRUE(t.allow(s, 0, subject(v4(10, 0, 0, i), v4(9, 9, 9, 9)), at(0)));
  UNSIGNED_LONGS_EQUAL(ThresholdTable::kMaxProbe, t.counters().get(ThresholdCounter::entries));
  // A new source finds no slot: its alerts all go through, each counted.
  CHECK_TRUE(t.allow(s, 0, subject(v4(10, 0, 1, 0), v4(9, 9, 9, 9)), at(1)));
  CHECK_TRUE(t.allow(s, 0, subject(v4(10, 0, 1, 0), v4(9, 9, 9, 9)), at(2)));
  UNSIGNED_LONGS_EQUAL(2, t.counters().get(ThresholdCounter::table_full));
  // Sources already tracked keep their state.
  CHECK_FALSE(t.allow(s, 0, subject(v4(10, 0, 0, 3), v4(9, 9, 9, 9)), at(2)));
  // Once their windows have ended, the entries are reused for new keys.
  CHECK_TRUE(t.allow(s, 0, subject(v4(10, 0, 1, 0), v4(9, 9, 9, 9)), at(61)));
  CHECK_FALSE(t.allow(s, 0, subject(v4(10, 0, 1, 0), v4(9, 9, 9, 9)), at(62)));
  UNSIGNED_LONGS_EQUAL(1, t.counters().get(ThresholdCounter::reused));
  UNSIGNED_LONGS_EQUAL(2, t.counters().get(ThresholdCounter::table_full));
}

TEST(ThresholdTable, ManyKeysInALargeTable) {
  ThresholdTable t(4096);
  ThresholdSpec s = threshold_spec("type limit, track by_src, count 1, seconds 60");
  for (int round = 0; round < 2; ++round)
    for (std::uint32_t i = 0; i < 2000; ++i) {
      ThresholdSubject subj =
          subject(v4(10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                     static_cast<std::uint8_t>(i)),
                  v4(9, 9, 9, 9));
      CHECK_EQUAL(round == 0, t.allow(s, 0, subj, at(round)));
    }
  UNSIGNED_LONGS_EQUAL(2000, t.counters().get(ThresholdCounter::entries));
  UNSIGNED_LONGS_EQUAL(0, t.counters().get(ThresholdCounter::table_full));
  UNSIGNED_LONGS_EQUAL(2000, t.counters().get(ThresholdCounter::allowed));
  UNSIGNED_LONGS_EQUAL(2000, t.counters().get(ThresholdCounter::suppressed));
}

TEST(ThresholdTable, ClearForgetsEntries) {
  ThresholdTable t(64);
  ThresholdSpec s = threshold_spec("type limit, track by_src, count 1, seconds 60");
  CHECK_TRUE(t.allow(s, 0, kAB, at(0)));
  CHECK_FALSE(t.allow(s, 0, kAB, at(1)));
  t.clear();
  CHECK_TRUE(t.allow(s, 0, kAB, at(2)));
}

TEST(ThresholdTable, CounterNames) {
  STRCMP_EQUAL("detect.threshold.entries",
               std::string(threshold_counter_name(ThresholdCounter::entries)).c_str());
  STRCMP_EQUAL("detect.threshold.table_full",
               std::string(threshold_counter_name(ThresholdCounter::table_full)).c_str());
  STRCMP_EQUAL("unknown",
               std::string(threshold_counter_name(static_cast<ThresholdCounter>(200))).c_str());
}

TEST_GROUP(ThresholdVerdicts){};

namespace {

std::string decisions(ThresholdTable& t, const ThresholdSpec& s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    switch (t.decide(s, 0, kAB, at(i))) {
      case ThresholdVerdict::alert:
        out += 'a';
        break;
      case ThresholdVerdict::silent:
        out += 's';
        break;
      case ThresholdVerdict::discard:
        out += '-';
        break;
    }
  }
  return out;
}

}  // namespace

TEST(ThresholdVerdicts, SilentMatchesKeepTheRuleAction) {
  // limit and both past their count keep the rule's action (a drop still drops);
  // threshold and detection_filter below their count, and both below it, drop the match whole.
  ThresholdTable t(64);
  STRCMP_EQUAL(
      "aass",
      decisions(t, threshold_spec("type limit, track by_src, count 2, seconds 60"), 4).c_str());
  ThresholdTable u(64);
  STRCMP_EQUAL(
      "--ass",
      decisions(u, threshold_spec("type both, track by_src, count 3, seconds 60"), 5).c_str());
  ThresholdTable v(64);
  STRCMP_EQUAL(
      "--a--a",
      decisions(v, threshold_spec("type threshold, track by_src, count 3, seconds 60"), 6).c_str());
  ThresholdTable w(64);
  STRCMP_EQUAL("--aa", decisions(w, filter_spec("track by_src, count 2, seconds 60"), 4).c_str());
  ThresholdTable x(64);
  ThresholdSubject no_flow = kAB;
  no_flow.flow_id = 0;
  CHECK(x.decide(threshold_spec("type limit, track by_flow, count 2, seconds 60"), 0, no_flow,
                 at(0)) == ThresholdVerdict::discard);
}
