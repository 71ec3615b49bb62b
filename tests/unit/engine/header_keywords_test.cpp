// Header keywords (ttl, ip_proto, itype, icode, icmp_id, icmp_seq, flags, window, seq, ack):
// parsing of every form, every error, and the match against a DecodedPacket.
#include <CppUTest/TestHarness.h>

#include "tests/unit/engine/engine_test_util.h"

using namespace engine_test;

namespace {

// Parses `keyword: value` into fresh conditions; returns the status and keeps the error text.
struct Parsed {
  HeaderKeywordStatus status;
  HeaderConditions c;
  std::string error;
};

Parsed parse(std::string_view kw, std::string_view value) {
  Parsed p;
  p.status = parse_header_keyword(kw, value, p.c, p.error);
  return p;
}

bool ok(std::string_view kw, std::string_view value) {
  return parse(kw, value).status == HeaderKeywordStatus::ok;
}

// The error message of a failing value (fails the test when the value parses).
std::string error_of(std::string_view kw, std::string_view value) {
  const Parsed p = parse(kw, value);
  CHECK_TEXT(p.status == HeaderKeywordStatus::error,
             (std::string(kw) + ":" + std::string(value) + " should be an error").c_str());
  CHECK_TEXT(!p.error.empty(), "an error message is given");
  return p.error;
}

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

NumCondition num(std::string_view value, std::uint64_t max = 255) {
  std::string error;
  const auto c = parse_num_condition(value, max, "k", error);
  if (!c) FAIL(("parse_num_condition(" + std::string(value) + "): " + error).c_str());
  return *c;
}

DecodedPacket tcp_packet(std::uint8_t flags, std::uint16_t window = 1024, std::uint32_t seq = 1,
                         std::uint32_t ack = 2) {
  DecodedPacket p;
  p.family = IpFamily::v4;
  p.ip_proto = ipproto::tcp;
  p.ttl = 64;
  p.tcp_header_len = 20;
  p.tcp_flags = flags;
  p.window = window;
  p.seq = seq;
  p.ack = ack;
  return p;
}

// An ICMP packet whose l4 span has `l4_len` bytes.
struct IcmpPacket {
  std::vector<std::uint8_t> l4;
  DecodedPacket p;
  IcmpPacket(std::uint8_t proto, std::uint8_t type, std::uint8_t code, std::uint16_t id,
             std::uint16_t seq, std::size_t l4_len = 8)
      : l4(l4_len, 0) {
    p.family = proto == ipproto::icmp ? IpFamily::v4 : IpFamily::v6;
    p.ip_proto = proto;
    p.icmp_type = type;
    p.icmp_code = code;
    p.icmp_id = id;
    p.icmp_seq = seq;
    p.l4 = l4;
  }
};

bool match(std::string_view kw, std::string_view value, const DecodedPacket& p) {
  const Parsed parsed = parse(kw, value);
  if (parsed.status != HeaderKeywordStatus::ok) {
    FAIL((std::string(kw) + ":" + std::string(value) + ": " + parsed.error).c_str());
  }
  return header_match(parsed.c, p);
}

}  // namespace

TEST_GROUP(NumCondition){};

TEST(NumCondition, EveryOperatorForm) {
  CHECK(num("5").op == NumOp::eq);
  CHECK(num("=5").op == NumOp::eq);
  CHECK(num("!5").op == NumOp::ne);
  CHECK(num("<5").op == NumOp::lt);
  CHECK(num("<=5").op == NumOp::le);
  CHECK(num(">5").op == NumOp::gt);
  CHECK(num(">=5").op == NumOp::ge);
  const NumCondition r = num("3-7");
  CHECK(r.op == NumOp::range);
  UNSIGNED_LONGLONGS_EQUAL(3, r.a);
  UNSIGNED_LONGLONGS_EQUAL(7, r.b);
  const NumCondition r2 = num(" 3<>7 ");
  CHECK(r2.op == NumOp::range);
  UNSIGNED_LONGLONGS_EQUAL(7, r2.b);
}

TEST(NumCondition, RangesAreExclusiveAsInSuricata) {
  const NumCondition r = num("3<>7");
  CHECK_FALSE(r.matches(3));
  CHECK(r.matches(4));
  CHECK(r.matches(6));
  CHECK_FALSE(r.matches(7));
  CHECK(num("<=5").matches(5));
  CHECK_FALSE(num("<5").matches(5));
  CHECK(num(">=5").matches(5));
  CHECK_FALSE(num(">5").matches(5));
  CHECK(num("!5").matches(4));
  CHECK_FALSE(num("!5").matches(5));
}

