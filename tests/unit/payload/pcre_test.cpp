// pcre: flags, buffer flags, relative chains, negation, limits and every compile error.
#include <CppUTest/TestHarness.h>

#include <string>

#include "tests/unit/payload/payload_test_util.h"

using namespace payload_test;
using namespace vigil::detect;

namespace {

void check_error(const char* options, const char* part) {
  const std::string e = error_of(options);
  if (e.rfind("pcre:", 0) != 0 || e.find(part) == std::string::npos)
    FAIL((std::string(options) + " -> \"" + e + "\", wanted pcre / " + part).c_str());
}

}  // namespace

TEST_GROUP(PayloadPcre){};

TEST(PayloadPcre, Basic) {
  CHECK_TRUE(matches("pcre:\"/a.c/\";", "xxabcxx"));
  CHECK_FALSE(matches("pcre:\"/a.c/\";", "xxacxx"));
  CHECK_TRUE(matches("pcre:\"/^GET /\";", "GET /"));
  CHECK_FALSE(matches("pcre:\"/^GET /\";", " GET /"));
  CHECK_TRUE(matches("pcre:\"/\\x41\\d{2}/\";", "A42"));
  CHECK_TRUE(matches("pcre:\"/a\\;b/\";", "a;b"));  // an escaped ';' is a literal
  CHECK_TRUE(matches("pcre:\"/(a)\\1/\";", "aa"));  // back references keep their groups
  CHECK_FALSE(matches("pcre:\"/(a)\\1/\";", "ab"));
  CHECK_TRUE(matches("pcre:\"/(?P<word>ab)(?P=word)/\";", "abab"));
  CHECK_TRUE(matches("pcre:\"/a/\";", std::string("\0a", 2)));
  CHECK_FALSE(matches("pcre:\"/a/\";", ""));
  auto p = program("pcre:\"/a/i\";");
  LONGS_EQUAL(1, p.lists.size());
  CHECK(p.lists[0].matches[0].kind == MatchKind::pcre);
  STRCMP_EQUAL("\"/a/i\"", p.lists[0].matches[0].pcre.text.c_str());
}

TEST(PayloadPcre, OptionFlags) {
  CHECK_TRUE(matches("pcre:\"/abc/i\";", "xABCx"));
  CHECK_FALSE(matches("pcre:\"/abc/\";", "xABCx"));
  CHECK_TRUE(matches("pcre:\"/a.b/s\";", "a\nb"));
  CHECK_FALSE(matches("pcre:\"/a.b/\";", "a\nb"));
  CHECK_TRUE(matches("pcre:\"/^b/m\";", "a\nb"));
  CHECK_FALSE(matches("pcre:\"/^b/\";", "a\nb"));
  CHECK_TRUE(matches("pcre:\"/a b c/x\";", "abc"));
  CHECK_TRUE(matches("pcre:\"/abc/A\";", "abcd"));
  CHECK_FALSE(matches("pcre:\"/abc/A\";", "xabc"));
  CHECK_TRUE(matches("pcre:\"/c$/\";", "abc\n"));
  CHECK_FALSE(matches("pcre:\"/c$/E\";", "abc\n"));
  // G (ungreedy): a.+ then relative "b" sees the shortest match end
  CHECK_TRUE(matches("pcre:\"/a.+/G\"; content:\"x\"; within:1;", "abxb"));
  CHECK_FALSE(matches("pcre:\"/a.+/\"; content:\"x\"; within:1;", "abbb"));
  CHECK_TRUE(matches("pcre:\"/abc/B\";", "abc"));  // rawbytes: no effect
  auto o = program("pcre:\"/a/O\";");
  CHECK_TRUE(o.lists[0].matches[0].pcre.no_limits);
  CHECK_FALSE(program("pcre:\"/a/\";").lists[0].matches[0].pcre.no_limits);
}

