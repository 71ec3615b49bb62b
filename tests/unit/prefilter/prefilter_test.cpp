// Prefilter build and scan: candidates per buffer, shared patterns, no-pattern rules, nocase,
// binary patterns, candidate set reuse, errors, threads and a 20k-rule build.
#include "dataplane/detect/prefilter/prefilter.h"

#include <CppUTest/TestHarness.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/prefilter/prefilter_test_util.h"

using namespace vigil::detect;
using prefilter_test::bytes;
using prefilter_test::rule;

namespace {

// A built prefilter with one worker's scratch and candidate set.
struct Fixture {
  std::shared_ptr<const Prefilter> pf;
  std::vector<PrefilterError> errors;
  std::optional<PrefilterScratch> scratch;
  std::optional<CandidateSet> set;

  explicit Fixture(const std::vector<ParsedRule>& rules) {
    PrefilterBuildResult r = Prefilter::build(rules);
    errors = std::move(r.errors);
    pf = std::move(r.prefilter);
    CHECK_TEXT(pf != nullptr, r.failure.value_or("").c_str());
    scratch = pf->make_scratch();
    CHECK(scratch.has_value());
    set.emplace(pf->make_candidate_set());
  }

  PrefilterBufferId id(std::string_view buffer) const {
    auto found = pf->find_buffer(buffer);
    CHECK_TEXT(found.has_value(), std::string(buffer).c_str());
    return found.value_or(0);
  }

  // Clears the set, scans `data` in `buffer` and returns the candidates, sorted.
  std::vector<std::uint32_t> scan(std::string_view buffer, std::string_view data) {
    set->clear();
    return scan_more(buffer, bytes(data));
  }

  std::vector<std::uint32_t> scan_more(std::string_view buffer,
                                       const std::vector<std::uint8_t>& data) {
    CHECK(PrefilterScanStatus::ok == pf->scan(id(buffer), data, *scratch, *set));
    std::vector<std::uint32_t> out(set->rules().begin(), set->rules().end());
    std::sort(out.begin(), out.end());
    return out;
  }
};

using Ids = std::vector<std::uint32_t>;

std::string show(const Ids& ids) {
  std::string s;
  for (auto i : ids) s += std::to_string(i) + " ";
  return s;
}

#define CHECK_IDS(want, got) STRCMP_EQUAL(show(want).c_str(), show(got).c_str())

}  // namespace

TEST_GROUP(CandidateSet){};

TEST(CandidateSet, DeduplicatesAndClears) {
  CandidateSet set(130);
  CHECK_EQUAL(130u, set.capacity());
  CHECK(set.add(5));
  CHECK(set.add(129));
  CHECK_FALSE(set.add(5));
  CHECK_FALSE(set.add(130));  // outside
  CHECK_EQUAL(2u, set.size());
  CHECK(set.contains(129));
  CHECK_FALSE(set.contains(64));
  CHECK_EQUAL(5u, set.rules()[0]);
  set.clear();
  CHECK(set.empty());
  CHECK_FALSE(set.contains(5));
  CHECK_FALSE(set.contains(129));
  CHECK(set.add(5));
  CHECK_EQUAL(1u, set.size());
}

TEST_GROUP(Prefilter){};

TEST(Prefilter, CandidatesOnlyForTheMatchingBuffer) {
  Fixture f({rule(R"(content:"evil";)", 10), rule(R"(http.uri; content:"/admin";)", 11),
             rule(R"(dns.query; content:"evil";)", 12)});
  CHECK(f.errors.empty());
  CHECK_EQUAL(3u, f.pf->buffer_count());
  CHECK_IDS((Ids{0}), f.scan("payload", "xx evil xx"));
  CHECK_IDS((Ids{}), f.scan("payload", "xx /admin xx"));
  CHECK_IDS((Ids{1}), f.scan("http.uri", "/admin/login"));
  CHECK_IDS((Ids{}), f.scan("http.uri", "/evil"));
  CHECK_IDS((Ids{2}), f.scan("dns.query", "www.evil.com"));
  CHECK_FALSE(f.pf->find_buffer("tls.sni").has_value());
}

