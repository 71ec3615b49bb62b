// build_reject: the RST / ICMP unreachable a reject rule answers with, decoded back and checked.
#include <CppUTest/TestHarness.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "dataplane/decode/checksum.h"
#include "dataplane/decode/decode.h"
#include "dataplane/detect/engine/reject.h"

using namespace vigil;
using namespace vigil::detect;

namespace {

std::uint16_t fold(const std::uint8_t* d, std::size_t n, std::uint32_t acc = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) acc += (std::uint32_t{d[i]} << 8) | d[i + 1];
  if (n & 1) acc += std::uint32_t{d[n - 1]} << 8;
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint16_t>(acc);
}

// IPv4 (10.0.0.1 -> 10.0.0.2) carrying `l4` of protocol `proto`, checksums filled in.
std::vector<std::uint8_t> ipv4(std::uint8_t proto, std::vector<std::uint8_t> l4) {
  const std::size_t len = 20 + l4.size();
  std::vector<std::uint8_t> d(len);
  d[0] = 0x45;
  d[2] = static_cast<std::uint8_t>(len >> 8);
  d[3] = static_cast<std::uint8_t>(len);
  d[8] = 64;
  d[9] = proto;
  d[12] = 10; d[15] = 1;
  d[16] = 10; d[19] = 2;
  const std::uint16_t c = static_cast<std::uint16_t>(~fold(d.data(), 20));
  d[10] = static_cast<std::uint8_t>(c >> 8);
  d[11] = static_cast<std::uint8_t>(c);
  if (proto == 6) {
    std::uint32_t acc = fold(d.data() + 12, 8) + 6 + static_cast<std::uint32_t>(l4.size());
    const std::uint16_t tc = static_cast<std::uint16_t>(~fold(l4.data(), l4.size(), acc));
    l4[16] = static_cast<std::uint8_t>(tc >> 8);
    l4[17] = static_cast<std::uint8_t>(tc);
  }
  std::copy(l4.begin(), l4.end(), d.begin() + 20);
  return d;
}

std::vector<std::uint8_t> tcp(std::uint32_t seq, std::uint32_t ack, std::uint8_t flags,
                              const char* payload) {
  const std::size_t n = std::strlen(payload);
  std::vector<std::uint8_t> t(20 + n);
  std::memcpy(t.data() + 20, payload, n);
  t[0] = 0x9c; t[1] = 0x40;  // 40000
  t[2] = 0x00; t[3] = 0x50;  // 80
  t[4] = static_cast<std::uint8_t>(seq >> 24); t[5] = static_cast<std::uint8_t>(seq >> 16);
  t[6] = static_cast<std::uint8_t>(seq >> 8); t[7] = static_cast<std::uint8_t>(seq);
  t[8] = static_cast<std::uint8_t>(ack >> 24); t[9] = static_cast<std::uint8_t>(ack >> 16);
  t[10] = static_cast<std::uint8_t>(ack >> 8); t[11] = static_cast<std::uint8_t>(ack);
  t[12] = 5 << 4;
  t[13] = flags;
  t[14] = 0xff; t[15] = 0xff;
  return t;
}

DecodedPacket decode(const std::vector<std::uint8_t>& d) {
  DecodedPacket p;
  DecodeCounters c{};
  CHECK(decode_ip(d, p, c) == DecodeStatus::ok);
  return p;
}

}  // namespace

TEST_GROUP(Reject) {
  std::array<std::uint8_t, kMaxRejectLen> out{};
};

