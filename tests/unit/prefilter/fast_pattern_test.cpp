// Fast pattern selection and buffer assignment.
#include "dataplane/detect/prefilter/fast_pattern.h"

#include <CppUTest/TestHarness.h>

#include <string>

#include "tests/unit/prefilter/prefilter_test_util.h"

using namespace vigil::detect;
using prefilter_test::bytes;
using prefilter_test::rule;

namespace {

FastPatternSelection select(std::string_view options) {
  ParsedRule r = rule(options);
  CHECK_EQUAL(1u, r.sid);  // the rule text itself parsed
  return select_fast_pattern(r);
}

std::string text(const std::vector<std::uint8_t>& b) { return {b.begin(), b.end()}; }

}  // namespace

TEST_GROUP(FastPattern){};

TEST(FastPattern, LongestContentWins) {
  auto s = select(R"(content:"ab"; content:"abcdef"; content:"xyz";)");
  CHECK_FALSE(s.problem.has_value());
  CHECK(s.pattern.has_value());
  STRCMP_EQUAL("abcdef", text(s.pattern->bytes).c_str());
  CHECK_EQUAL(1u, s.pattern->content_index);
  CHECK_FALSE(s.pattern->explicit_);
  CHECK_FALSE(s.pattern->nocase);
  STRCMP_EQUAL("payload", s.buffer.c_str());
}

TEST(FastPattern, EqualLengthStrongerWinsThenFirst) {
  auto s = select(R"(content:"aaaa"; content:"abcd";)");
  STRCMP_EQUAL("abcd", text(s.pattern->bytes).c_str());
  s = select(R"(content:"abcd"; content:"efgh";)");
  STRCMP_EQUAL("abcd", text(s.pattern->bytes).c_str());
  CHECK_EQUAL(0u, s.pattern->content_index);
}

TEST(FastPattern, PatternStrength) {
  CHECK_EQUAL(6u, pattern_strength(bytes("aaaa")));  // 3 + 1 + 1 + 1
  CHECK_EQUAL(12u, pattern_strength(bytes("abcd")));
  CHECK_EQUAL(8u, pattern_strength(bytes("1/")));
  const std::uint8_t special[] = {0x00, 0x01, 0xff, 0x80, 0x80};
  CHECK_EQUAL(4u + 4u + 4u + 6u + 1u, pattern_strength(special));
  CHECK_EQUAL(0u, pattern_strength({}));
}

TEST(FastPattern, ExplicitFastPatternWins) {
  auto s = select(R"(content:"aaaaaaaaaaaa"; content:"xyz"; fast_pattern; content:"zzzzzzzz";)");
  STRCMP_EQUAL("xyz", text(s.pattern->bytes).c_str());
  CHECK(s.pattern->explicit_);
  CHECK_FALSE(s.pattern->only);
  CHECK_EQUAL(1u, s.pattern->content_index);
}

TEST(FastPattern, ExplicitBeatsBufferPriority) {
  auto s = select(R"(content:"payload"; fast_pattern; content:"/longer/uri/path"; http_uri;)");
  STRCMP_EQUAL("payload", text(s.pattern->bytes).c_str());
  STRCMP_EQUAL("payload", s.buffer.c_str());
}

TEST(FastPattern, FastPatternOnly) {
  auto s = select(R"(content:"abcdefgh"; content:"abc"; fast_pattern:only;)");
  STRCMP_EQUAL("abc", text(s.pattern->bytes).c_str());
  CHECK(s.pattern->only);
  CHECK(s.pattern->explicit_);
}

TEST(FastPattern, FastPatternChop) {
  auto s = select(R"(content:"0123456789"; fast_pattern:2,4;)");
  CHECK_FALSE(s.problem.has_value());
  STRCMP_EQUAL("2345", text(s.pattern->bytes).c_str());
  s = select(R"(content:"0123456789"; fast_pattern:6,4;)");
  STRCMP_EQUAL("6789", text(s.pattern->bytes).c_str());
}

