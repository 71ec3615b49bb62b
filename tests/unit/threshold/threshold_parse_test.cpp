#include <CppUTest/TestHarness.h>

#include <string>

#include "dataplane/detect/engine/threshold.h"
#include "threshold_test_util.h"

using namespace vigil::detect;
using threshold_test::filter_spec;
using threshold_test::threshold_spec;

namespace {

// The error for a value that must be rejected.
std::string threshold_error(const char* value) {
  ThresholdSpecResult r = parse_threshold(value);
  if (r.spec) FAIL((std::string("accepted: ") + value).c_str());
  return r.error;
}

std::string filter_error(const char* value) {
  ThresholdSpecResult r = parse_detection_filter(value);
  if (r.spec) FAIL((std::string("accepted: ") + value).c_str());
  return r.error;
}

void check_error(const std::string& error, const char* expected) {
  STRCMP_EQUAL(expected, error.c_str());
}

}  // namespace

TEST_GROUP(ThresholdParse){};

TEST(ThresholdParse, EveryTypeAndTrack) {
  ThresholdSpec s = threshold_spec("type limit, track by_src, count 1, seconds 60");
  CHECK(s.type == ThresholdType::limit);
  CHECK(s.track == ThresholdTrack::by_src);
  UNSIGNED_LONGS_EQUAL(1, s.count);
  UNSIGNED_LONGS_EQUAL(60, s.seconds);
  CHECK(s.unique_on == ThresholdUnique::none);
  CHECK(threshold_spec("type threshold, track by_dst, count 2, seconds 1").type ==
        ThresholdType::threshold);
  CHECK(threshold_spec("type both, track by_rule, count 2, seconds 1").type == ThresholdType::both);
  CHECK(threshold_spec("type both, track by_dst, count 2, seconds 1").track ==
        ThresholdTrack::by_dst);
  CHECK(threshold_spec("type both, track by_rule, count 2, seconds 1").track ==
        ThresholdTrack::by_rule);
  CHECK(threshold_spec("type both, track by_both, count 2, seconds 1").track ==
        ThresholdTrack::by_both);
  CHECK(threshold_spec("type both, track by_flow, count 2, seconds 1").track ==
        ThresholdTrack::by_flow);
}

TEST(ThresholdParse, AnyOrderAndSpacingAsInEtOpen) {
  ThresholdSpec s = threshold_spec("count 10, track by_dst, seconds 360, type both");
  CHECK(s.type == ThresholdType::both);
  CHECK(s.track == ThresholdTrack::by_dst);
  UNSIGNED_LONGS_EQUAL(10, s.count);
  UNSIGNED_LONGS_EQUAL(360, s.seconds);
  s = threshold_spec("type limit,seconds 180,count 1,track by_src");
  UNSIGNED_LONGS_EQUAL(180, s.seconds);
  s = threshold_spec("  type both, track by_src, count 5 , seconds 60  ");
  UNSIGNED_LONGS_EQUAL(5, s.count);
  s = threshold_spec("type limit,\ttrack by_src,count  4294967295, seconds 0");
  UNSIGNED_LONGS_EQUAL(4294967295u, s.count);
  UNSIGNED_LONGS_EQUAL(0, s.seconds);
}

TEST(ThresholdParse, MissingParts) {
  check_error(threshold_error("track by_src, count 1, seconds 60"),
              "threshold: missing type (track by_src, count 1, seconds 60)");
  check_error(threshold_error("type limit, count 1, seconds 60"),
              "threshold: missing track (type limit, count 1, seconds 60)");
  check_error(threshold_error("type limit, track by_src, seconds 60"),
              "threshold: missing count (type limit, track by_src, seconds 60)");
  check_error(threshold_error("type limit, track by_src, count 1"),
              "threshold: missing seconds (type limit, track by_src, count 1)");
  check_error(threshold_error("   "), "threshold: empty value ()");
  check_error(threshold_error("type limit, track by_src, count, seconds 60"),
              "threshold: count has no value (type limit, track by_src, count, seconds 60)");
  check_error(threshold_error("type limit,, track by_src, count 1, seconds 60"),
              "threshold: empty part between commas (type limit,, track by_src, count 1, "
              "seconds 60)");
  check_error(threshold_error("type limit, track by_src, count 1, seconds 60,"),
              "threshold: empty part between commas (type limit, track by_src, count 1, "
              "seconds 60,)");
}

TEST(ThresholdParse, BadNumbers) {
  check_error(threshold_error("type limit, track by_src, count x, seconds 60"),
              "threshold: count is not a number: 'x' (type limit, track by_src, count x, "
              "seconds 60)");
  STRCMP_CONTAINS("count is not a number",
                  threshold_error("type limit, track by_src, count -1, seconds 60").c_str());
  STRCMP_CONTAINS("seconds is not a number",
                  threshold_error("type limit, track by_src, count 1, seconds 1.5").c_str());
  STRCMP_CONTAINS("count '4294967296' is above 4294967295",
                  threshold_error("type limit, track by_src, count 4294967296, seconds 6").c_str());
  STRCMP_CONTAINS(
      "seconds '99999999999999999999' is above",
      threshold_error("type limit, track by_src, count 1, seconds 99999999999999999999").c_str());
  STRCMP_CONTAINS("count takes one value, not '1 2'",
                  threshold_error("type limit, track by_src, count 1 2, seconds 6").c_str());
}

