// Helpers shared by the threshold unit tests.
#pragma once

#include <CppUTest/TestHarness.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/detect/engine/threshold.h"

namespace threshold_test {

inline vigil::IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  vigil::IpAddress ip;
  ip.b[0] = a;
  ip.b[1] = b;
  ip.b[2] = c;
  ip.b[3] = d;
  return ip;
}

inline vigil::detect::ThresholdSubject subject(vigil::IpAddress src, vigil::IpAddress dst,
                                               std::uint16_t sport = 0, std::uint16_t dport = 0,
                                               std::uint64_t flow_id = 1) {
  vigil::detect::ThresholdSubject s;
  s.family = vigil::IpFamily::v4;
  s.src = src;
  s.dst = dst;
  s.sport = sport;
  s.dport = dport;
  s.flow_id = flow_id;
  return s;
}

inline vigil::detect::ThresholdSpec threshold_spec(const char* value) {
  vigil::detect::ThresholdSpecResult r = vigil::detect::parse_threshold(value);
  if (!r.spec) FAIL((std::string(value) + " -> " + r.error).c_str());
  return *r.spec;
}

inline vigil::detect::ThresholdSpec filter_spec(const char* value) {
  vigil::detect::ThresholdSpecResult r = vigil::detect::parse_detection_filter(value);
  if (!r.spec) FAIL((std::string(value) + " -> " + r.error).c_str());
  return *r.spec;
}

constexpr std::uint64_t kSec = 1'000'000'000;

// Seconds (with a fraction) to nanoseconds, for timestamps read from a capture.
inline std::uint64_t at(std::uint64_t sec, std::uint64_t usec = 0) {
  return sec * kSec + usec * 1000;
}

// The verdicts of one rule over a sequence of matches of the same subject, as "ynny...".
inline std::string verdicts(vigil::detect::ThresholdTable& t, const vigil::detect::ThresholdSpec& s,
                            std::uint32_t rule, const vigil::detect::ThresholdSubject& subj,
                            const std::vector<std::uint64_t>& times) {
  std::string out;
  for (std::uint64_t ts : times) out += t.allow(s, rule, subj, ts) ? 'y' : 'n';
  return out;
}

}  // namespace threshold_test
