// TCP: fixed header, header length checks, and each option with valid and malformed lengths.
#include <CppUTest/TestHarness.h>

#include "dataplane/decode/tcp/tcp_options.h"
#include "tests/unit/decode/packet_builder.h"

using namespace vigil;
using namespace vigil::test;

namespace {
Decoded tcp_over_v4(const TcpSpec& t, std::span<const std::uint8_t> payload = {}) {
  return decode(LinkType::ipv4, ipv4(Ipv4Spec{}, tcp(t, payload)));
}

Decoded with_options(std::vector<std::uint8_t> options) {
  TcpSpec t;
  t.flags = tcpflag::syn;
  t.options = std::move(options);
  return tcp_over_v4(t);
}

struct Parsed {
  TcpOptions opts{};
  DecodeCounters counters{};
};
Parsed parse(std::initializer_list<std::uint8_t> options) {
  const Packet bytes(options);
  Parsed p;
  parse_tcp_options(bytes, p.opts, p.counters);
  return p;
}
std::uint64_t total(const DecodeCounters& c) {
  std::uint64_t n = 0;
  for (auto v : c.values) n += v;
  return n;
}
}  // namespace

TEST_GROUP(DecodeTcp){};

TEST(DecodeTcp, FixedHeaderAndPayload) {
  TcpSpec t;
  t.sport = 1;
  t.dport = 65535;
  t.seq = 0xfffffff0;
  t.ack = 0x01020304;
  t.flags = 0xff;
  t.window = 512;
  const Packet data = text("payload");
  const Decoded d = tcp_over_v4(t, data);
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(1, d.pkt.sport);
  UNSIGNED_LONGS_EQUAL(65535, d.pkt.dport);
  UNSIGNED_LONGS_EQUAL(0xfffffff0, d.pkt.seq);
  UNSIGNED_LONGS_EQUAL(0x01020304, d.pkt.ack);
  UNSIGNED_LONGS_EQUAL(0xff, d.pkt.tcp_flags);
  UNSIGNED_LONGS_EQUAL(512, d.pkt.window);
  UNSIGNED_LONGS_EQUAL(20, d.pkt.tcp_header_len);
  UNSIGNED_LONGS_EQUAL(27, d.pkt.l4.size());
  MEMCMP_EQUAL(data.data(), d.pkt.payload.data(), data.size());
  UNSIGNED_LONGS_EQUAL(data.size(), d.pkt.payload.size());
  CHECK_FALSE(d.pkt.tcp_opts.has_mss);
}

TEST(DecodeTcp, TooSmallForTheFixedHeader) {
  const Packet seg = tcp(TcpSpec{}, {});
  const Decoded d = decode(LinkType::ipv4, ipv4(Ipv4Spec{}, std::span(seg).first(19)));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::tcp_pkt_too_small);
  CHECK(d.pkt.family == IpFamily::v4);
  UNSIGNED_LONGS_EQUAL(ipproto::tcp, d.pkt.ip_proto);
  UNSIGNED_LONGS_EQUAL(0, d.pkt.sport);
}

TEST(DecodeTcp, DataOffsetBelowFive) {
  TcpSpec t;
  t.data_offset = 4;
  const Decoded d = tcp_over_v4(t, text("abcd"));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::tcp_hlen_too_small);
  UNSIGNED_LONGS_EQUAL(0, d.pkt.sport);
}

TEST(DecodeTcp, HeaderLongerThanTheSegment) {
  TcpSpec t;
  t.data_offset = 15;  // 60 bytes, 28 present
  const Decoded d = tcp_over_v4(t, text("12345678"));
  CHECK_EQUAL(DecodeStatus::malformed, d.status);
  expect_only_event(d, DecodeEvent::tcp_pkt_too_small);
}

TEST(DecodeTcp, SynOptions) {
  // MSS 1460, NOP, window scale 7, SACK permitted, timestamps, then EOL padding.
  const Decoded d = with_options({2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2, 8, 10, 0, 0, 0, 9, 0, 0, 0,
                                  0, 0, 0, 0, 0});
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
  UNSIGNED_LONGS_EQUAL(44, d.pkt.tcp_header_len);
  const TcpOptions& o = d.pkt.tcp_opts;
  CHECK(o.has_mss);
  UNSIGNED_LONGS_EQUAL(1460, o.mss);
  CHECK(o.has_wscale);
  UNSIGNED_LONGS_EQUAL(7, o.wscale);
  CHECK(o.sack_permitted);
  CHECK(o.has_timestamp);
  UNSIGNED_LONGS_EQUAL(9, o.ts_val);
  UNSIGNED_LONGS_EQUAL(0, o.ts_ecr);
  UNSIGNED_LONGS_EQUAL(0, o.sack_count);
  CHECK(d.pkt.payload.empty());
}