TEST(NumCondition, Errors) {
  std::string e;
  CHECK_FALSE(parse_num_condition("", 255, "ttl", e));
  CHECK(contains(e, "ttl"));
  CHECK_FALSE(parse_num_condition("abc", 255, "ttl", e));
  CHECK_FALSE(parse_num_condition("256", 255, "ttl", e));      // out of range
  CHECK_FALSE(parse_num_condition("-1", 255, "ttl", e));
  CHECK_FALSE(parse_num_condition("7-3", 255, "ttl", e));      // reversed range
  CHECK(contains(e, "lower bound"));
  CHECK_FALSE(parse_num_condition("5-5", 255, "ttl", e));      // empty range
  CHECK_FALSE(parse_num_condition("1-300", 255, "ttl", e));    // upper bound out of range
  CHECK_FALSE(parse_num_condition("<", 255, "ttl", e));
  CHECK_FALSE(parse_num_condition("5x", 255, "ttl", e));
  CHECK_FALSE(parse_num_condition("<=-3", 255, "ttl", e));
  CHECK(parse_num_condition("4294967295", 0xffffffffULL, "seq", e).has_value());
  CHECK_FALSE(parse_num_condition("4294967296", 0xffffffffULL, "seq", e));
}

TEST_GROUP(HeaderKeywords){};

TEST(HeaderKeywords, NotMineForOtherKeywords) {
  CHECK(parse("content", "\"x\"").status == HeaderKeywordStatus::not_mine);
  CHECK(parse("flow", "established").status == HeaderKeywordStatus::not_mine);
  CHECK(parse("sid", "1").status == HeaderKeywordStatus::not_mine);
}

TEST(HeaderKeywords, TtlFormsAndMatch) {
  DecodedPacket p = tcp_packet(tcpflag::ack);
  p.ttl = 64;
  CHECK(match("ttl", "64", p));
  CHECK_FALSE(match("ttl", "63", p));
  CHECK(match("ttl", "<65", p));
  CHECK(match("ttl", ">=64", p));
  CHECK(match("ttl", "60-70", p));
  CHECK_FALSE(match("ttl", "64-70", p));
  CHECK(match("ttl", "!1", p));
  CHECK(contains(error_of("ttl", "256"), "ttl"));
  error_of("ttl", "x");
  error_of("ttl", "");
  error_of("ttl", "10-5");
}

TEST(HeaderKeywords, GivenTwiceIsAnError) {
  for (const char* kw : {"ttl", "ip_proto", "itype", "icode", "icmp_id", "icmp_seq", "flags",
                         "window", "seq", "ack"}) {
    HeaderConditions c;
    std::string e;
    const char* v = std::string_view(kw) == "flags" ? "S" : "1";
    CHECK_TEXT(parse_header_keyword(kw, v, c, e) == HeaderKeywordStatus::ok, kw);
    CHECK_TEXT(parse_header_keyword(kw, v, c, e) == HeaderKeywordStatus::error, kw);
    CHECK_TEXT(contains(e, "twice"), kw);
  }
}

TEST(HeaderKeywords, IpProtoNumbersAndNames) {
  DecodedPacket p = tcp_packet(tcpflag::ack);
  CHECK(match("ip_proto", "6", p));
  CHECK(match("ip_proto", "tcp", p));
  CHECK(match("ip_proto", "TCP", p));
  CHECK_FALSE(match("ip_proto", "udp", p));
  CHECK(match("ip_proto", "!udp", p));
  CHECK_FALSE(match("ip_proto", "!tcp", p));
  CHECK(match("ip_proto", ">1", p));
  CHECK(match("ip_proto", ">icmp", p));
  CHECK(match("ip_proto", "<udp", p));
  CHECK_FALSE(match("ip_proto", "<tcp", p));
  p.ip_proto = 132;
  CHECK(match("ip_proto", "sctp", p));
  p.ip_proto = 58;
  CHECK(match("ip_proto", "ipv6-icmp", p));
  CHECK(match("ip_proto", "icmpv6", p));
  p.ip_proto = 47;
  CHECK(match("ip_proto", "gre", p));
  CHECK(parse("ip_proto", "esp").c.ip_proto->a == 50);
  CHECK(parse("ip_proto", "ah").c.ip_proto->a == 51);
  error_of("ip_proto", "nosuchproto");
  error_of("ip_proto", "256");
  error_of("ip_proto", "");
  error_of("ip_proto", "!");
}

