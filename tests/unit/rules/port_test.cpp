#include <CppUTest/TestHarness.h>

#include <string>

#include "dataplane/detect/rules/port_set.h"

using namespace vigil::detect;

namespace {

PortSet ok(const char* text, const RuleVars& vars = {}) {
  PortSpecResult r = parse_port_spec(text, vars);
  if (r.problem) FAIL((std::string(text) + ": " + r.problem->message).c_str());
  return r.set;
}

RuleErrorReason bad(const char* text, const RuleVars& vars = {}) {
  PortSpecResult r = parse_port_spec(text, vars);
  if (!r.problem) FAIL((std::string(text) + " was accepted").c_str());
  CHECK_TRUE(r.set.ranges.empty());
  return r.problem->reason;
}

void check_reason(RuleErrorReason want, RuleErrorReason got) {
  STRCMP_EQUAL(std::string(rule_error_reason_name(want)).c_str(),
               std::string(rule_error_reason_name(got)).c_str());
}

}  // namespace

TEST_GROUP(PortSpec){};

TEST(PortSpec, AnyAndSingle) {
  PortSet any = ok("any");
  CHECK_TRUE(is_any(any));
  CHECK_TRUE(matches(any, 0));
  CHECK_TRUE(matches(any, 65535));
  PortSet p = ok("80");
  CHECK_TRUE(matches(p, 80));
  CHECK_FALSE(matches(p, 79));
  CHECK_FALSE(matches(p, 81));
  CHECK_FALSE(is_any(p));
  CHECK_TRUE(matches(ok("0"), 0));
  CHECK_TRUE(matches(ok("65535"), 65535));
}

TEST(PortSpec, Ranges) {
  PortSet r = ok("1024:2048");
  CHECK_FALSE(matches(r, 1023));
  CHECK_TRUE(matches(r, 1024));
  CHECK_TRUE(matches(r, 2048));
  CHECK_FALSE(matches(r, 2049));
  PortSet open_hi = ok("1024:");
  CHECK_TRUE(matches(open_hi, 65535));
  CHECK_FALSE(matches(open_hi, 1023));
  PortSet open_lo = ok(":1023");
  CHECK_TRUE(matches(open_lo, 0));
  CHECK_FALSE(matches(open_lo, 1024));
  CHECK_TRUE(matches(ok("5:5"), 5));
}

TEST(PortSpec, ListsAndNegation) {
  PortSet l = ok("[80, 443, [8000:8080, 9000]]");
  CHECK_TRUE(matches(l, 80));
  CHECK_TRUE(matches(l, 443));
  CHECK_TRUE(matches(l, 8042));
  CHECK_TRUE(matches(l, 9000));
  CHECK_FALSE(matches(l, 8081));
  PortSet n = ok("!80");
  CHECK_FALSE(matches(n, 80));
  CHECK_TRUE(matches(n, 0));
  CHECK_TRUE(matches(n, 79));
  CHECK_TRUE(matches(n, 81));
  CHECK_TRUE(matches(n, 65535));
  PortSet cut = ok("[1:1024, !80, !443]");
  CHECK_TRUE(matches(cut, 1));
  CHECK_FALSE(matches(cut, 80));
  CHECK_FALSE(matches(cut, 443));
  CHECK_TRUE(matches(cut, 1024));
  CHECK_FALSE(matches(cut, 1025));
  PortSet nl = ok("![1:1023]");
  CHECK_FALSE(matches(nl, 0 + 1));
  CHECK_TRUE(matches(nl, 0));
  CHECK_TRUE(matches(nl, 1024));
  PortSet edge = ok("!65535");
  CHECK_TRUE(matches(edge, 65534));
  CHECK_FALSE(matches(edge, 65535));
  PortSet zero = ok("!0");
  CHECK_FALSE(matches(zero, 0));
  CHECK_TRUE(matches(zero, 1));
}

