// Lists per buffer: sticky buffers, legacy modifiers, uricontent, urilen, byte_extract across
// lists, and the backtracking rule shared with Suricata 7.
#include <CppUTest/TestHarness.h>

#include <string>

#include "tests/unit/payload/payload_test_util.h"

using namespace payload_test;
using namespace vigil::detect;

namespace {

void check_error(const char* options, const char* keyword, const char* part) {
  const std::string e = error_of(options);
  if (e.rfind(std::string(keyword) + ":", 0) != 0 || e.find(part) == std::string::npos)
    FAIL((std::string(options) + " -> \"" + e + "\", wanted " + keyword + " / " + part).c_str());
}

std::string names(const PayloadProgram& p) {
  std::string s;
  for (const auto& l : p.lists) s += (s.empty() ? "" : ",") + l.prefilter_name;
  return s;
}

}  // namespace

TEST_GROUP(PayloadLists){};

TEST(PayloadLists, StickyBuffers) {
  auto p = program(
      "http.method; content:\"POST\"; http.uri; content:\"/a\"; content:\"b\"; distance:0; "
      "http.header; content:\"X\"; pkt_data; content:\"raw\"; file_data; content:\"body\";");
  STRCMP_EQUAL("http.method,http.uri,http.header,payload,file.data", names(p).c_str());
  LONGS_EQUAL(2, list_named(p, "http.uri").matches.size());
  CHECK(list_named(p, "http.uri").matches[1].buffer == *buffer_id("http.uri"));
  CHECK(p.list_for(*buffer_id("file.data")) == &list_named(p, "file.data"));
  CHECK(p.list_for(kPayloadBufferId) == &list_named(p, "payload"));
  // old spellings
  STRCMP_EQUAL("dns.query", names(program("dns_query; content:\"a\";")).c_str());
  STRCMP_EQUAL("tls.sni", names(program("tls_sni; content:\"a\";")).c_str());
  STRCMP_EQUAL("ja3.hash", names(program("ja3_hash; content:\"a\";")).c_str());
  STRCMP_EQUAL("file.data", names(program("file_data; content:\"a\";")).c_str());
  // a buffer named again continues its list
  auto again = program("http.uri; content:\"a\"; http.host; content:\"h\"; http.uri; content:\"b\";");
  STRCMP_EQUAL("http.uri,http.host", names(again).c_str());
  LONGS_EQUAL(2, list_named(again, "http.uri").matches.size());
  // keywords of every kind follow the sticky buffer
  auto all = program(
      "http.stat_code; byte_test:0,>=,400,0,string,dec; isdataat:2; bsize:3; "
      "pcre:\"/^4/\";");
  LONGS_EQUAL(4, list_named(all, "http.stat_code").matches.size());
}

TEST(PayloadLists, LegacyModifiers) {
  auto p = program(
      "content:\"GET\"; http_method; content:\"/x\"; http_uri; nocase; content:\"y\"; http_uri; "
      "distance:0; content:\"raw\";");
  STRCMP_EQUAL("http.method,http.uri,payload", names(p).c_str());
  const PayloadMatchList& uri = list_named(p, "http.uri");
  LONGS_EQUAL(2, uri.matches.size());
  CHECK_TRUE(uri.matches[0].content.nocase);
  CHECK_TRUE(uri.matches[1].content.has_distance);
  STRCMP_EQUAL("http.request_body",
               names(program("content:\"a\"; http_client_body;")).c_str());
  STRCMP_EQUAL("http.response_body",
               names(program("content:\"a\"; http_server_body;")).c_str());
  STRCMP_EQUAL("http.cookie", names(program("content:\"a\"; http_raw_cookie;")).c_str());
  check_error("http_uri; content:\"a\";", "http_uri", "preceding content");
  check_error("content:\"a\"; http_uri; http_header;", "http_header", "already in buffer");
  check_error("http.uri; content:\"a\"; http_header;", "http_header", "sticky buffer");
}

