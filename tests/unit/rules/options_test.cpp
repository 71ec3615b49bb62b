#include <CppUTest/TestHarness.h>

#include <string>
#include <vector>

#include "dataplane/detect/rules/rule_options.h"

using namespace vigil::detect;

namespace {

std::vector<RuleOption> ok(const char* text) {
  RuleOptionsResult r = parse_rule_options(text);
  if (r.problem) FAIL((std::string(text) + ": " + r.problem->message).c_str());
  return r.options;
}

std::string reason_of(const std::optional<RuleProblem>& p) {
  return p ? std::string(rule_error_reason_name(p->reason)) : std::string("accepted");
}

std::string bytes_of(const ContentBytes& c) { return std::string(c.bytes.begin(), c.bytes.end()); }

}  // namespace

TEST_GROUP(RuleOptions){};

TEST(RuleOptions, KeywordsValuesAndOrder) {
  auto o =
      ok(" msg:\"hello\"; flow:established,to_server;  content:\"GET\"; nocase; depth:3; sid:1; ");
  LONGS_EQUAL(6, o.size());
  STRCMP_EQUAL("msg", o[0].keyword.c_str());
  STRCMP_EQUAL("\"hello\"", o[0].raw.c_str());
  STRCMP_EQUAL("hello", o[0].value.c_str());
  CHECK_TRUE(o[0].has_value);
  STRCMP_EQUAL("established,to_server", o[1].value.c_str());
  STRCMP_EQUAL("content", o[2].keyword.c_str());
  STRCMP_EQUAL("nocase", o[3].keyword.c_str());
  CHECK_FALSE(o[3].has_value);
  STRCMP_EQUAL("", o[3].raw.c_str());
  STRCMP_EQUAL("depth", o[4].keyword.c_str());
  STRCMP_EQUAL("3", o[4].value.c_str());
}

TEST(RuleOptions, WhitespaceAndCase) {
  auto o = ok("\tSID : 12 ;\n  Http.URI;fast_pattern;");
  LONGS_EQUAL(3, o.size());
  STRCMP_EQUAL("sid", o[0].keyword.c_str());
  STRCMP_EQUAL("12", o[0].raw.c_str());
  STRCMP_EQUAL("http.uri", o[1].keyword.c_str());
  STRCMP_EQUAL("fast_pattern", o[2].keyword.c_str());
  LONGS_EQUAL(0, ok("").size());
  LONGS_EQUAL(0, ok("   ").size());
}

TEST(RuleOptions, Escapes) {
  auto o = ok(R"(msg:"a\;b\"c\\d\:e"; content:"x\;y"; pcre:"/a\d+\/b/i"; pcre:"/\x3b\;/";)");
  LONGS_EQUAL(4, o.size());
  STRCMP_EQUAL(R"("a\;b\"c\\d\:e")", o[0].raw.c_str());
  STRCMP_EQUAL(R"(a;b"c\d:e)", o[0].value.c_str());
  STRCMP_EQUAL("x;y", o[1].value.c_str());
  // Regex escapes other than the rule language's four are kept whole.
  STRCMP_EQUAL(R"(/a\d+\/b/i)", o[2].value.c_str());
  STRCMP_EQUAL(R"(/\x3b;/)", o[3].value.c_str());
}

TEST(RuleOptions, EscapedBackslashBeforeSemicolonEndsValue) {
  auto o = ok(R"(content:"a\\"; sid:1;)");
  LONGS_EQUAL(2, o.size());
  STRCMP_EQUAL(R"("a\\")", o[0].raw.c_str());
  STRCMP_EQUAL(R"(a\)", o[0].value.c_str());
}

TEST(RuleOptions, DuplicatesAreKeptInOrder) {
  auto o = ok("content:\"a\"; content:\"b\"; nocase; content:\"a\";");
  LONGS_EQUAL(4, o.size());
  STRCMP_EQUAL("a", o[0].value.c_str());
  STRCMP_EQUAL("b", o[1].value.c_str());
  STRCMP_EQUAL("a", o[3].value.c_str());
}

TEST(RuleOptions, Errors) {
  STRCMP_EQUAL("unterminated_option",
               reason_of(parse_rule_options("msg:\"x\"; sid:1").problem).c_str());
  STRCMP_EQUAL("unterminated_option", reason_of(parse_rule_options("nocase").problem).c_str());
  STRCMP_EQUAL("unterminated_option", reason_of(parse_rule_options("msg:\"x\\;").problem).c_str());
  STRCMP_EQUAL("bad_options", reason_of(parse_rule_options("msg:;").problem).c_str());
  STRCMP_EQUAL("bad_options", reason_of(parse_rule_options(":x;").problem).c_str());
  STRCMP_EQUAL("bad_options", reason_of(parse_rule_options(";").problem).c_str());
  STRCMP_EQUAL("bad_options", reason_of(parse_rule_options("no case;").problem).c_str());
  // Quotes do not protect a ';' (as in Suricata): the value ends there and the rest is junk.
  STRCMP_EQUAL("bad_options",
               reason_of(parse_rule_options("pcre:\"/a;b/\"; sid:1;").problem).c_str());
  RuleOptionsResult r = parse_rule_options("msg:\"x\"; sid:1");
  CHECK_TRUE(r.options.empty());
}