TEST(FastPattern, BadChopIsAProblem) {
  auto s = select(R"(content:"0123456789"; fast_pattern:7,4;)");
  CHECK(s.problem.has_value());
  CHECK_FALSE(s.pattern.has_value());
  CHECK(select(R"(content:"0123"; fast_pattern:0,0;)").problem.has_value());
  CHECK(select(R"(content:"0123"; fast_pattern:x,2;)").problem.has_value());
  CHECK(select(R"(content:"0123"; fast_pattern:1;)").problem.has_value());
  CHECK(select(R"(content:"0123"; fast_pattern:1,2,3;)").problem.has_value());
}

TEST(FastPattern, BadContentIsAProblem) {
  auto s = select(R"(content:"|0g|";)");
  CHECK(s.problem.has_value());
  CHECK(s.problem->find("content") != std::string::npos);
}

TEST(FastPattern, NegatedContentsAreNeverFastPatterns) {
  auto s = select(R"(content:!"a-very-long-negated-content"; content:"ab";)");
  STRCMP_EQUAL("ab", text(s.pattern->bytes).c_str());
  // An explicit fast_pattern on a negated content is not taken either.
  s = select(R"(content:!"negated"; fast_pattern; content:"pos";)");
  STRCMP_EQUAL("pos", text(s.pattern->bytes).c_str());
  CHECK_FALSE(s.pattern->explicit_);
  // Only negated contents: no pattern; inspected in the first content's buffer.
  s = select(R"(content:"x"; http_uri; content:!"neg"; http_uri;)");
  CHECK(s.pattern.has_value());
  s = select(R"(http.uri; content:!"neg";)");
  CHECK_FALSE(s.pattern.has_value());
  CHECK_FALSE(s.problem.has_value());
  STRCMP_EQUAL("http.uri", s.buffer.c_str());
}

TEST(FastPattern, Nocase) {
  auto s = select(R"(content:"ABCDEF"; nocase; content:"xyz";)");
  STRCMP_EQUAL("ABCDEF", text(s.pattern->bytes).c_str());
  CHECK(s.pattern->nocase);
  s = select(R"(content:"abc"; nocase; content:"ABCDEF";)");
  CHECK_FALSE(s.pattern->nocase);  // nocase modifies the content before it only
}

TEST(FastPattern, HexBytesWithNul) {
  auto s = select(R"(content:"|00 01|AB|00|";)");
  const std::vector<std::uint8_t> want = {0x00, 0x01, 'A', 'B', 0x00};
  CHECK(want == s.pattern->bytes);
}

TEST(FastPattern, StickyBuffers) {
  auto s = select(R"(http.uri; content:"/a"; content:"/bcd";)");
  STRCMP_EQUAL("http.uri", s.buffer.c_str());
  STRCMP_EQUAL("/bcd", text(s.pattern->bytes).c_str());
  STRCMP_EQUAL("dns.query", select(R"(dns.query; content:"evil";)").buffer.c_str());
  STRCMP_EQUAL("dns.query", select(R"(dns_query; content:"evil";)").buffer.c_str());
  STRCMP_EQUAL("tls.sni", select(R"(tls.sni; content:"evil";)").buffer.c_str());
  STRCMP_EQUAL("tls.sni", select(R"(tls_sni; content:"evil";)").buffer.c_str());
  STRCMP_EQUAL("file.data", select(R"(file_data; content:"MZ";)").buffer.c_str());
  STRCMP_EQUAL("file.data", select(R"(file.data; content:"MZ";)").buffer.c_str());
  STRCMP_EQUAL("ja3.hash", select(R"(ja3_hash; content:"abc";)").buffer.c_str());
  // pkt_data returns to the payload.
  s = select(R"(file_data; content:!"MZ"; pkt_data; content:"payload-part";)");
  STRCMP_EQUAL("payload-part", text(s.pattern->bytes).c_str());
  STRCMP_EQUAL("payload", s.buffer.c_str());
}