TEST(PayloadLists, Uricontent) {
  auto p = program("uricontent:\"/admin\"; nocase; content:\"x\";");
  STRCMP_EQUAL("http.uri,payload", names(p).c_str());
  CHECK_TRUE(list_named(p, "http.uri").matches[0].content.nocase);
  check_error("uricontent;", "uricontent", "needs a value");
}

TEST(PayloadLists, Urilen) {
  auto p = program("urilen:5;");
  const PayloadMatchList& l = list_named(p, "http.uri");
  CHECK(l.matches[0].kind == MatchKind::urilen);
  PayloadScratch s;
  CHECK_TRUE(payload_match(l, bytes("/abcd"), s));
  CHECK_FALSE(payload_match(l, bytes("/abc"), s));
  auto less = program("urilen:<5;");
  CHECK_TRUE(payload_match(less.lists[0], bytes("/abc"), s));
  CHECK_FALSE(payload_match(less.lists[0], bytes("/abcd"), s));
  auto more = program("urilen:>5;");
  CHECK_TRUE(payload_match(more.lists[0], bytes("/abcde"), s));
  CHECK_FALSE(payload_match(more.lists[0], bytes("/abcd"), s));
  auto range = program("urilen:2<>5, norm;");
  CHECK_TRUE(payload_match(range.lists[0], bytes("/ab"), s));
  CHECK_FALSE(payload_match(range.lists[0], bytes("/a"), s));
  CHECK_FALSE(payload_match(range.lists[0], bytes("/abcd"), s));
  STRCMP_EQUAL("http.uri.raw", names(program("urilen:>2,raw;")).c_str());
  // lengths beyond 65535 compare as 65535, as Suricata's u16
  auto top = program("urilen:65535;");
  CHECK_TRUE(payload_match(top.lists[0], bytes(std::string(70000, 'a')), s));
  // with contents in the same buffer
  auto both = program("http.uri; content:\"/a\"; urilen:<10;");
  LONGS_EQUAL(2, both.lists[0].matches.size());
  check_error("urilen;", "urilen", "needs a value");
  check_error("urilen:5,sideways;", "urilen", "unknown option");
  check_error("urilen:70000;", "urilen", "above 65535");
  check_error("urilen:5<>3;", "urilen", "first value below");
  check_error("urilen:1,raw,norm;", "urilen", "expects");
}

TEST(PayloadLists, ByteExtractAcrossLists) {
  // The payload's first byte says how long the URI is.
  auto p = program("byte_extract:1,0,n; http.uri; content:\"/\"; isdataat:n,relative;");
  STRCMP_EQUAL("payload,http.uri", names(p).c_str());
  LONGS_EQUAL(1, p.variables);
  PayloadScratch s;
  begin_rule(s);
  CHECK_TRUE(payload_match(p.lists[0], bytes("\x03"), s));
  CHECK_TRUE(payload_match(p.lists[1], bytes("/abc"), s));
  begin_rule(s);
  CHECK_TRUE(payload_match(p.lists[0], bytes("\x05"), s));
  CHECK_FALSE(payload_match(p.lists[1], bytes("/abc"), s));
  // begin_rule forgets the value
  begin_rule(s);
  LONGS_EQUAL(0, s.vars[0]);
  // a variable set in a buffer inspected after the one that uses it is refused
  check_error("http.uri; content:\"a\"; pkt_data; byte_extract:1,0,n; http.uri; "
              "content:\"b\"; distance:n;",
              "byte_extract", "inspected before");
}

TEST(PayloadLists, ByteTestWholeBufferNumber) {
  // byte_test:0 with `string`: the number runs to the end of the buffer (http.content_len).
  auto p = program("http.content_len; byte_test:0,>=,8079,0,string,dec;");
  const PayloadMatchList& l = list_named(p, "http.content_len");
  PayloadScratch s;
  CHECK_TRUE(payload_match(l, bytes("9000"), s));
  CHECK_TRUE(payload_match(l, bytes("8079"), s));
  CHECK_FALSE(payload_match(l, bytes("800"), s));
  CHECK_FALSE(payload_match(l, bytes(""), s));
  CHECK_FALSE(payload_match(l, bytes("x9000"), s));
  CHECK_TRUE(list_matches("content:\"len=\"; byte_test:0,=,42,0,relative,string,dec;", "len=42"));
  check_error("byte_test:0,=,1,0;", "byte_test", "outside 1..8");
  check_error("byte_jump:0,0,string;", "byte_jump", "outside 1..23");
}