TEST(ThresholdParse, UnknownWords) {
  STRCMP_CONTAINS("unknown type 'any'",
                  threshold_error("type any, track by_dst, count 10, seconds 60").c_str());
  STRCMP_CONTAINS("unknown type 'Limit'",
                  threshold_error("type Limit, track by_dst, count 10, seconds 60").c_str());
  STRCMP_CONTAINS("type backoff is not supported",
                  threshold_error("type backoff, track by_flow, count 1, seconds 6").c_str());
  STRCMP_CONTAINS("multiplier (type backoff) is not supported",
                  threshold_error("type backoff, track by_flow, count 1, multiplier 10").c_str());
  STRCMP_CONTAINS("unknown track 'both'",
                  threshold_error("type limit, track both, count 10, seconds 60").c_str());
  STRCMP_CONTAINS("unknown option 'foo'",
                  threshold_error("type limit, track by_src, count 1, seconds 6, foo 1").c_str());
  STRCMP_CONTAINS("unknown option 'Type'",
                  threshold_error("Type limit, track by_src, count 1, seconds 6").c_str());
  STRCMP_CONTAINS(
      "unknown option 'unique_on'",
      threshold_error("type limit, track by_src, count 1, seconds 6, unique_on src_port").c_str());
  STRCMP_CONTAINS("unknown option 'limit'",
                  threshold_error("limit, track by_src, count 1, seconds 6").c_str());
}

TEST(ThresholdParse, Duplicates) {
  STRCMP_CONTAINS(
      "count given twice",
      threshold_error("count 10, track by_dst, seconds 60, type both, count 10").c_str());
  STRCMP_CONTAINS(
      "type given twice",
      threshold_error("type both, track by_dst, seconds 60, type limit, count 1").c_str());
  STRCMP_CONTAINS(
      "track given twice",
      threshold_error("type both, track by_dst, track by_src, seconds 6, count 1").c_str());
  STRCMP_CONTAINS(
      "seconds given twice",
      threshold_error("type both, track by_dst, seconds 6, seconds 6, count 1").c_str());
}

TEST_GROUP(DetectionFilterParse){};

TEST(DetectionFilterParse, Accepted) {
  ThresholdSpec s = filter_spec("track by_dst,count 10,seconds 60");
  CHECK(s.type == ThresholdType::detection_filter);
  CHECK(s.track == ThresholdTrack::by_dst);
  UNSIGNED_LONGS_EQUAL(10, s.count);
  UNSIGNED_LONGS_EQUAL(60, s.seconds);
  CHECK(s.unique_on == ThresholdUnique::none);
  s = filter_spec("seconds 2, count 15, track by_src");
  CHECK(s.track == ThresholdTrack::by_src);
  CHECK(filter_spec("track by_flow, count 1, seconds 3600").track == ThresholdTrack::by_flow);
  s = filter_spec("track by_dst, count 5, seconds 60, unique_on dst_port");
  CHECK(s.unique_on == ThresholdUnique::dst_port);
  s = filter_spec("unique_on src_port, track by_src, count 32, seconds 60");
  CHECK(s.unique_on == ThresholdUnique::src_port);
  UNSIGNED_LONGS_EQUAL(kThresholdMaxUniqueCount, s.count);
}

TEST(DetectionFilterParse, Rejected) {
  check_error(filter_error("count 10, track by_dst"),
              "detection_filter: missing seconds (count 10, track by_dst)");
  STRCMP_CONTAINS("missing track", filter_error("count 10, seconds 60").c_str());
  STRCMP_CONTAINS("missing count", filter_error("track by_src, seconds 60").c_str());
  STRCMP_CONTAINS("unknown track 'both'", filter_error("track both,count 10,seconds 60").c_str());
  STRCMP_CONTAINS("track by_rule is not supported by detection_filter",
                  filter_error("track by_rule,count 10,seconds 60").c_str());
  STRCMP_CONTAINS("track by_both is not supported by detection_filter",
                  filter_error("track by_both,count 10,seconds 60").c_str());
  STRCMP_CONTAINS("count given twice",
                  filter_error("count 10, track by_dst, seconds 60, count 10").c_str());
  STRCMP_CONTAINS("unique_on given twice",
                  filter_error("track by_dst, count 1, seconds 6, unique_on dst_port, "
                               "unique_on dst_port")
                      .c_str());
  STRCMP_CONTAINS("seconds '0' is below 1",
                  filter_error("count 10, track by_dst, seconds 0").c_str());
  STRCMP_CONTAINS("count '0' is below 1", filter_error("count 0, track by_dst, seconds 5").c_str());
  STRCMP_CONTAINS("unknown option 'type'",
                  filter_error("type limit, track by_dst, count 1, seconds 5").c_str());
  STRCMP_CONTAINS("unknown unique_on 'src_ip'",
                  filter_error("track by_dst, count 1, seconds 5, unique_on src_ip").c_str());
  STRCMP_CONTAINS("unique_on has no value",
                  filter_error("track by_dst, count 1, seconds 5, unique_on").c_str());
  check_error(filter_error("track by_dst, count 33, seconds 5, unique_on dst_port"),
              "detection_filter: unique_on keeps at most 32 distinct ports: count 33 is above it "
              "(track by_dst, count 33, seconds 5, unique_on dst_port)");
  // Without unique_on the count has no such bound.
  UNSIGNED_LONGS_EQUAL(1000, filter_spec("track by_dst, count 1000, seconds 5").count);
}
