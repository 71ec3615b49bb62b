// libFuzzer target for the DNS parser. The input is used three ways: as one DNS message
// (dns_parse, with its output checked against the parser's contract), as a probe candidate over
// UDP and TCP, and as a TCP byte stream cut into chunks (sizes drawn from the input itself) and
// fed to both directions, where every framed message must equal what feeding it whole gives.
// A contract violation traps, which libFuzzer reports as a crash.
#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <string_view>

#include "dataplane/app/dns/dns_message.h"
#include "dataplane/app/dns/dns_tcp.h"

namespace {

using namespace vigil::app::dns;
using vigil::FlowDirection;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

DnsShared& shared() {
  static DnsShared s;
  return s;
}

DnsMessage& message() {
  static DnsMessage m;
  return m;
}

// Reads every byte so AddressSanitizer sees a view that leaves its buffer.
std::uint32_t touch(std::string_view s) {
  std::uint32_t sum = 0;
  for (char c : s) sum += static_cast<unsigned char>(c);
  return sum;
}

void check_text(std::string_view s) {
  if (s.empty()) return;
  touch(s);
  for (char c : s) require(c >= 0x20 && c <= 0x7e);  // names and text are printable ASCII
}

void check_records(std::span<const DnsRecord> recs, std::span<const std::uint8_t> in) {
  require(recs.size() <= kMaxRecords);
  for (const DnsRecord& r : recs) {
    require(r.type != rrtype::opt);
    require(r.name.size() <= kMaxTextBytes);
    check_text(r.name);
    require(r.rdata_text.size() <= kMaxTextBytes);
    check_text(r.rdata_text);
    check_text(r.soa_rname);
    if (!r.rdata.empty()) {
      require(r.rdata.data() >= in.data() &&
              r.rdata.data() + r.rdata.size() <= in.data() + in.size());
    }
    if (!r.rdata_ok) require(r.rdata_text.empty());
  }
}

void parse_and_check(std::span<const std::uint8_t> in) {
  DnsMessage& m = message();
  const DnsStatus s = dns_parse(in, shared(), m);
  require(s == DnsStatus::ok || s == DnsStatus::truncated || s == DnsStatus::malformed);
  require(m.question_count <= kMaxQuestions && m.question_count <= m.qdcount);
  for (std::size_t i = 0; i < m.question_count; ++i) check_text(m.questions[i].name);
  check_records(dns_records(m, DnsSection::answer), in);
  check_records(dns_records(m, DnsSection::authority), in);
  check_records(dns_records(m, DnsSection::additional), in);
  require(m.answer_count <= m.ancount && m.authority_count <= m.nscount &&
          m.additional_count <= m.arcount);
  require(shared().scratch().used() <= shared().scratch().capacity());
  (void)dns_rrtype_name(m.question_count ? m.questions[0].type : 0);
  (void)dns_rcode_name(m.rcode);
  // A message the probe accepts has a question section the parser reads without error.
  if (dns_probe(in, false)) require(m.question_count == m.qdcount);
}

// Fingerprint of the framed messages: FNV-1a over (direction, length, bytes) of each.
struct Hasher final : DnsMessageSink {
  std::uint64_t h = 1469598103934665603ull;
  std::size_t n = 0;
  std::span<const std::uint8_t> input;
  void mix(std::uint64_t v) {
    h ^= v;
    h *= 1099511628211ull;
  }
  void on_dns_message(FlowDirection dir, std::span<const std::uint8_t> msg) override {
    require(!msg.empty() && msg.size() <= kDnsTcpBufferBytes);
    ++n;
    mix(static_cast<std::uint64_t>(dir));
    mix(msg.size());
    for (std::uint8_t b : msg) mix(b);
    parse_and_check(msg);
  }
};

alignas(DnsTcpState) unsigned char g_slot[sizeof(DnsTcpState)];

DnsTcpState& fresh_state() {
  auto* s = new (g_slot) DnsTcpState{};
  dns_tcp_init(*s);
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  parse_and_check(in);
  (void)dns_probe(in, true);

  // The whole input as one segment per direction.
  Hasher whole;
  DnsTcpState& a = fresh_state();
  dns_tcp_feed(a, shared(), FlowDirection::to_server, in, whole);
  dns_tcp_feed(a, shared(), FlowDirection::to_client, in, whole);
  dns_tcp_close(a);

  // The same bytes cut into chunks of 1..16 bytes (sizes from the input's own bytes), the two
  // directions interleaved: the framed messages must be the same.
  Hasher chunked;
  DnsTcpState& b = fresh_state();
  for (FlowDirection dir : {FlowDirection::to_server, FlowDirection::to_client}) {
    std::size_t at = 0, k = 0;
    while (at < size) {
      const std::size_t n = std::min<std::size_t>(size - at, 1 + (data[k++ % size] & 0x0f));
      dns_tcp_feed(b, shared(), dir, in.subspan(at, n), chunked);
      at += n;
    }
  }
  require(whole.n == chunked.n && whole.h == chunked.h);

  // A gap in the middle: no message may come out of that direction afterwards.
  Hasher gapped;
  DnsTcpState& c = fresh_state();
  dns_tcp_feed(c, shared(), FlowDirection::to_server, in.first(size / 2), gapped);
  const std::size_t before = gapped.n;
  dns_tcp_gap(c, shared(), FlowDirection::to_server);
  dns_tcp_feed(c, shared(), FlowDirection::to_server, in.subspan(size / 2), gapped);
  require(gapped.n == before);
  dns_tcp_close(c);
  return 0;
}
