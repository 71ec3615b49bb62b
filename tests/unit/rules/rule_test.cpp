#include "dataplane/detect/rules/rule.h"

#include <CppUTest/TestHarness.h>

#include <string>

#include "rules_test_util.h"

using namespace vigil;
using namespace vigil::detect;
using rules_test::v4;

namespace {

ParsedRule one(const std::string& text, const RuleVars& vars = {}) {
  RuleParseResult r = parse_rules(text, "t.rules", vars);
  if (!r.errors.empty()) FAIL(format_rule_error(r.errors[0]).c_str());
  LONGS_EQUAL(1, r.rules.size());
  return r.rules[0];
}

RuleError error_of(const std::string& text) {
  RuleParseResult r = parse_rules(text, "t.rules", {});
  LONGS_EQUAL(0, r.rules.size());
  LONGS_EQUAL(1, r.errors.size());
  return r.errors[0];
}

std::string reason(const std::string& text) {
  return std::string(rule_error_reason_name(error_of(text).reason));
}

const std::string kOpts = " (msg:\"m\"; sid:1;)";

}  // namespace

TEST_GROUP(Rule){};

TEST(Rule, TypicalEtRule) {
  ParsedRule r = one(
      "alert http $HOME_NET any -> $EXTERNAL_NET any (msg:\"ET POLICY x\\; y\"; flow:established,"
      "to_server; http.uri; content:\"/a.php\"; classtype:policy-violation; sid:2012345; rev:3; "
      "metadata:created_at 2010_01_01;)");
  CHECK_TRUE(r.action == RuleAction::alert);
  STRCMP_EQUAL("http", r.protocol.c_str());
  CHECK_TRUE(r.direction == RuleDirection::to_destination);
  CHECK_TRUE(matches(r.src_addr, IpFamily::v4, v4(192, 168, 1, 1)));
  CHECK_FALSE(matches(r.dst_addr, IpFamily::v4, v4(192, 168, 1, 1)));
  CHECK_TRUE(is_any(r.src_port));
  CHECK_TRUE(is_any(r.dst_port));
  LONGS_EQUAL(2012345, r.sid);
  LONGS_EQUAL(3, r.rev);
  LONGS_EQUAL(1, r.gid);
  STRCMP_EQUAL("ET POLICY x; y", r.msg.c_str());
  LONGS_EQUAL(8, r.options.size());
  STRCMP_EQUAL("http.uri", r.options[2].keyword.c_str());
  STRCMP_EQUAL("t.rules", r.source.c_str());
  LONGS_EQUAL(1, r.line);
}

TEST(Rule, EveryAction) {
  const char* names[] = {"alert", "drop", "reject", "rejectsrc", "rejectdst", "rejectboth", "pass"};
  for (const char* n : names) {
    ParsedRule r = one(std::string(n) + " tcp any any -> any any" + kOpts);
    STRCMP_EQUAL(n, std::string(rule_action_name(r.action)).c_str());
  }
  STRCMP_EQUAL("bad_action", reason("log tcp any any -> any any" + kOpts).c_str());
  STRCMP_EQUAL("bad_action", reason("ALERT tcp any any -> any any" + kOpts).c_str());
}

TEST(Rule, ProtocolsAreKeptAsNames) {
  const char* protos[] = {"ip",  "tcp", "udp",     "icmp",     "http", "dns",
                          "tls", "smb", "tcp-pkt", "ftp-data", "http2"};
  for (const char* p : protos)
    STRCMP_EQUAL(p,
                 one(std::string("alert ") + p + " any any -> any any" + kOpts).protocol.c_str());
  STRCMP_EQUAL("tcp", one("alert TCP any any -> any any" + kOpts).protocol.c_str());
  STRCMP_EQUAL("bad_protocol", reason("alert tc$p any any -> any any" + kOpts).c_str());
}

TEST(Rule, Directions) {
  CHECK_TRUE(one("alert tcp any any <> any any" + kOpts).direction == RuleDirection::both);
  STRCMP_EQUAL("bad_direction", reason("alert tcp any any <- any any" + kOpts).c_str());
  STRCMP_EQUAL("bad_direction", reason("alert tcp any any => any any" + kOpts).c_str());
  STRCMP_EQUAL("bad_direction", reason("alert tcp any any - any any" + kOpts).c_str());
}