TEST(RuleOptions, ContentDecoding) {
  ContentBytes c = decode_content("\"GET |20|/index\"");
  CHECK_FALSE(c.problem);
  STRCMP_EQUAL("GET  /index", bytes_of(c).c_str());
  ContentBytes h = decode_content("\"|0d 0a|Host|3A|\"");
  CHECK_FALSE(h.problem);
  LONGS_EQUAL(7, h.bytes.size());
  LONGS_EQUAL(0x0d, h.bytes[0]);
  LONGS_EQUAL(0x0a, h.bytes[1]);
  LONGS_EQUAL(':', h.bytes[6]);
  ContentBytes packed = decode_content("\"|0D0a00ff|\"");
  CHECK_FALSE(packed.problem);
  LONGS_EQUAL(4, packed.bytes.size());
  LONGS_EQUAL(0xff, packed.bytes[3]);
  ContentBytes esc = decode_content(R"("a\"b\;c\\d\:e\|f")");
  CHECK_FALSE(esc.problem);
  STRCMP_EQUAL(R"(a"b;c\d:e|f)", bytes_of(esc).c_str());
  ContentBytes neg = decode_content(" ! \"abc\" ");
  CHECK_FALSE(neg.problem);
  CHECK_TRUE(neg.negated);
  STRCMP_EQUAL("abc", bytes_of(neg).c_str());
  CHECK_FALSE(decode_content("\"abc\"").negated);
}

TEST(RuleOptions, ContentErrors) {
  STRCMP_EQUAL("bad_content", reason_of(decode_content("\"|0d 0|\"").problem).c_str());
  STRCMP_EQUAL("bad_content", reason_of(decode_content("\"|0 d|\"").problem).c_str());
  STRCMP_EQUAL("bad_content", reason_of(decode_content("\"|0g|\"").problem).c_str());
  STRCMP_EQUAL("bad_content", reason_of(decode_content("\"|0d 0a\"").problem).c_str());
  STRCMP_EQUAL("bad_content", reason_of(decode_content("abc").problem).c_str());
  STRCMP_EQUAL("bad_content", reason_of(decode_content("\"abc").problem).c_str());
  STRCMP_EQUAL("bad_content", reason_of(decode_content("\"abc\\\"").problem).c_str());
  STRCMP_EQUAL("bad_content", reason_of(decode_content("\"\"").problem).c_str());
  STRCMP_EQUAL("bad_content", reason_of(decode_content("\"||\"").problem).c_str());
  STRCMP_EQUAL("bad_content", reason_of(decode_content("\"a\\nb\"").problem).c_str());
  STRCMP_EQUAL("bad_content", reason_of(decode_content("\"a\"b\"").problem).c_str());
  STRCMP_EQUAL("bad_content", reason_of(decode_content("").problem).c_str());
  STRCMP_EQUAL("bad_content", reason_of(decode_content("\"").problem).c_str());
  CHECK_TRUE(decode_content("\"|0d 0|\"").bytes.empty());
}

TEST(RuleOptions, ValueLists) {
  ValueList l = split_value_list("4, >, 1 ,0,relative");
  CHECK_FALSE(l.problem);
  LONGS_EQUAL(5, l.items.size());
  STRCMP_EQUAL(">", l.items[1].c_str());
  STRCMP_EQUAL("1", l.items[2].c_str());
  ValueList q = split_value_list(R"(set,"a,b", "c\"d,e")");
  CHECK_FALSE(q.problem);
  LONGS_EQUAL(3, q.items.size());
  STRCMP_EQUAL(R"("a,b")", q.items[1].c_str());
  STRCMP_EQUAL(R"("c\"d,e")", q.items[2].c_str());
  LONGS_EQUAL(1, split_value_list("").items.size());
  STRCMP_EQUAL("bad_options", reason_of(split_value_list("a,\"b,c").problem).c_str());
}

TEST(RuleOptions, Integers) {
  RuleInteger n = parse_rule_integer(" 42 ", 0, 100, "depth");
  CHECK_FALSE(n.problem);
  LONGS_EQUAL(42, n.value);
  CHECK_EQUAL(18446744073709551615ULL,
              parse_rule_integer("18446744073709551615", 0, ~0ULL, "x").value);
  STRCMP_EQUAL(
      "bad_integer",
      reason_of(parse_rule_integer("18446744073709551616", 0, ~0ULL, "x").problem).c_str());
  STRCMP_EQUAL("bad_integer",
               reason_of(parse_rule_integer("101", 0, 100, "depth").problem).c_str());
  STRCMP_EQUAL("bad_integer", reason_of(parse_rule_integer("0", 1, 100, "sid").problem).c_str());
  STRCMP_EQUAL("bad_integer", reason_of(parse_rule_integer("7", 0, 5, "x").problem).c_str());
  STRCMP_EQUAL("bad_integer", reason_of(parse_rule_integer("-1", 0, 100, "x").problem).c_str());
  STRCMP_EQUAL("bad_integer", reason_of(parse_rule_integer("1x", 0, 100, "x").problem).c_str());
  STRCMP_EQUAL("bad_integer", reason_of(parse_rule_integer("", 0, 100, "x").problem).c_str());
  STRCMP_EQUAL("accepted", reason_of(parse_rule_integer("100", 0, 100, "x").problem).c_str());
}