TEST(PayloadPcre, MatchLimits) {
  // Catastrophic backtracking: Suricata's limits stop it (no match, counted); O lifts them.
  const std::string buf = std::string(24, 'a') + "b";
  const char* re = "pcre:\"/^(a|aa)+$/\";";
  auto p = program(re);
  PayloadScratch s;
  CHECK_FALSE(payload_match(p.lists[0], bytes(buf), s));
  LONGS_EQUAL(1, s.counters.get(PayloadCounter::pcre_errors));
  // a negated pcre that errors does not match either (Suricata counts an error as no match)
  auto n = program("pcre:!\"/^(a|aa)+$/\";");
  CHECK_FALSE(payload_match(n.lists[0], bytes(buf), s));
  auto unlimited = program("pcre:\"/^(a|aa)+$/O\";");
  PayloadScratch u;
  CHECK_FALSE(payload_match(unlimited.lists[0], bytes(buf), u));
  LONGS_EQUAL(0, u.counters.get(PayloadCounter::pcre_errors));
}

TEST(PayloadPcre, BufferFlags) {
  struct Case {
    const char* flag;
    const char* buffer;
  };
  const Case cases[] = {{"U", "http.uri"},          {"I", "http.uri.raw"},
                        {"P", "http.request_body"}, {"Q", "http.response_body"},
                        {"H", "http.header"},       {"D", "http.header.raw"},
                        {"M", "http.method"},       {"C", "http.cookie"},
                        {"K", "http.cookie"},       {"S", "http.stat_code"},
                        {"Y", "http.stat_msg"},     {"V", "http.user_agent"},
                        {"W", "http.host"},         {"Z", "http.host.raw"}};
  for (const Case& c : cases) {
    const std::string rule = std::string("pcre:\"/a/") + c.flag + "\";";
    auto p = program(rule);
    LONGS_EQUAL(1, p.lists.size());
    STRCMP_EQUAL(c.buffer, p.lists[0].prefilter_name.c_str());
    CHECK(p.lists[0].buffer == *buffer_id(c.buffer));
  }
  // with a sticky buffer of the same name, or none: fine; Q also under file.data
  CHECK_TRUE(compile("http.uri; content:\"a\"; pcre:\"/b/UR\";").program.has_value());
  auto q = program("file.data; content:\"a\"; pcre:\"/b/QR\";");
  LONGS_EQUAL(1, q.lists.size());
  // without a buffer flag the pcre joins the sticky buffer
  auto s = program("dns.query; pcre:\"/^www/\";");
  STRCMP_EQUAL("dns.query", s.lists[0].prefilter_name.c_str());
  auto t = program("http.host; to_lowercase; pcre:\"/^www/\";");
  STRCMP_EQUAL("http.host+to_lowercase", t.lists[0].prefilter_name.c_str());
  // payload and uri lists side by side
  auto both = program("content:\"x\"; pcre:\"/y/U\";");
  LONGS_EQUAL(2, both.lists.size());
  STRCMP_EQUAL("payload", both.lists[0].prefilter_name.c_str());
  STRCMP_EQUAL("http.uri", both.lists[1].prefilter_name.c_str());
}

TEST(PayloadPcre, RelativeChains) {
  // R: from the end of the previous match; ^ anchors there.
  CHECK_TRUE(matches("content:\"ab\"; pcre:\"/^cd/R\";", "abcd"));
  CHECK_FALSE(matches("content:\"ab\"; pcre:\"/^cd/R\";", "abxcd"));
  CHECK_FALSE(matches("content:\"cd\"; pcre:\"/ab/R\";", "abcd"));
  // the content retries (a relative pcre follows): the second "ab" is followed by "cd"
  CHECK_TRUE(matches("content:\"ab\"; pcre:\"/^cd/R\";", "abx abcd"));
  // a pcre match moves the position like a content
  CHECK_TRUE(matches("pcre:\"/a+/\"; content:\"b\"; within:1;", "aaab"));
  CHECK_TRUE(matches("pcre:\"/a\\d/\"; content:\"x\"; distance:0;", "a1 x"));
  CHECK_FALSE(matches("pcre:\"/a\\d/\"; content:\"x\"; distance:0;", "x a1"));
  CHECK_TRUE(matches("pcre:\"/a\\d/\"; isdataat:2,relative;", "a1xx"));
  CHECK_FALSE(matches("pcre:\"/a\\d/\"; isdataat:3,relative;", "a1xx"));
  // the pcre retries at its next match when a relative keyword after it fails
  CHECK_TRUE(matches("pcre:\"/a\\d/\"; content:\"z\"; within:1;", "a1x a2z"));
  CHECK_FALSE(matches("pcre:\"/a\\d/\"; content:\"z\"; within:1;", "a1x a2x"));
  // the content after the pcre retries too (isdataat marks it): the second "z" ends the buffer
  CHECK_TRUE(matches("pcre:\"/a\\d/\"; content:\"z\"; distance:0; isdataat:!1,relative;",
                     "a1 zq z"));
  // pcre after pcre
  CHECK_TRUE(matches("pcre:\"/a/\"; pcre:\"/^b/R\";", "ac ab"));
  CHECK_FALSE(matches("pcre:\"/a/\"; pcre:\"/^b/R\";", "ac ac"));
  auto p = program("content:\"a\"; pcre:\"/b/R\";");
  CHECK_TRUE(p.lists[0].matches[0].content.relative_next);
  CHECK_TRUE(program("pcre:\"/a/\"; content:\"b\"; distance:0;").lists[0].matches[0].pcre.retry_next);
  CHECK_FALSE(program("pcre:\"/a/\"; content:\"b\";").lists[0].matches[0].pcre.retry_next);
}