TEST(Reject, TcpRstToTheSenderIsAcceptable) {
  const auto pkt = ipv4(6, tcp(1000, 5000, tcpflag::psh | tcpflag::ack, "GET /evil"));
  const DecodedPacket p = decode(pkt);
  const std::size_t n = build_reject(p, RejectTarget::source, out);
  CHECK(n == 40);
  const std::vector<std::uint8_t> answer(out.begin(), out.begin() + n);  // outlives r's spans
  const DecodedPacket r = decode(answer);
  CHECK(r.src == p.dst);
  CHECK(r.dst == p.src);
  LONGS_EQUAL(80, r.sport);
  LONGS_EQUAL(40000, r.dport);
  LONGS_EQUAL(tcpflag::rst | tcpflag::ack, r.tcp_flags);
  LONGS_EQUAL(5000, r.seq);      // the sender's ack
  LONGS_EQUAL(1000 + 9, r.ack);  // the sender's seq + its payload
  CHECK(tcp_checksum_ok(r));
  LONGS_EQUAL(0xffff, fold(out.data(), 20));  // IPv4 header checksum
}

TEST(Reject, TcpRstToTheReceiverContinuesTheSendersSequence) {
  const auto pkt = ipv4(6, tcp(1000, 5000, tcpflag::syn, ""));  // outlives p\'s spans
  const DecodedPacket p = decode(pkt);
  const std::size_t n = build_reject(p, RejectTarget::destination, out);
  const std::vector<std::uint8_t> answer(out.begin(), out.begin() + n);  // outlives r's spans
  const DecodedPacket r = decode(answer);
  CHECK(r.src == p.src);
  LONGS_EQUAL(tcpflag::rst, r.tcp_flags);
  LONGS_EQUAL(1001, r.seq);  // a SYN counts one
  CHECK(tcp_checksum_ok(r));
}

TEST(Reject, NeverAnswersAnRst) {
  const auto pkt = ipv4(6, tcp(1, 2, tcpflag::rst, ""));  // outlives p\'s spans
  const DecodedPacket p = decode(pkt);
  LONGS_EQUAL(0, build_reject(p, RejectTarget::source, out));
}

TEST(Reject, UdpGetsPortUnreachableQuotingHeaderAnd8Bytes) {
  std::vector<std::uint8_t> udp = {0x13, 0x88, 0x00, 0x35, 0x00, 0x14, 0x00, 0x00};
  for (int i = 0; i < 12; ++i) udp.push_back(static_cast<std::uint8_t>('a' + i));
  const auto pkt = ipv4(17, udp);
  const DecodedPacket p = decode(pkt);
  const std::size_t n = build_reject(p, RejectTarget::source, out);
  LONGS_EQUAL(20 + 8 + 28, n);
  const std::vector<std::uint8_t> answer(out.begin(), out.begin() + n);  // outlives r's spans
  const DecodedPacket r = decode(answer);
  LONGS_EQUAL(1, r.ip_proto);
  LONGS_EQUAL(3, r.icmp_type);
  LONGS_EQUAL(3, r.icmp_code);
  CHECK(r.dst == p.src);
  CHECK(std::memcmp(out.data() + 28, pkt.data(), 28) == 0);
  LONGS_EQUAL(0xffff, fold(out.data() + 20, n - 20));  // ICMP checksum
}

TEST(Reject, IcmpErrorsAreNotAnswered) {
  std::vector<std::uint8_t> icmp = {3, 3, 0, 0, 0, 0, 0, 0};
  const auto pkt = ipv4(1, icmp);  // outlives p\'s spans
  const DecodedPacket p = decode(pkt);
  LONGS_EQUAL(0, build_reject(p, RejectTarget::source, out));
}

TEST(Reject, SmallBufferGivesNothing) {
  const auto pkt = ipv4(6, tcp(1, 2, tcpflag::ack, "x"));  // outlives p\'s spans
  const DecodedPacket p = decode(pkt);
  std::array<std::uint8_t, 64> small{};
  LONGS_EQUAL(0, build_reject(p, RejectTarget::source, small));
}

// The same checksum routine serves `-k all`: a segment with one byte changed fails it.
TEST(Reject, TcpChecksumCatchesACorruptedSegment) {
  auto pkt = ipv4(6, tcp(1000, 5000, tcpflag::psh | tcpflag::ack, "payload"));
  CHECK(tcp_checksum_ok(decode(pkt)));
  pkt.back() ^= 0x01;
  const DecodedPacket bad = decode(pkt);
  CHECK_FALSE(tcp_checksum_ok(bad));
}
