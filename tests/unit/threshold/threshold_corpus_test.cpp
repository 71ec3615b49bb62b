// The suricata-verify cases for thresholds, replayed as the sequences of matches their captures
// produce (timestamps as in the captures), with the alert counts Suricata gives.
#include <CppUTest/TestHarness.h>

#include <cstdint>
#include <vector>

#include "dataplane/detect/engine/threshold.h"
#include "threshold_test_util.h"

using namespace vigil::detect;
using namespace threshold_test;

namespace {

// The 8 ICMP echo requests (192.168.0.89 -> 192.168.0.1, one flow) of the capture used by
// threshold/detection_filter-rule-flow, -rule-hostsrc and threshold-rule-flow.
const std::vector<std::uint64_t> kEchoRequests = {
    at(1309144887, 24263), at(1309144887, 24291), at(1309144888, 24534), at(1309144888, 24850),
    at(1309144889, 25473), at(1309144889, 25498), at(1309144890, 26576), at(1309144890, 26605)};

int alerts(ThresholdTable& t, const ThresholdSpec& s, std::uint32_t rule,
           const ThresholdSubject& subj, const std::vector<std::uint64_t>& times) {
  int n = 0;
  for (std::uint64_t ts : times) n += t.allow(s, rule, subj, ts) ? 1 : 0;
  return n;
}

ThresholdSubject echo() { return subject(v4(192, 168, 0, 89), v4(192, 168, 0, 1), 0, 0, 42); }

}  // namespace

TEST_GROUP(SuricataVerify){};

TEST(SuricataVerify, ThresholdRuleFlow) {
  ThresholdTable t(1024);
  LONGS_EQUAL(1, alerts(t, threshold_spec("type limit, track by_flow, count 1, seconds 3600"), 2,
                        echo(), kEchoRequests));
  LONGS_EQUAL(2, alerts(t, threshold_spec("type limit, track by_flow, count 2, seconds 3600"), 3,
                        echo(), kEchoRequests));
  LONGS_EQUAL(1, alerts(t, threshold_spec("type both, track by_flow, count 3, seconds 3600"), 4,
                        echo(), kEchoRequests));
}

TEST(SuricataVerify, DetectionFilterRuleFlowAndHostSrc) {
  const char* tracks[] = {"by_flow", "by_src"};
  for (const char* track : tracks) {
    ThresholdTable t(1024);
    const std::uint32_t counts[] = {1, 2, 4, 7, 8};
    const int expected[] = {7, 6, 4, 1, 0};
    for (std::uint32_t i = 0; i < 5; ++i) {
      std::string v =
          std::string("track ") + track + ", count " + std::to_string(counts[i]) + ", seconds 3600";
      LONGS_EQUAL(expected[i], alerts(t, filter_spec(v.c_str()), i + 2, echo(), kEchoRequests));
    }
  }
}

TEST(SuricataVerify, DistinctDstPort) {
  ThresholdTable t(64);
  ThresholdSpec s = filter_spec("track by_dst, count 1, seconds 60, unique_on dst_port");
  int n = 0;
  n += t.allow(s, 0, subject(v4(3, 3, 3, 3), v4(1, 1, 1, 1), 12345, 80), at(0)) ? 1 : 0;
  n += t.allow(s, 0, subject(v4(3, 3, 3, 3), v4(1, 1, 1, 1), 12345, 81), at(1)) ? 1 : 0;
  LONGS_EQUAL(1, n);
}

TEST(SuricataVerify, DistinctSrcPort) {
  ThresholdTable t(64);
  ThresholdSpec s = filter_spec("track by_src, count 1, seconds 60, unique_on src_port");
  int n = 0;
  n += t.allow(s, 0, subject(v4(10, 0, 0, 1), v4(2, 2, 2, 2), 2000, 80), at(0)) ? 1 : 0;
  n += t.allow(s, 0, subject(v4(10, 0, 0, 1), v4(2, 2, 2, 2), 2001, 80), at(1)) ? 1 : 0;
  LONGS_EQUAL(1, n);
}

TEST(SuricataVerify, DistinctSrcPortNoDups) {
  ThresholdTable t(64);
  ThresholdSpec s = filter_spec("track by_src, count 3, seconds 60, unique_on src_port");
  int n = 0;
  n += t.allow(s, 0, subject(v4(10, 0, 0, 1), v4(2, 2, 2, 2), 2000, 80), at(0)) ? 1 : 0;
  n += t.allow(s, 0, subject(v4(10, 0, 0, 1), v4(2, 2, 2, 2), 2000, 80), at(1)) ? 1 : 0;
  n += t.allow(s, 0, subject(v4(10, 0, 0, 1), v4(2, 2, 2, 2), 2001, 80), at(2)) ? 1 : 0;
  LONGS_EQUAL(0, n);
}