TEST(PayloadLists, BsizePerBuffer) {
  CHECK_TRUE(compile("http.uri; bsize:5; http.host; bsize:3;").program.has_value());
  check_error("http.uri; bsize:5; bsize:6;", "bsize", "twice");
  check_error("http.uri; content:\"abcdef\"; bsize:<5;", "bsize", "at most 4");
  CHECK_TRUE(compile("http.uri; content:\"abcdef\"; http.host; bsize:<5;").program.has_value());
}

TEST(PayloadLists, ScratchSetup) {
  PayloadScratch s = make_payload_scratch();
  CHECK_TRUE(s.pcre.ready());
  PayloadScratch moved = std::move(s);
  CHECK_TRUE(moved.pcre.ready());
  auto p = program("pcre:\"/b+/\";");
  CHECK_TRUE(payload_match(p.lists[0], bytes("abbb"), moved));
}

// Suricata 7 retries a content only when a later keyword's window depends on it (a content with
// `within`, a negated content with `distance`, a relative isdataat/byte_*/pcre); a failure
// under a content without that mark ends the inspection. The old Vigil rule retried after any
// relative keyword. These cases differ.
TEST(PayloadLists, BacktrackingFollowsSuricata) {
  // 1. Outcome: byte_jump (relative, so "a" is marked) then an isdataat that fails. Suricata's
  // failing isdataat gives up at once, so the second "a" (whose jump would pass) is never
  // tried. The old rule found the match.
  const char* jump = "content:\"a\"; byte_jump:1,0,relative; isdataat:4,relative;";
  // first "a": jump to 16 of 18, isdataat:4 fails there; second "a": jump to 11, passes
  std::string buf = "a\x0e";
  buf += std::string(6, '.') + "a\x01" + std::string(8, '.');
  CHECK_FALSE(matches(jump, buf));
  // with the second "a" alone it matches, so only the give-up rule stops it above
  CHECK_TRUE(matches(jump, buf.substr(8)));
  // 2. Cost: a positive content with only `distance` does not retry the content before it.
  auto p = program("content:\"a\"; content:\"b\"; distance:0;");
  CHECK_FALSE(p.lists[0].matches[0].content.relative_next);
  PayloadScratch s;
  CHECK_FALSE(payload_match(p.lists[0], bytes(std::string(100, 'a')), s));
  LONGS_EQUAL(2, s.steps);  // old rule: 100 retries of "a"
  CHECK_TRUE(s.discontinue);
  // 3. `within` marks: the next "a" is tried.
  auto w = program("content:\"a\"; content:\"b\"; within:1;");
  CHECK_TRUE(w.lists[0].matches[0].content.relative_next);
  CHECK_TRUE(matches("content:\"a\"; content:\"b\"; within:1;", "ax ab"));
  // 4. A negated content with distance marks too.
  CHECK_TRUE(program("content:\"a\"; content:!\"b\"; distance:0;")
                 .lists[0].matches[0].content.relative_next);
  CHECK_TRUE(matches("content:\"a\"; content:!\"b\"; distance:0;", "ab a"));
  // 5. The mark goes to the nearest content, not to an earlier one.
  auto near = program("content:\"a\"; content:\"b\"; distance:0; isdataat:1,relative;");
  CHECK_FALSE(near.lists[0].matches[0].content.relative_next);
  CHECK_TRUE(near.lists[0].matches[1].content.relative_next);
  // 6. An absolute content that is absent gives up, even after a retry point.
  auto abs = program("content:\"a\"; content:\"zz\";");
  PayloadScratch t;
  CHECK_FALSE(payload_match(abs.lists[0], bytes("a a a"), t));
  CHECK_TRUE(t.discontinue);
}
