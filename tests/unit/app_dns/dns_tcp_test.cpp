// TCP framing: messages split anywhere, several per segment, oversized ones skipped, gaps.
#include <CppUTest/TestHarness.h>

#include <memory>
#include <new>
#include <vector>

#include "dataplane/app/dns/dns_message.h"
#include "dataplane/app/dns/dns_tcp.h"
#include "dns_test_util.h"

using namespace vigil::app::dns;
using vigil::FlowDirection;
using vigil::app::dns::test::Msg;
using Bytes = std::vector<std::uint8_t>;

namespace {

struct Collect final : DnsMessageSink {
  std::vector<std::pair<FlowDirection, Bytes>> got;
  void on_dns_message(FlowDirection dir, std::span<const std::uint8_t> msg) override {
    got.emplace_back(dir, Bytes(msg.begin(), msg.end()));
  }
};

Msg query(unsigned id, const char* name) {
  Msg m;
  m.header(id, 0x0100, 1).question(name);
  return m;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace

TEST_GROUP(DnsTcp) {
  std::unique_ptr<DnsShared> shared = std::make_unique<DnsShared>();
  alignas(DnsTcpState) unsigned char slot[sizeof(DnsTcpState)];
  DnsTcpState* st = nullptr;
  Collect sink;

  void setup() override {
    // As the lead does it: placement-new into raw memory, then init.
    st = new (slot) DnsTcpState{};
    dns_tcp_init(*st);
  }
  void teardown() override { dns_tcp_close(*st); }
  void feed(FlowDirection d, std::span<const std::uint8_t> b) {
    dns_tcp_feed(*st, *shared, d, b, sink);
  }
  std::uint64_t count(DnsCounter c) const { return shared->counters().get(c); }
};

TEST(DnsTcp, FitsTheSlot) {
  CHECK(sizeof(DnsTcpState) <= vigil::app::kParserStateBytes);
}

TEST(DnsTcp, OneMessage) {
  const Msg q = query(1, "a.example");
  feed(FlowDirection::to_server, q.tcp());
  UNSIGNED_LONGS_EQUAL(1, sink.got.size());
  CHECK(sink.got[0].first == FlowDirection::to_server);
  CHECK(sink.got[0].second == q.b);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::tcp_messages));
}

TEST(DnsTcp, SplitAtEveryByte) {
  const Bytes stream = cat({query(1, "one.example").tcp(), query(2, "two.example").tcp(),
                            query(3, "three.example").tcp()});
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    setup();
    sink.got.clear();
    feed(FlowDirection::to_client, std::span(stream).first(cut));
    feed(FlowDirection::to_client, std::span(stream).subspan(cut));
    UNSIGNED_LONGS_EQUAL(3, sink.got.size());
    CHECK(sink.got[0].second == query(1, "one.example").b);
    CHECK(sink.got[1].second == query(2, "two.example").b);
    CHECK(sink.got[2].second == query(3, "three.example").b);
  }
}

TEST(DnsTcp, ByteByByteBothDirectionsInterleaved) {
  const Bytes q = query(7, "q.example").tcp();
  const Bytes r = query(8, "r.example").tcp();
  for (std::size_t i = 0; i < std::max(q.size(), r.size()); ++i) {
    if (i < q.size()) feed(FlowDirection::to_server, std::span(q).subspan(i, 1));
    if (i < r.size()) feed(FlowDirection::to_client, std::span(r).subspan(i, 1));
  }
  UNSIGNED_LONGS_EQUAL(2, sink.got.size());
  for (const auto& [dir, bytes] : sink.got) {
    CHECK(bytes == (dir == FlowDirection::to_server ? query(7, "q.example").b
                                                   : query(8, "r.example").b));
  }
}

TEST(DnsTcp, TwoMessagesInOneSegmentParse) {
  const Bytes seg = cat({query(1, "x.example").tcp(), query(2, "y.example").tcp()});
  feed(FlowDirection::to_server, seg);
  UNSIGNED_LONGS_EQUAL(2, sink.got.size());
  auto msg = std::make_unique<DnsMessage>();
  CHECK(dns_parse(sink.got[1].second, *shared, *msg) == DnsStatus::ok);
  SV_EQUAL("y.example", msg->questions[0].name);
}

TEST(DnsTcp, OversizedSkippedFramingKept) {
  Bytes big(2 + 40000, 0xab);
  big[0] = 40000 >> 8;
  big[1] = 40000 & 0xff;
  const Bytes stream =
      cat({query(1, "before.example").tcp(), big, query(2, "after.example").tcp()});
  // In pieces of 1000 bytes.
  for (std::size_t at = 0; at < stream.size(); at += 1000) {
    const std::size_t n = std::min<std::size_t>(1000, stream.size() - at);
    feed(FlowDirection::to_client, std::span(stream).subspan(at, n));
  }
  UNSIGNED_LONGS_EQUAL(2, sink.got.size());
  CHECK(sink.got[1].second == query(2, "after.example").b);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::tcp_message_too_large));
}

TEST(DnsTcp, LargestBufferedMessage) {
  Bytes body(kDnsTcpBufferBytes, 0x5a);
  Bytes framed(2 + body.size(), 0x5a);
  framed[0] = static_cast<std::uint8_t>(body.size() >> 8);
  framed[1] = static_cast<std::uint8_t>(body.size());
  feed(FlowDirection::to_server, std::span(framed).first(100));
  feed(FlowDirection::to_server, std::span(framed).subspan(100));
  UNSIGNED_LONGS_EQUAL(1, sink.got.size());
  CHECK(sink.got[0].second == body);
  framed[1] = static_cast<std::uint8_t>(framed[1] + 1);  // one byte more than the buffer
  framed.push_back(0x5a);
  feed(FlowDirection::to_server, framed);
  UNSIGNED_LONGS_EQUAL(1, sink.got.size());
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::tcp_message_too_large));
}

TEST(DnsTcp, EmptyMessageSkipped) {
  const Bytes stream = cat({Bytes{0, 0}, query(1, "z.example").tcp()});
  feed(FlowDirection::to_server, stream);
  UNSIGNED_LONGS_EQUAL(1, sink.got.size());
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::tcp_empty_message));
}

TEST(DnsTcp, GapLosesThatDirectionOnly) {
  const Bytes q = query(1, "g.example").tcp();
  feed(FlowDirection::to_server, std::span(q).first(5));
  dns_tcp_gap(*st, *shared, FlowDirection::to_server);
  feed(FlowDirection::to_server, q);
  feed(FlowDirection::to_client, q);
  UNSIGNED_LONGS_EQUAL(1, sink.got.size());
  CHECK(sink.got[0].first == FlowDirection::to_client);
  UNSIGNED_LONGS_EQUAL(1, count(DnsCounter::tcp_gaps));
  UNSIGNED_LONGS_EQUAL(q.size(), count(DnsCounter::tcp_bytes_after_gap));
}

TEST(DnsTcp, ClosedIgnoresData) {
  dns_tcp_close(*st);
  feed(FlowDirection::to_server, query(1, "c.example").tcp());
  UNSIGNED_LONGS_EQUAL(0, sink.got.size());
}