TEST(FastPattern, StickyBufferAppliesToLaterContentsOnly) {
  auto c = extract_contents(rule(R"(content:"first"; http.host; content:"second";)"));
  CHECK_FALSE(c.problem.has_value());
  CHECK_EQUAL(2u, c.contents.size());
  STRCMP_EQUAL("payload", c.contents[0].buffer.c_str());
  STRCMP_EQUAL("http.host", c.contents[1].buffer.c_str());
  STRCMP_EQUAL("http.host", c.last_buffer.c_str());
}

TEST(FastPattern, LegacyModifiersMoveThePreviousContent) {
  auto c = extract_contents(
      rule(R"(content:"a"; http_header; content:"b"; content:"c"; http_client_body; nocase;)"));
  CHECK_EQUAL(3u, c.contents.size());
  STRCMP_EQUAL("http.header", c.contents[0].buffer.c_str());
  STRCMP_EQUAL("payload", c.contents[1].buffer.c_str());
  STRCMP_EQUAL("http.request_body", c.contents[2].buffer.c_str());
  CHECK(c.contents[2].nocase);
  CHECK_FALSE(c.contents[1].nocase);
  STRCMP_EQUAL("http.uri.raw", select(R"(content:"x"; http_raw_uri;)").buffer.c_str());
}

TEST(FastPattern, BufferPriority) {
  // Application-layer contents are preferred to longer payload contents...
  auto s = select(R"(content:"a-long-payload-content"; content:"uri"; http_uri;)");
  STRCMP_EQUAL("uri", text(s.pattern->bytes).c_str());
  STRCMP_EQUAL("http.uri", s.buffer.c_str());
  // ...but http.method ranks below the payload.
  s = select(R"(content:"POST"; http_method; content:"xy";)");
  STRCMP_EQUAL("xy", text(s.pattern->bytes).c_str());
  STRCMP_EQUAL("payload", s.buffer.c_str());
  s = select(R"(http.method; content:"POST";)");
  STRCMP_EQUAL("http.method", s.buffer.c_str());
  CHECK_EQUAL(0, buffer_priority("dns.query"));
  CHECK_EQUAL(1, buffer_priority("payload"));
  CHECK_EQUAL(2, buffer_priority("http.method+to_lowercase"));
}

TEST(FastPattern, TransformsMakeTheirOwnBuffer) {
  STRCMP_EQUAL("http.uri+to_lowercase",
               select(R"(http.uri; to_lowercase; content:"/x";)").buffer.c_str());
  STRCMP_EQUAL("dns.query+dotprefix",
               select(R"(dns.query; dotprefix; content:".evil.com";)").buffer.c_str());
  STRCMP_EQUAL("http.header+xor:\"0d0a\"",
               select(R"(http.header; xor:"0d0a"; content:"x";)").buffer.c_str());
  // A transform keyword outside a sticky buffer changes nothing here.
  STRCMP_EQUAL("payload", select(R"(to_lowercase; content:"x";)").buffer.c_str());
  // A new sticky buffer starts without transforms.
  STRCMP_EQUAL("http.host",
               select(R"(http.uri; to_lowercase; http.host; content:"x";)").buffer.c_str());
}

TEST(FastPattern, RulesWithoutContents) {
  auto s = select(R"(flow:established;)");
  CHECK_FALSE(s.pattern.has_value());
  STRCMP_EQUAL("payload", s.buffer.c_str());
  s = select(R"(http.user_agent; pcre:"/^x/";)");
  CHECK_FALSE(s.pattern.has_value());
  STRCMP_EQUAL("http.user_agent", s.buffer.c_str());
}

TEST(FastPattern, OtherKeywordsAreNotBuffers) {
  auto s = select(R"(content:"abc"; depth:4; offset:0; distance:0; within:8; rawbytes;)");
  STRCMP_EQUAL("payload", s.buffer.c_str());
  CHECK(sticky_buffer_name("http.uri").has_value());
  CHECK_FALSE(sticky_buffer_name("http_uri").has_value());
  CHECK(legacy_modifier_buffer("http_uri").has_value());
  CHECK_FALSE(legacy_modifier_buffer("depth").has_value());
  CHECK(is_transform("to_md5"));
  CHECK_FALSE(is_transform("nocase"));
}