TEST(Prefilter, SharedPatternsMapToEveryRule) {
  Fixture f({rule(R"(content:"shared";)", 1), rule(R"(content:"other";)", 2),
             rule(R"(content:"shared"; content:"x";)", 3), rule(R"(content:"shared"; nocase;)", 4),
             rule(R"(content:"shared";)", 5)});
  auto info = f.pf->buffer_info(f.id("payload"));
  CHECK_EQUAL(3u, info.patterns);  // "shared", "other", "shared" nocase
  CHECK_EQUAL(5u, info.pattern_rules);
  CHECK(info.database_bytes > 0);
  CHECK_IDS((Ids{0, 2, 3, 4}), f.scan("payload", "a shared b shared"));
  CHECK_IDS((Ids{3}), f.scan("payload", "SHARED"));
  CHECK_IDS((Ids{0, 1, 2, 3, 4}), f.scan("payload", "other shared"));
}

TEST(Prefilter, NoPatternRulesAlwaysPresent) {
  Fixture f({rule(R"(content:"evil";)", 1), rule(R"(flow:established;)", 2),
             rule(R"(content:!"good";)", 3), rule(R"(http.uri; pcre:"/x/";)", 4)});
  const auto payload = f.pf->buffer_info(f.id("payload"));
  CHECK_EQUAL(2u, payload.no_pattern_rules);
  CHECK_EQUAL(1u, f.pf->stats().pattern_rules);
  CHECK_EQUAL(3u, f.pf->stats().no_pattern_rules);
  CHECK_IDS((Ids{1, 2}), f.scan("payload", "nothing here"));
  CHECK_IDS((Ids{0, 1, 2}), f.scan("payload", "evil"));
  CHECK_IDS((Ids{1, 2}), f.scan("payload", ""));
  // A buffer with only no-pattern rules has no database but is scanned all the same.
  auto uri = f.pf->buffer_info(f.id("http.uri"));
  CHECK_EQUAL(0u, uri.database_bytes);
  CHECK_EQUAL(0u, uri.patterns);
  CHECK_IDS((Ids{3}), f.scan("http.uri", "/x"));
}

TEST(Prefilter, EmptyBufferGivesOnlyNoPatternRules) {
  Fixture f({rule(R"(content:"a";)", 1), rule(R"(dsize:0;)", 2)});
  CHECK_IDS((Ids{1}), f.scan("payload", ""));
}

TEST(Prefilter, CaseInsensitiveMatches) {
  Fixture f({rule(R"(content:"EvilCorp"; nocase;)", 1), rule(R"(content:"EvilCorp";)", 2)});
  CHECK_IDS((Ids{0}), f.scan("payload", "xx eViLcOrP"));
  CHECK_IDS((Ids{0, 1}), f.scan("payload", "xx EvilCorp"));
  CHECK_IDS((Ids{}), f.scan("payload", "xx EvilCor"));
}

TEST(Prefilter, HexPatternsWithNulBytes) {
  Fixture f({rule(R"(content:"|00|ab|00 ff|";)", 1), rule(R"(content:"ab";)", 2)});
  f.set->clear();
  const std::vector<std::uint8_t> hit = {'x', 0x00, 'a', 'b', 0x00, 0xff, 'y'};
  CHECK_IDS((Ids{0, 1}), f.scan_more("payload", hit));
  f.set->clear();
  const std::vector<std::uint8_t> miss = {'x', 0x00, 'a', 'b', 0x01, 0xff, 'y'};
  CHECK_IDS((Ids{1}), f.scan_more("payload", miss));
}