TEST(DecodeTcp, TimestampValues) {
  const Decoded d = with_options({1, 1, 8, 10, 0x11, 0x22, 0x33, 0x44, 0xaa, 0xbb, 0xcc, 0xdd});
  UNSIGNED_LONGS_EQUAL(0x11223344, d.pkt.tcp_opts.ts_val);
  UNSIGNED_LONGS_EQUAL(0xaabbccdd, d.pkt.tcp_opts.ts_ecr);
}

TEST(DecodeTcp, SackOneBlock) {
  const Decoded d = with_options({1, 1, 5, 10, 0, 0, 0, 100, 0, 0, 0, 200});
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
  UNSIGNED_LONGS_EQUAL(1, d.pkt.tcp_opts.sack_count);
  UNSIGNED_LONGS_EQUAL(100, d.pkt.tcp_opts.sack[0].left);
  UNSIGNED_LONGS_EQUAL(200, d.pkt.tcp_opts.sack[0].right);
}

TEST(DecodeTcp, SackFourBlocks) {
  std::vector<std::uint8_t> o = {1, 1, 5, 34};
  for (std::uint8_t b = 1; b <= 4; ++b) o.insert(o.end(), {0, 0, 1, b, 0, 0, 2, b});
  const Decoded d = with_options(o);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
  UNSIGNED_LONGS_EQUAL(56, d.pkt.tcp_header_len);
  UNSIGNED_LONGS_EQUAL(4, d.pkt.tcp_opts.sack_count);
  for (unsigned b = 0; b < 4; ++b) {
    UNSIGNED_LONGS_EQUAL(0x100 + b + 1, d.pkt.tcp_opts.sack[b].left);
    UNSIGNED_LONGS_EQUAL(0x200 + b + 1, d.pkt.tcp_opts.sack[b].right);
  }
}

TEST(DecodeTcp, WindowScaleAboveFourteenIsClamped) {
  const Decoded d = with_options({3, 3, 15, 0});
  CHECK(d.pkt.tcp_opts.has_wscale);
  UNSIGNED_LONGS_EQUAL(14, d.pkt.tcp_opts.wscale);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
}

TEST(DecodeTcp, UnknownOptionsAreSkippedByLength) {
  // TCP Fast Open cookie (34, length 10), MD5 signature kind 19 (length 18), then MSS.
  std::vector<std::uint8_t> o = {34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 19, 18};
  o.resize(28, 0xaa);
  o.insert(o.end(), {2, 4, 0x02, 0x18});
  const Decoded d = with_options(o);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
  CHECK(d.pkt.tcp_opts.has_mss);
  UNSIGNED_LONGS_EQUAL(536, d.pkt.tcp_opts.mss);
}

TEST(DecodeTcp, EndOfOptionsStopsTheWalk) {
  const Decoded d = with_options({0, 2, 4, 0x05});
  CHECK_FALSE(d.pkt.tcp_opts.has_mss);
  UNSIGNED_LONGS_EQUAL(0, d.total_events());
}

TEST(DecodeTcp, KnownOptionsWithWrongLengths) {
  struct Case {
    std::vector<std::uint8_t> options;
  };
  const Case cases[] = {
      {{2, 3, 5, 0}},                             // MSS length 3
      {{2, 6, 5, 0xb4, 0, 0, 0, 0}},              // MSS length 6
      {{3, 4, 7, 0}},                             // window scale length 4
      {{3, 2, 1, 1}},                             // window scale length 2
      {{4, 3, 0, 1}},                             // SACK permitted length 3
      {{8, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0}},     // timestamps length 8
      {{5, 9, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1}},     // SACK not 2 + 8n
      {{5, 2, 1, 1}},                             // SACK without a block
  };
  for (const Case& c : cases) {
    const Decoded d = with_options(c.options);
    CHECK_EQUAL(DecodeStatus::ok, d.status);  // an anomaly, not a malformation
    expect_only_event(d, DecodeEvent::tcp_opt_invalid_len);
    const TcpOptions& o = d.pkt.tcp_opts;
    CHECK_FALSE(o.has_mss || o.has_wscale || o.sack_permitted || o.has_timestamp);
    UNSIGNED_LONGS_EQUAL(0, o.sack_count);
  }
}