TEST(PortSpec, Variables) {
  CHECK_TRUE(matches(ok("$HTTP_PORTS"), 80));
  PortSet sc = ok("$SHELLCODE_PORTS");
  CHECK_FALSE(matches(sc, 80));
  CHECK_TRUE(matches(sc, 81));
  PortSet fd = ok("$FILE_DATA_PORTS");
  CHECK_TRUE(matches(fd, 80));
  CHECK_TRUE(matches(fd, 110));
  CHECK_TRUE(matches(fd, 143));
  CHECK_FALSE(matches(fd, 25));
  CHECK_TRUE(matches(ok("$ORACLE_PORTS"), 1521));
  CHECK_TRUE(matches(ok("$SSH_PORTS"), 22));
  CHECK_TRUE(matches(ok("$DNP3_PORTS"), 20000));
  CHECK_TRUE(matches(ok("$MODBUS_PORTS"), 502));
  CHECK_TRUE(matches(ok("$FTP_PORTS"), 21));
  CHECK_TRUE(matches(ok("$GENEVE_PORTS"), 6081));
  CHECK_TRUE(matches(ok("$VXLAN_PORTS"), 4789));
  CHECK_TRUE(matches(ok("$TEREDO_PORTS"), 3544));
  RuleVars vars;
  vars.ports["HTTP_PORTS"] = "[80,8080,8000:8010]";
  PortSet fd2 = ok("$FILE_DATA_PORTS", vars);
  CHECK_TRUE(matches(fd2, 8005));
  CHECK_TRUE(matches(fd2, 143));
  PortSet notweb = ok("!$HTTP_PORTS", vars);
  CHECK_FALSE(matches(notweb, 8080));
  CHECK_TRUE(matches(notweb, 443));
}

TEST(PortSpec, Errors) {
  check_reason(RuleErrorReason::bad_port, bad("65536"));
  check_reason(RuleErrorReason::bad_port, bad("99999999999999999999"));
  check_reason(RuleErrorReason::bad_port, bad("1:65536"));
  check_reason(RuleErrorReason::bad_port, bad("-1"));
  check_reason(RuleErrorReason::bad_port, bad("http"));
  check_reason(RuleErrorReason::bad_port, bad(":"));
  check_reason(RuleErrorReason::bad_port, bad("1:2:3"));
  check_reason(RuleErrorReason::bad_port, bad(""));
  check_reason(RuleErrorReason::bad_port, bad("[80,]"));
  check_reason(RuleErrorReason::reversed_range, bad("2048:1024"));
  check_reason(RuleErrorReason::unbalanced_brackets, bad("[80,443"));
  check_reason(RuleErrorReason::unbalanced_brackets, bad("80]"));
  check_reason(RuleErrorReason::unknown_variable, bad("$NO_SUCH_PORTS"));
  check_reason(RuleErrorReason::unknown_variable, bad("$HOME_NET"));  // an address variable
  check_reason(RuleErrorReason::negated_any, bad("!any"));
  check_reason(RuleErrorReason::negated_any, bad("!0:65535"));
  check_reason(RuleErrorReason::negated_any, bad("![0:100,101:]"));
  check_reason(RuleErrorReason::contradiction, bad("[80,!80]"));
  check_reason(RuleErrorReason::contradiction, bad("![80,!80]"));
  RuleVars vars;
  vars.ports["SELF"] = "[1,$SELF]";
  check_reason(RuleErrorReason::recursive_variable, bad("$SELF", vars));
}

TEST(PortSpec, SeveralCutsAcrossSeveralRanges) {
  PortSet s = ok("[1:10, 20:30, 40:50, !5, !9:25, !45:100]");
  LONGS_EQUAL(4, s.ranges.size());
  LONGS_EQUAL(1, s.ranges[0].first);
  LONGS_EQUAL(4, s.ranges[0].last);
  LONGS_EQUAL(6, s.ranges[1].first);
  LONGS_EQUAL(8, s.ranges[1].last);
  LONGS_EQUAL(26, s.ranges[2].first);
  LONGS_EQUAL(30, s.ranges[2].last);
  LONGS_EQUAL(40, s.ranges[3].first);
  LONGS_EQUAL(44, s.ranges[3].last);
}

TEST(PortSpec, LongListsNormalizeToFewRanges) {
  std::string list = "[";
  for (int p = 0; p < 20000; p += 2) list += std::to_string(p) + "," + std::to_string(p + 1) + ",";
  list += "!19999]";
  PortSet s = ok(list.c_str());
  LONGS_EQUAL(1, s.ranges.size());
  LONGS_EQUAL(0, s.ranges[0].first);
  LONGS_EQUAL(19998, s.ranges[0].last);
}