TEST(Rule, HeaderWithSpacedListsAndPorts) {
  ParsedRule r = one("drop udp [10.0.0.1, 10.0.0.2] [53, 5353] -> !$HOME_NET !1:1023" + kOpts);
  CHECK_TRUE(matches(r.src_addr, IpFamily::v4, v4(10, 0, 0, 2)));
  CHECK_FALSE(matches(r.src_addr, IpFamily::v4, v4(10, 0, 0, 3)));
  CHECK_TRUE(matches(r.src_port, 5353));
  CHECK_FALSE(matches(r.src_port, 54));
  CHECK_TRUE(matches(r.dst_addr, IpFamily::v4, v4(8, 8, 4, 4)));
  CHECK_FALSE(matches(r.dst_port, 1023));
  CHECK_TRUE(matches(r.dst_port, 0));
  CHECK_TRUE(matches(r.dst_port, 1024));
}

TEST(Rule, HeaderErrors) {
  STRCMP_EQUAL("bad_header", reason("alert tcp any any -> any" + kOpts).c_str());
  STRCMP_EQUAL("bad_header", reason("alert tcp any any -> any any any" + kOpts).c_str());
  STRCMP_EQUAL("bad_header", reason("alert tcp any any -> any any").c_str());
  STRCMP_EQUAL("bad_header", reason(kOpts).c_str());
  STRCMP_EQUAL("bad_options", reason("alert tcp any any -> any any (msg:\"m\"; sid:1;").c_str());
  STRCMP_EQUAL("unbalanced_brackets", reason("alert tcp [1.2.3.4 any -> any any" + kOpts).c_str());
  STRCMP_EQUAL("unbalanced_brackets", reason("alert tcp 1.2.3.4] any -> any any" + kOpts).c_str());
  STRCMP_EQUAL("bad_cidr", reason("alert tcp 1.2.3.4/40 any -> any any" + kOpts).c_str());
  STRCMP_EQUAL("bad_port", reason("alert tcp any 70000 -> any any" + kOpts).c_str());
  STRCMP_EQUAL("reversed_range", reason("alert tcp any any -> any 90:80" + kOpts).c_str());
  STRCMP_EQUAL("unknown_variable", reason("alert tcp $NOPE any -> any any" + kOpts).c_str());
  STRCMP_EQUAL("negated_any", reason("alert tcp !any any -> any any" + kOpts).c_str());
  STRCMP_EQUAL("negated_any", reason("alert tcp any any -> any !any" + kOpts).c_str());
  STRCMP_EQUAL("contradiction",
               reason("alert tcp ![1.2.3.4,!1.2.3.4] any -> any any" + kOpts).c_str());
}

TEST(Rule, RecursiveVariableInHeader) {
  RuleVars vars;
  vars.addresses["HOME_NET"] = "[10.0.0.0/8,$HOME_NET]";
  RuleParseResult r = parse_rules("alert tcp $HOME_NET any -> any any" + kOpts, "t.rules", vars);
  LONGS_EQUAL(1, r.errors.size());
  STRCMP_EQUAL("recursive_variable",
               std::string(rule_error_reason_name(r.errors[0].reason)).c_str());
}

TEST(Rule, SidGidRevAndMsg) {
  ParsedRule r = one("alert ip any any -> any any (sid:7; gid:3; rev:0;)");
  LONGS_EQUAL(7, r.sid);
  LONGS_EQUAL(3, r.gid);
  STRCMP_EQUAL("", r.msg.c_str());
  LONGS_EQUAL(4294967295u, one("alert ip any any -> any any (sid:4294967295;)").sid);
  STRCMP_EQUAL("missing_sid", reason("alert ip any any -> any any (msg:\"x\";)").c_str());
  STRCMP_EQUAL("missing_sid", reason("alert ip any any -> any any ()").c_str());
  STRCMP_EQUAL("bad_integer", reason("alert ip any any -> any any (sid:0;)").c_str());
  STRCMP_EQUAL("bad_integer", reason("alert ip any any -> any any (sid:4294967296;)").c_str());
  STRCMP_EQUAL("bad_integer", reason("alert ip any any -> any any (sid:12a;)").c_str());
  STRCMP_EQUAL("bad_integer", reason("alert ip any any -> any any (sid;)").c_str());
  STRCMP_EQUAL("bad_integer", reason("alert ip any any -> any any (sid:1; rev:x;)").c_str());
  STRCMP_EQUAL("duplicate_option", reason("alert ip any any -> any any (sid:1; sid:2;)").c_str());
  STRCMP_EQUAL("duplicate_option",
               reason("alert ip any any -> any any (msg:\"a\"; msg:\"b\"; sid:1;)").c_str());
}