TEST(PayloadPcre, Negated) {
  CHECK_TRUE(matches("pcre:!\"/evil/\";", "good"));
  CHECK_FALSE(matches("pcre:!\"/evil/\";", "so evil"));
  CHECK_TRUE(matches("pcre:!\"/x/\";", ""));
  // relative: nothing after "a" matches; a negated pcre does not move the position
  CHECK_TRUE(matches("content:\"a\"; pcre:!\"/^b/R\";", "ac"));
  CHECK_FALSE(matches("content:\"a\"; pcre:!\"/^b/R\";", "ab"));
  // the content before retries: the second "a" is not followed by "b"
  CHECK_TRUE(matches("content:\"a\"; pcre:!\"/^b/R\";", "ab ac"));
  CHECK_TRUE(matches("content:\"a\"; pcre:!\"/^b/R\"; content:\"c\"; within:1;", "ac"));
}

TEST(PayloadPcre, Errors) {
  check_error("pcre:\"/a(/\";", "does not compile at offset");
  check_error("pcre:\"/a/q\";", "unknown flag 'q'");
  check_error("pcre:\"/a/UH\";", "more than one buffer flag");
  check_error("pcre:\"/a/BU\";", "cannot be used with 'B'");
  check_error("pcre:\"/a/UB\";", "'B' (rawbytes) cannot be used with a buffer flag");
  check_error("pcre:\"/Www/W\";", "upper-case");
  CHECK_TRUE(compile("pcre:\"/Www/Wi\";").program.has_value());
  CHECK_TRUE(compile("pcre:\"/w\\Sw/W\";").program.has_value());  // escapes are not letters
  check_error("pcre:\"abc\";", "expects");
  check_error("pcre:\"/abc\";", "expects");
  check_error("pcre:/abc/;", "expects");
  check_error("pcre;", "needs a value");
  check_error("dns.query; pcre:\"/a/U\";", "sticky buffer \"dns.query\" is in force");
  // Captures into variables load (the value is not kept); other text after the quote does not.
  CHECK_TRUE(compile("pcre:\"/(?P<pkt_user>\\w+)/\";").program.has_value());
  CHECK_TRUE(compile("pcre:\"/(?P<flow_x>a)/\";").program.has_value());
  CHECK_TRUE(compile("pcre:\"/(a)/\", flow:x;").program.has_value());
  check_error("pcre:\"/(a)/\" junk;", "unexpected text after the expression");
  CHECK_TRUE(compile("pcre:\"/(a)(b)/i,flow:x, pkt:y\";").program.has_value());
  check_error("pcre:\"/a/R\";", "R (relative) needs a preceding content or pcre");
  check_error("content:\"x\"; pcre:\"/a/UR\";", "R (relative) needs a preceding");
  // relative right after a sticky buffer: from the buffer start, as Suricata allows
  CHECK_TRUE(compile("http.uri; pcre:\"/^a/R\";").program.has_value());
}