TEST(DecodeTcp, WrongLengthOptionIsSkippedAndTheNextOneRead) {
  const Decoded d = with_options({2, 3, 5, 3, 3, 2, 1, 0});
  expect_only_event(d, DecodeEvent::tcp_opt_invalid_len);
  CHECK_FALSE(d.pkt.tcp_opts.has_mss);
  CHECK(d.pkt.tcp_opts.has_wscale);
  UNSIGNED_LONGS_EQUAL(2, d.pkt.tcp_opts.wscale);
}

TEST(DecodeTcp, SackWithFiveBlocksDoesNotFit) {
  // A TCP header cannot carry it; the parser is also used on bare option areas.
  std::vector<std::uint8_t> o = {5, 42};
  o.resize(42, 1);
  TcpOptions opts;
  DecodeCounters counters;
  parse_tcp_options(o, opts, counters);
  UNSIGNED_LONGS_EQUAL(1, counters.get(DecodeEvent::tcp_opt_invalid_len));
  UNSIGNED_LONGS_EQUAL(0, opts.sack_count);
}

TEST(DecodeTcp, UnusableOptionLengths) {
  struct Case {
    std::vector<std::uint8_t> options;
  };
  const Case cases[] = {
      {{2, 0, 0, 0}},  // length 0
      {{30, 1, 0, 0}}, // length 1
      {{1, 1, 8, 10}}, // runs past the header
      {{1, 1, 1, 2}},  // kind without a length byte
  };
  for (const Case& c : cases) {
    const Decoded d = with_options(c.options);
    CHECK_EQUAL(DecodeStatus::ok, d.status);
    expect_only_event(d, DecodeEvent::tcp_invalid_optlen);
    UNSIGNED_LONGS_EQUAL(20 + c.options.size(), d.pkt.tcp_header_len);
  }
}

TEST(DecodeTcp, UnusableLengthEndsTheWalk) {
  const Parsed p = parse({4, 2, 19, 0, 2, 4, 5, 0xb4});
  CHECK(p.opts.sack_permitted);
  CHECK_FALSE(p.opts.has_mss);  // after the bad option: not looked at
  UNSIGNED_LONGS_EQUAL(1, p.counters.get(DecodeEvent::tcp_invalid_optlen));
  UNSIGNED_LONGS_EQUAL(1, total(p.counters));
}

TEST(DecodeTcp, DuplicateOptionsKeepTheFirst) {
  const Decoded d = with_options({2, 4, 0x05, 0xb4, 2, 4, 0x02, 0x18});
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  expect_only_event(d, DecodeEvent::tcp_opt_duplicate);
  UNSIGNED_LONGS_EQUAL(1460, d.pkt.tcp_opts.mss);
}

TEST(DecodeTcp, EveryKnownOptionCanBeDuplicated) {
  const Parsed ws = parse({3, 3, 1, 3, 3, 2});
  UNSIGNED_LONGS_EQUAL(1, ws.counters.get(DecodeEvent::tcp_opt_duplicate));
  UNSIGNED_LONGS_EQUAL(1, ws.opts.wscale);
  const Parsed sp = parse({4, 2, 4, 2});
  UNSIGNED_LONGS_EQUAL(1, sp.counters.get(DecodeEvent::tcp_opt_duplicate));
  const Parsed ts = parse({8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 8, 10, 0, 0, 0, 2, 0, 0, 0, 0});
  UNSIGNED_LONGS_EQUAL(1, ts.counters.get(DecodeEvent::tcp_opt_duplicate));
  UNSIGNED_LONGS_EQUAL(1, ts.opts.ts_val);
  const Parsed sack = parse({5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 5, 10, 0, 0, 0, 3, 0, 0, 0, 4});
  UNSIGNED_LONGS_EQUAL(1, sack.counters.get(DecodeEvent::tcp_opt_duplicate));
  UNSIGNED_LONGS_EQUAL(1, sack.opts.sack[0].left);
}

TEST(DecodeTcp, OverIpv6) {
  Ipv6Spec ip;
  TcpSpec t;
  t.options = {2, 4, 0x04, 0xc4};
  const Decoded d = decode(LinkType::ipv6, ipv6(ip, tcp(t, text("x"))));
  CHECK_EQUAL(DecodeStatus::ok, d.status);
  UNSIGNED_LONGS_EQUAL(1220, d.pkt.tcp_opts.mss);
  UNSIGNED_LONGS_EQUAL(1, d.pkt.payload.size());
}