TEST(Prefilter, CandidateSetResetBetweenScans) {
  Fixture f({rule(R"(content:"one";)", 1), rule(R"(content:"two";)", 2)});
  CHECK_IDS((Ids{0}), f.scan("payload", "one"));
  CHECK_IDS((Ids{1}), f.scan("payload", "two"));
  // Without clear(), scans of one packet's buffers accumulate, still deduplicated.
  CHECK_IDS((Ids{0, 1}), f.scan_more("payload", bytes("one one")));
  CHECK_EQUAL(2u, f.set->size());
}

TEST(Prefilter, ChoppedPatternIsWhatIsSearched) {
  Fixture f({rule(R"(content:"0123456789"; fast_pattern:3,4;)", 1)});
  CHECK_IDS((Ids{0}), f.scan("payload", "xx3456yy"));
  CHECK_IDS((Ids{}), f.scan("payload", "012"));
}

TEST(Prefilter, RejectedRulesAreReportedAndNeverCandidates) {
  Fixture f({rule(R"(content:"abc"; fast_pattern:2,5;)", 77), rule(R"(content:"abc";)", 78)});
  CHECK_EQUAL(1u, f.errors.size());
  CHECK_EQUAL(77u, f.errors[0].sid);
  CHECK_EQUAL(0u, f.errors[0].rule_index);
  CHECK_EQUAL(1u, f.pf->stats().rejected_rules);
  CHECK_IDS((Ids{1}), f.scan("payload", "abc"));
}

TEST(Prefilter, UnusablePatternNamesTheSidAndKeepsTheRule) {
  std::vector<PrefilterEntry> entries(3);
  entries[0] = {.sid = 100, .buffer = "payload", .pattern = PrefilterPattern{bytes("good"), false}};
  entries[1] = {.sid = 200, .buffer = "payload", .pattern = PrefilterPattern{{}, false}};
  entries[2] = {.sid = 300, .buffer = "payload", .pattern = PrefilterPattern{bytes("fine"), true}};
  PrefilterBuildResult r = Prefilter::build(entries);
  CHECK(r.prefilter != nullptr);
  CHECK_EQUAL(1u, r.errors.size());
  CHECK_EQUAL(200u, r.errors[0].sid);
  CHECK(r.errors[0].message.find("empty pattern") != std::string::npos);
  auto info = r.prefilter->buffer_info(0);
  CHECK_EQUAL(2u, info.patterns);
  CHECK_EQUAL(1u, info.no_pattern_rules);
  auto scratch = r.prefilter->make_scratch();
  CandidateSet set = r.prefilter->make_candidate_set();
  const auto data = bytes("GOOD FINE");
  CHECK(PrefilterScanStatus::ok == r.prefilter->scan(0, data, *scratch, set));
  CHECK_IDS((Ids{1, 2}), Ids(set.rules().begin(), set.rules().end()));
}

TEST(Prefilter, ScanStatusesAndCounters) {
  Fixture f({rule(R"(content:"abc";)", 1), rule(R"(content:"abc"; nocase;)", 2)});
  const auto data = bytes("abc ABC abc");
  CHECK(PrefilterScanStatus::bad_buffer == f.pf->scan(9, data, *f.scratch, *f.set));
  CandidateSet small(1);
  CHECK(PrefilterScanStatus::bad_candidate_set == f.pf->scan(0, data, *f.scratch, small));
  f.set->clear();
  CHECK(PrefilterScanStatus::ok == f.pf->scan(0, data, *f.scratch, *f.set));
  const auto& c = f.scratch->counters;
  CHECK_EQUAL(1u, c.get(PrefilterCounter::scans));
  CHECK_EQUAL(2u, c.get(PrefilterCounter::matches));  // single match per pattern and scan
  CHECK_EQUAL(2u, c.get(PrefilterCounter::candidates));
  CHECK_EQUAL(0u, c.get(PrefilterCounter::errors));
  STRCMP_EQUAL("detect.prefilter.matches",
               std::string(prefilter_counter_name(PrefilterCounter::matches)).c_str());
}