TEST(HeaderKeywords, IcmpTypeCodeIdSeq) {
  IcmpPacket echo(ipproto::icmp, 8, 0, 0x1234, 7);
  CHECK(match("itype", "8", echo.p));
  CHECK(match("itype", ">7", echo.p));
  CHECK(match("itype", "7<>9", echo.p));
  CHECK_FALSE(match("itype", "0", echo.p));
  CHECK(match("icode", "0", echo.p));
  CHECK_FALSE(match("icode", ">0", echo.p));
  CHECK(match("icmp_id", "4660", echo.p));
  CHECK_FALSE(match("icmp_id", "4661", echo.p));
  CHECK(match("icmp_seq", "7", echo.p));
  CHECK_FALSE(match("icmp_seq", "8", echo.p));
  error_of("itype", "256");
  error_of("icode", "x");
  error_of("icmp_id", "65536");
  error_of("icmp_seq", "70000");
  CHECK(ok("icmp_id", "65535"));
}

TEST(HeaderKeywords, IcmpIdOnlyOnMessagesThatCarryOne) {
  // Destination unreachable has no identifier: icmp_id / icmp_seq never match it.
  IcmpPacket unreach(ipproto::icmp, 3, 1, 0, 0);
  CHECK_FALSE(match("icmp_id", "0", unreach.p));
  CHECK_FALSE(match("icmp_seq", "0", unreach.p));
  CHECK(match("itype", "3", unreach.p));
  // Timestamp (13) carries one; ICMPv6 echo reply (129) too, an ICMPv6 type 8 does not.
  IcmpPacket ts(ipproto::icmp, 13, 0, 9, 1);
  CHECK(match("icmp_id", "9", ts.p));
  IcmpPacket v6reply(ipproto::icmpv6, 129, 0, 5, 6);
  CHECK(match("icmp_id", "5", v6reply.p));
  CHECK(match("icmp_seq", "6", v6reply.p));
  IcmpPacket v6odd(ipproto::icmpv6, 8, 0, 5, 6);
  CHECK_FALSE(match("icmp_id", "5", v6odd.p));
  // Too short for an id.
  IcmpPacket short_echo(ipproto::icmp, 8, 0, 5, 6, 6);
  CHECK_FALSE(match("icmp_id", "5", short_echo.p));
  CHECK(match("itype", "8", short_echo.p));
  IcmpPacket tiny(ipproto::icmp, 8, 0, 5, 6, 3);
  CHECK_FALSE(match("itype", "8", tiny.p));
}

TEST(HeaderKeywords, IcmpKeywordsNeverMatchTcp) {
  DecodedPacket p = tcp_packet(tcpflag::syn);
  CHECK_FALSE(match("itype", "0", p));
  CHECK_FALSE(match("icode", "<255", p));
  CHECK_FALSE(match("icmp_id", "0", p));
}

TEST(HeaderKeywords, TcpKeywordsNeverMatchOtherProtocols) {
  IcmpPacket echo(ipproto::icmp, 8, 0, 1, 1);
  CHECK_FALSE(match("flags", "0", echo.p));
  CHECK_FALSE(match("window", "!1", echo.p));
  CHECK_FALSE(match("seq", "0", echo.p));
  CHECK_FALSE(match("ack", "0", echo.p));
  DecodedPacket no_header = tcp_packet(0);
  no_header.tcp_header_len = 0;  // TCP not decoded
  CHECK_FALSE(match("flags", "0", no_header));
}

TEST(HeaderKeywords, FlagsExact) {
  using namespace tcpflag;
  CHECK(match("flags", "S", tcp_packet(syn)));
  CHECK_FALSE(match("flags", "S", tcp_packet(syn | ack)));
  CHECK(match("flags", "SA", tcp_packet(syn | ack)));
  CHECK(match("flags", "AS", tcp_packet(syn | ack)));
  CHECK(match("flags", "sa", tcp_packet(syn | ack)));
  CHECK(match("flags", "FSRPAUCE", tcp_packet(0xff)));
  CHECK(match("flags", "12", tcp_packet(cwr | ece)));
  CHECK(match("flags", "0", tcp_packet(0)));
  CHECK_FALSE(match("flags", "0", tcp_packet(ack)));
}

TEST(HeaderKeywords, FlagsModifiers) {
  using namespace tcpflag;
  // + : these and any others.
  CHECK(match("flags", "+S", tcp_packet(syn | ack)));
  CHECK(match("flags", "S+", tcp_packet(syn | ack)));
  CHECK_FALSE(match("flags", "+SF", tcp_packet(syn | ack)));
  // * : any of these.
  CHECK(match("flags", "*SF", tcp_packet(fin | ack)));
  CHECK_FALSE(match("flags", "*SF", tcp_packet(ack)));
  // ! : not these.
  CHECK(match("flags", "!S", tcp_packet(ack)));
  CHECK_FALSE(match("flags", "!S", tcp_packet(syn | ack)));
  const Parsed p = parse("flags", "!R");
  CHECK(p.c.flags->mode == TcpFlagsCondition::Mode::none);
  CHECK(parse("flags", "*SA").c.flags->mode == TcpFlagsCondition::Mode::any);
  CHECK(parse("flags", "+A").c.flags->mode == TcpFlagsCondition::Mode::all);
  CHECK(parse("flags", "A").c.flags->mode == TcpFlagsCondition::Mode::exact);
}