TEST(Rule, OtherDuplicateOptionsAreLeftToTheEngine) {
  ParsedRule r =
      one("alert tcp any any -> any any (content:\"a\"; content:\"a\"; nocase; nocase; sid:5;)");
  LONGS_EQUAL(5, r.options.size());
}

TEST(Rule, OptionErrorsNameTheSid) {
  RuleError e = error_of("alert tcp any any -> any any (msg:\"x\"; sid:99; flow:established)");
  STRCMP_EQUAL("unterminated_option", std::string(rule_error_reason_name(e.reason)).c_str());
  LONGS_EQUAL(99, e.sid);
  RuleError h = error_of("alert tcp any 99999 -> any any (msg:\"x\"; sid: 1234;)");
  LONGS_EQUAL(1234, h.sid);
  STRCMP_EQUAL("t.rules:1: sid 1234: bad_port: port above 65535 in '99999'",
               format_rule_error(h).c_str());
  RuleError none = error_of("alert tcp any any -> any any (msg:\"x\";)");
  LONGS_EQUAL(0, none.sid);
  STRCMP_EQUAL("t.rules:1: missing_sid: rule has no sid", format_rule_error(none).c_str());
}

TEST(Rule, FileSplittingCommentsAndContinuations) {
  const std::string text =
      "# ET rules\n"
      "\n"
      "#alert tcp any any -> any any (msg:\"disabled\"; sid:1;)\n"
      "   # alert tcp any any -> any any (msg:\"disabled too\"; sid:2;)\n"
      "alert tcp any any -> any any (msg:\"first\"; sid:3;)\r\n"
      "alert tcp any any -> any any \\\n"
      "   (msg:\"multi\"; \\\n"
      "   sid:4;)\n"
      "\t\n"
      "alert tcp any any -> any any (msg:\"last, no newline\"; sid:5;)";
  RuleParseResult r = parse_rules(text, "t.rules", {});
  LONGS_EQUAL(0, r.errors.size());
  LONGS_EQUAL(3, r.rules.size());
  LONGS_EQUAL(3, r.rules[0].sid);
  LONGS_EQUAL(5, r.rules[0].line);
  LONGS_EQUAL(4, r.rules[1].sid);
  LONGS_EQUAL(6, r.rules[1].line);
  STRCMP_EQUAL("multi", r.rules[1].msg.c_str());
  LONGS_EQUAL(5, r.rules[2].sid);
  LONGS_EQUAL(10, r.rules[2].line);

  auto parts = split_rule_text("a \\\nb\n# c\nd \\");
  LONGS_EQUAL(2, parts.size());
  STRCMP_EQUAL("a b", parts[0].text.c_str());
  STRCMP_EQUAL("d ", parts[1].text.c_str());
  LONGS_EQUAL(4, parts[1].line);
  LONGS_EQUAL(0, split_rule_text("").size());
  LONGS_EQUAL(0, split_rule_text("\n\n# x\n").size());
}

TEST(Rule, OneBadRuleDoesNotStopTheOthers) {
  const std::string text =
      "alert tcp any any -> any any (sid:1;)\n"
      "alert tcp any any -> any (sid:2;)\n"
      "garbage\n"
      "alert tcp any any -> any any (sid:3;)\n";
  RuleParseResult r = parse_rules(text, "mixed.rules", {});
  LONGS_EQUAL(2, r.rules.size());
  LONGS_EQUAL(2, r.errors.size());
  LONGS_EQUAL(2, r.errors[0].line);
  LONGS_EQUAL(2, r.errors[0].sid);
  STRCMP_EQUAL("mixed.rules", r.errors[0].source.c_str());
  LONGS_EQUAL(3, r.errors[1].line);
  LONGS_EQUAL(0, r.errors[1].sid);
  RuleErrorCounters counts = count_errors(r.errors);
  LONGS_EQUAL(2, counts.get(RuleErrorReason::bad_header));
  LONGS_EQUAL(2, counts.total());
}

TEST(Rule, ParseRuleAlone) {
  SingleRuleResult ok = parse_rule("pass ip any any -> any any (sid:9;)", "x", 42, {});
  CHECK_TRUE(ok.rule.has_value());
  CHECK_FALSE(ok.error.has_value());
  LONGS_EQUAL(42, ok.rule->line);
  SingleRuleResult bad = parse_rule("pass ip any any -> any any (sid:9;", "x", 42, {});
  CHECK_FALSE(bad.rule.has_value());
  LONGS_EQUAL(42, bad.error->line);
  LONGS_EQUAL(9, bad.error->sid);
}