TEST(Prefilter, NoRulesAtAll) {
  PrefilterBuildResult r = Prefilter::build(std::span<const ParsedRule>{});
  CHECK(r.prefilter != nullptr);
  CHECK_EQUAL(0u, r.prefilter->buffer_count());
  CHECK(r.prefilter->make_scratch().has_value());
}

TEST(Prefilter, ManyThreadsWithOneScratchEach) {
  Fixture f({rule(R"(content:"alpha";)", 1), rule(R"(content:"beta";)", 2),
             rule(R"(http.host; content:"gamma";)", 3)});
  constexpr int kThreads = 4;
  std::vector<PrefilterScratch> scratches;
  for (int t = 0; t < kThreads; ++t) {
    auto s = f.scratch->clone();
    CHECK(s.has_value());
    scratches.push_back(std::move(*s));
  }
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  const PrefilterBufferId payload = f.id("payload");
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      CandidateSet set = f.pf->make_candidate_set();
      const auto data = bytes(t % 2 ? "xx beta" : "alpha xx");
      const std::uint32_t want = t % 2 ? 1 : 0;
      for (int i = 0; i < 2000; ++i) {
        set.clear();
        if (f.pf->scan(payload, data, scratches[t], set) != PrefilterScanStatus::ok ||
            set.size() != 1 || set.rules()[0] != want)
          ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) CHECK_EQUAL(0, failures[t]);
}

TEST(Prefilter, TwentyThousandRuleBuild) {
  constexpr std::uint32_t kRules = 20000;
  static const char* const kBuffers[] = {"", "http.uri; ", "dns.query; ", "tls.sni; "};
  std::string text;
  for (std::uint32_t i = 0; i < kRules; ++i) {
    char line[200];
    // Every 10th rule shares its pattern with the rule before it; every 50th has no content.
    const std::uint32_t p = i % 10 == 9 ? i - 1 : i;
    if (i % 50 == 49)
      std::snprintf(line, sizeof line,
                    "alert tcp any any -> any any (msg:\"r%u\"; flow:established; sid:%u;)\n", i,
                    i + 1);
    else
      std::snprintf(line, sizeof line,
                    "alert tcp any any -> any any (msg:\"r%u\"; %scontent:\"pat-%u-xyz\";%s "
                    "sid:%u;)\n",
                    i, kBuffers[p % 4], p, i % 3 ? "" : " nocase;", i + 1);
    text += line;
  }
  auto rules = prefilter_test::rules(text);
  CHECK_EQUAL(kRules, rules.size());
  Fixture f(rules);
  CHECK(f.errors.empty());
  const PrefilterStats& s = f.pf->stats();
  CHECK_EQUAL(kRules, s.rules);
  CHECK_EQUAL(kRules / 50, s.no_pattern_rules);
  CHECK_EQUAL(kRules - kRules / 50, s.pattern_rules);
  CHECK(s.database_bytes > 0);
  CHECK(s.scratch_bytes > 0);
  CHECK(s.build_time.count() > 0);
  std::printf(
      "\n20k rules: %zu patterns in %zu buffers, build %.1f ms, databases %zu bytes, "
      "scratch %zu bytes\n",
      s.patterns, f.pf->buffer_count(), static_cast<double>(s.build_time.count()) / 1e6,
      s.database_bytes, s.scratch_bytes);
  // Rule index 12328 has pattern pat-12328-xyz in the payload (12328 % 4 == 0), shared by 12329.
  Ids got = f.scan("payload", "....pat-12328-xyz....");
  CHECK(std::find(got.begin(), got.end(), 12328u) != got.end());
  CHECK(std::find(got.begin(), got.end(), 12329u) != got.end());
  // Plus the payload's no-pattern rules, and nothing else.
  CHECK_EQUAL(2u + kRules / 50, got.size());
  got = f.scan("http.uri", "/pat-1-xyz");
  CHECK_IDS((Ids{1}), got);
}
