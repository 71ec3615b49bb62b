// vigil_pcapgen: checksums and layouts verified with the test's own arithmetic, fragmentation,
// DNS name compression, TCP loss shapes, the UDP flood (in memory and on disk), determinism.
#include <CppUTest/TestHarness.h>
#include <pcap/pcap.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

#include "tools/pcapgen/app/dns.h"
#include "tools/pcapgen/pcapgen.h"
#include "tools/pcapgen/scenarios/building_blocks.h"

using namespace vigil::pcapgen;

namespace {

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

// RFC 1071 sum written out again here, so the library is not checked against itself.
std::uint32_t sum16(const std::uint8_t* p, std::size_t n, std::uint32_t sum = 0) {
  for (std::size_t i = 0; i < n; ++i) sum += (i % 2 == 0) ? p[i] << 8 : p[i];
  return sum;
}
std::uint16_t fold(std::uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

void check_ipv4_header_checksum(const std::uint8_t* ip) {
  UNSIGNED_LONGS_EQUAL(0xffff, fold(sum16(ip, (ip[0] & 0x0f) * 4u)));
}

// An unfragmented IPv4 datagram's header checksum and its TCP/UDP checksum both verify.
void check_ipv4_checksums(const std::uint8_t* ip) {
  const std::size_t hlen = (ip[0] & 0x0f) * 4u;
  const std::size_t total = be16(ip + 2);
  check_ipv4_header_checksum(ip);
  const std::uint8_t proto = ip[9];
  if (proto != 6 && proto != 17) return;
  std::uint32_t pseudo = sum16(ip + 12, 8);
  pseudo += proto + (total - hlen);
  UNSIGNED_LONGS_EQUAL(0xffff, fold(sum16(ip + hlen, total - hlen, pseudo)));
}

// Follows compression pointers to read a name at `off` in a DNS message.
std::string read_name(const Bytes& m, std::size_t off) {
  std::string name;
  for (int hops = 0; hops < 20; ++hops) {
    const std::uint8_t len = m.at(off);
    if (len == 0) return name;
    if ((len & 0xc0) == 0xc0) {
      off = static_cast<std::size_t>((len & 0x3f) << 8 | m.at(off + 1));
      continue;
    }
    if (!name.empty()) name += '.';
    name.append(reinterpret_cast<const char*>(&m.at(off + 1)), len);
    off += 1 + len;
  }
  FAIL("compression loop");
  return name;
}

}  // namespace

TEST_GROUP(PcapgenPackets){};

TEST(PcapgenPackets, TcpSegmentChecksumsVerify) {
  IpFields h;
  h.src = ipv4("192.0.2.1");
  h.dst = ipv4("198.51.100.7");
  h.proto = proto::tcp;
  TcpFields t;
  t.sport = 40000;
  t.dport = 80;
  t.seq = 1;
  t.ack = 2;
  t.flags = tcpflag::ack | tcpflag::psh;
  t.options = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
  const std::string payload = "GET / HTTP/1.1\r\n\r\n";  // odd length exercises the padding byte
  const Bytes d = ip_datagram(h, tcp_segment(h.src, h.dst, t, as_bytes(payload + "x")));
  check_ipv4_checksums(d.data());
  BYTES_EQUAL(0x80, d[20 + 12]);  // data offset 8 words: 20 + 12 option bytes
}

TEST(PcapgenPackets, Ipv6UdpChecksumCoversThePseudoHeader) {
  const IpAddr src = ipv6("2001:db8::1"), dst = ipv6("2001:db8::2");
  const Bytes u = udp_datagram(src, dst, 5353, 53, as_bytes("query"));
  std::uint32_t pseudo = sum16(src.bytes.data(), 16);
  pseudo = sum16(dst.bytes.data(), 16, pseudo);
  pseudo += 17 + u.size();
  UNSIGNED_LONGS_EQUAL(0xffff, fold(sum16(u.data(), u.size(), pseudo)));
}

TEST(PcapgenPackets, Ipv4FragmentsCoverTheDatagramOnEightByteBoundaries) {
  IpFields h;
  h.src = ipv4("192.168.10.1");
  h.dst = ipv4("192.168.10.21");
  h.proto = proto::udp;
  h.id = 0x1234;
  Bytes l4(3000);
  for (std::size_t i = 0; i < l4.size(); ++i) l4[i] = static_cast<std::uint8_t>(i * 7);
  const auto frags = ip_fragments(h, l4, 1500, 0);
  UNSIGNED_LONGS_EQUAL(3, frags.size());
  Bytes rebuilt;
  for (std::size_t i = 0; i < frags.size(); ++i) {
    const Bytes& f = frags[i];
    check_ipv4_header_checksum(f.data());
    CHECK(f.size() <= 1500);
    const std::uint16_t field = be16(&f[6]);
    CHECK_EQUAL(i + 1 < frags.size(), (field & 0x2000) != 0);
    UNSIGNED_LONGS_EQUAL(rebuilt.size(), (field & 0x1fff) * 8u);
    UNSIGNED_LONGS_EQUAL(0x1234, be16(&f[4]));
    rebuilt.insert(rebuilt.end(), f.begin() + 20, f.end());
  }
  CHECK(rebuilt == l4);
}

TEST(PcapgenPackets, Ipv6FragmentsCarryAFragmentHeader) {
  IpFields h;
  h.src = ipv6("2001:db8:10::1");
  h.dst = ipv6("2001:db8:10::21");
  h.proto = proto::udp;
  const Bytes l4(3000, 0xab);
  const auto frags = ip_fragments(h, l4, 1500, 0x5a000001);
  UNSIGNED_LONGS_EQUAL(3, frags.size());
  std::size_t next = 0;
  for (std::size_t i = 0; i < frags.size(); ++i) {
    const Bytes& f = frags[i];
    BYTES_EQUAL(44, f[6]);   // next header: fragment
    BYTES_EQUAL(17, f[40]);  // fragment header's next header: UDP
    const std::uint16_t field = be16(&f[42]);
    UNSIGNED_LONGS_EQUAL(next, field & 0xfff8u);
    CHECK_EQUAL(i + 1 < frags.size(), (field & 1) != 0);
    UNSIGNED_LONGS_EQUAL(f.size() - 40, be16(&f[4]));
    next += f.size() - 48;
  }
  UNSIGNED_LONGS_EQUAL(l4.size(), next);
}

TEST(PcapgenPackets, DnsNamesAreCompressed) {
  DnsMessage q;
  q.id = 7;
  q.questions.push_back({"www.example.com", dnstype::a});
  const DnsMessage r = dns_response(q, {dns_cname("www.example.com", "web.example.com", 60),
                                        dns_a("web.example.com", ipv4("192.0.2.5"), 60)});
  const Bytes m = dns_encode(r);
  // The answer's owner name is a pointer to the question name at offset 12.
  const std::size_t answer = 12 + 17 + 4;
  UNSIGNED_LONGS_EQUAL(0xc00c, be16(&m[answer]));
  // The CNAME target reuses "example.com" from the question: one label, then a pointer.
  const std::size_t rdata = answer + 2 + 10;
  BYTES_EQUAL(3, m[rdata]);
  UNSIGNED_LONGS_EQUAL(0xc0, m[rdata + 4] & 0xc0);
  STRCMP_EQUAL("web.example.com", read_name(m, rdata).c_str());
}

TEST_GROUP(PcapgenTcp){};

TEST(PcapgenTcp, LossAfterTheSensorShowsTheSegmentTwice) {
  Capture cap;
  Rng r = rng_seeded(1);
  const Host client = lan_host(ipv4("10.0.0.1"), mac("02:00:00:00:00:01"), 64, 100 * kUs);
  const Host server = remote_host(ipv4("10.0.0.2"), mac("02:00:00:00:00:02"), 64, 4, 5 * kMs);
  TcpSession s = tcp_session(conversation(cap, r, client, 40000, server, 80, kEpochNs), r,
                             TcpStack::linux_host, TcpStack::linux_host);
  tcp_connect(s);
  SendShape shape;
  shape.lost_segment = 3;
  tcp_send(s, Side::server, Bytes(30 * 1448, 0x55), shape);
  std::map<std::uint32_t, int> data_segments;  // seq -> times seen
  for (const Frame& f : cap.frames) {
    const std::uint8_t* ip = f.data.data() + 14;
    const std::size_t tcp_len = be16(ip + 2) - 20u;
    const std::uint8_t* tcp = ip + 20;
    if (tcp_len > (tcp[12] >> 4) * 4u) ++data_segments[static_cast<std::uint32_t>(be16(tcp + 4) << 16 | be16(tcp + 6))];
  }
  int twice = 0;
  for (const auto& [seq, n] : data_segments) twice += n == 2 ? 1 : 0;
  UNSIGNED_LONGS_EQUAL(30, data_segments.size());
  LONGS_EQUAL(1, twice);
}

TEST(PcapgenTcp, LossBeforeTheSensorShowsOnlyTheRetransmission) {
  Capture cap;
  Rng r = rng_seeded(2);
  const Host client = lan_host(ipv4("10.0.0.1"), mac("02:00:00:00:00:01"), 64, 100 * kUs);
  const Host server = remote_host(ipv4("10.0.0.2"), mac("02:00:00:00:00:02"), 64, 4, 5 * kMs);
  TcpSession s = tcp_session(conversation(cap, r, client, 40000, server, 80, kEpochNs), r,
                             TcpStack::linux_host, TcpStack::linux_host);
  tcp_connect(s);
  const std::size_t handshake = cap.frames.size();
  SendShape shape;
  shape.lost_segment = 2;
  shape.lost_before_sensor = true;
  tcp_send(s, Side::server, Bytes(5 * 1448, 0x55), shape);
  sort_by_time(cap);
  std::vector<std::uint32_t> seqs;
  for (std::size_t i = handshake; i < cap.frames.size(); ++i) {
    const std::uint8_t* ip = cap.frames[i].data.data() + 14;
    if (be16(ip + 2) - 20u > (ip[20 + 12] >> 4) * 4u)
      seqs.push_back(static_cast<std::uint32_t>(be16(ip + 24) << 16 | be16(ip + 26)));
  }
  UNSIGNED_LONGS_EQUAL(5, seqs.size());  // the lost original is not among them
  CHECK(seqs[4] > seqs[1] && seqs[4] < seqs[2]);  // the third segment comes last, retransmitted
}

TEST_GROUP(PcapgenFlood){};

TEST(PcapgenFlood, FramesHaveTheSizeFlowsAndChecksumsAsked) {
  UdpFloodSpec spec;
  spec.packets = 5000;
  spec.flows = 1000;
  spec.frame_size = 64;
  const PacketBatch b = make_udp_flood(spec);
  UNSIGNED_LONGS_EQUAL(5000, b.size());
  std::set<std::pair<std::uint32_t, std::uint16_t>> flows;
  for (std::size_t i = 0; i < b.size(); ++i) {
    const auto f = b.frame(i);
    UNSIGNED_LONGS_EQUAL(64, f.size());
    check_ipv4_checksums(f.data() + 14);
    const std::uint8_t* ip = f.data() + 14;
    flows.insert({static_cast<std::uint32_t>(be16(ip + 12) << 16 | be16(ip + 14)), be16(ip + 20)});
    if (i) CHECK(b.ts_ns[i] > b.ts_ns[i - 1]);
  }
  UNSIGNED_LONGS_EQUAL(1000, flows.size());
}

TEST(PcapgenFlood, FileHoldsTheSameFramesAsMemory) {
  UdpFloodSpec spec;
  spec.packets = 300;
  spec.flows = 7;
  spec.frame_size = 128;
  const PacketBatch b = make_udp_flood(spec);
  const auto path = std::filesystem::temp_directory_path() / "vigil-pcapgen-flood-test.pcap";
  write_udp_flood(path, spec);
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  CHECK_TEXT(p != nullptr, err);
  pcap_pkthdr* h = nullptr;
  const u_char* data = nullptr;
  std::size_t n = 0;
  while (pcap_next_ex(p, &h, &data) == 1) {
    UNSIGNED_LONGS_EQUAL(128, h->caplen);
    MEMCMP_EQUAL(b.frame(n).data(), data, 128);
    UNSIGNED_LONGS_EQUAL(b.ts_ns[n] % 1'000'000'000u, static_cast<unsigned long>(h->ts.tv_usec));
    ++n;
  }
  pcap_close(p);
  std::filesystem::remove(path);
  UNSIGNED_LONGS_EQUAL(300, n);
}

TEST(PcapgenFlood, RejectsImpossibleFrameSizes) {
  UdpFloodSpec spec;
  spec.packets = 1;
  spec.frame_size = 59;
  CHECK_THROWS(std::invalid_argument, make_udp_flood(spec));
  spec.frame_size = 1515;
  CHECK_THROWS(std::invalid_argument, make_udp_flood(spec));
}

TEST_GROUP(PcapgenScenarios){};

TEST(PcapgenScenarios, DemoIsTheSameEveryTimeAndInTimeOrder) {
  const Capture a = make_demo();
  const Capture b = make_demo();
  UNSIGNED_LONGS_EQUAL(a.frames.size(), b.frames.size());
  for (std::size_t i = 0; i < a.frames.size(); ++i) {
    CHECK(a.frames[i].data == b.frames[i].data);
    UNSIGNED_LONGS_EQUAL(a.frames[i].ts_ns, b.frames[i].ts_ns);
    if (i) CHECK(a.frames[i].ts_ns >= a.frames[i - 1].ts_ns);
  }
}

TEST(PcapgenScenarios, UnknownScenarioIsRejected) {
  CHECK_THROWS(std::invalid_argument, write_scenario("nonsense", std::filesystem::temp_directory_path()));
}