TEST(HeaderKeywords, FlagsIgnoreMask) {
  using namespace tcpflag;
  // SYN with ECN bits set matches `S,12` / `S,CE`, not plain `S`.
  CHECK(match("flags", "S,12", tcp_packet(syn | cwr | ece)));
  CHECK(match("flags", "S,CE", tcp_packet(syn | cwr | ece)));
  CHECK(match("flags", "S, CE", tcp_packet(syn | ece)));
  CHECK_FALSE(match("flags", "S", tcp_packet(syn | ece)));
  CHECK(match("flags", "+S,A", tcp_packet(syn | ack)));
  const Parsed p = parse("flags", "SA,U");
  UNSIGNED_LONGS_EQUAL(urg, p.c.flags->ignore);
  UNSIGNED_LONGS_EQUAL(syn | ack, p.c.flags->flags);
}

TEST(HeaderKeywords, FlagsErrors) {
  CHECK(contains(error_of("flags", "SX"), "unknown flag"));
  CHECK(contains(error_of("flags", "S,Z"), "unknown flag"));
  error_of("flags", "");
  error_of("flags", "+");
  error_of("flags", "!");
  error_of("flags", "S3");
}

TEST(HeaderKeywords, WindowAndNegation) {
  CHECK(match("window", "1024", tcp_packet(tcpflag::ack, 1024)));
  CHECK_FALSE(match("window", "1025", tcp_packet(tcpflag::ack, 1024)));
  CHECK(match("window", "!1025", tcp_packet(tcpflag::ack, 1024)));
  CHECK_FALSE(match("window", "!1024", tcp_packet(tcpflag::ack, 1024)));
  CHECK(match("tcp.window", "0", tcp_packet(tcpflag::ack, 0)));
  CHECK(parse("window", "!5").c.window_negated);
  error_of("window", "65536");
  error_of("window", ">5");  // only N or !N
  error_of("window", "1-9");
  error_of("window", "!");
  error_of("window", "");
}

TEST(HeaderKeywords, SeqAndAck) {
  CHECK(match("seq", "12345", tcp_packet(tcpflag::ack, 1, 12345, 0)));
  CHECK_FALSE(match("seq", "12346", tcp_packet(tcpflag::ack, 1, 12345, 0)));
  CHECK(match("ack", "4294967295", tcp_packet(tcpflag::ack, 1, 0, 0xffffffffu)));
  CHECK(match("tcp.seq", "0", tcp_packet(tcpflag::ack, 1, 0, 0)));
  CHECK(match("tcp.ack", "7", tcp_packet(tcpflag::ack, 1, 0, 7)));
  error_of("seq", "4294967296");
  error_of("ack", ">5");
  error_of("seq", "x");
  error_of("ack", "");
}

TEST(HeaderKeywords, EmptyConditionsMatchEverything) {
  HeaderConditions c;
  CHECK_FALSE(c.any());
  CHECK(header_match(c, tcp_packet(0)));
  IcmpPacket echo(ipproto::icmp, 8, 0, 1, 1);
  CHECK(header_match(c, echo.p));
}

TEST(HeaderKeywords, SeveralConditionsAllMustHold) {
  HeaderConditions c;
  std::string e;
  CHECK(parse_header_keyword("flags", "S", c, e) == HeaderKeywordStatus::ok);
  CHECK(parse_header_keyword("ttl", ">100", c, e) == HeaderKeywordStatus::ok);
  CHECK(c.any());
  DecodedPacket p = tcp_packet(tcpflag::syn);
  p.ttl = 64;
  CHECK_FALSE(header_match(c, p));
  p.ttl = 128;
  CHECK(header_match(c, p));
}

// Suricata's FlagsMatch reads `!` as "not all of these" ((flags & dflags) != dflags): flags:!SA
// matches a bare SYN. (Snort 2 read it as "none of these".)
TEST(HeaderKeywords, FlagsNotMeansNotAllOfTheseAsInSuricata) {
  CHECK(match("flags", "!SA", tcp_packet(tcpflag::syn)));
  CHECK_FALSE(match("flags", "!SA", tcp_packet(tcpflag::syn | tcpflag::ack)));
}
