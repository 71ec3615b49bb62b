// The software distributor: both directions of a flow, and every fragment of a datagram, go to
// one worker; many flows spread over the workers.
#include <CppUTest/TestHarness.h>

#include <set>

#include "control/appliance/appliance_worker.h"
#include "control/board/board_config.h"
#include "control/board/rss_key.h"
#include "tests/unit/decode/packet_builder.h"

using namespace vigil;
using namespace vigil::appliance;

namespace {

std::vector<std::uint8_t> key_bytes() {
  board::RssConfig rss;
  board::default_rss_key(rss);
  return {rss.key.begin(), rss.key.begin() + static_cast<std::ptrdiff_t>(rss.key_len)};
}

const RssHash& key() {
  static const RssHash h(key_bytes());
  return h;
}

// A minimal Ethernet + IPv4 frame with a TCP or UDP header.
std::vector<std::uint8_t> frame(std::uint8_t proto, std::uint32_t src, std::uint32_t dst,
                                std::uint16_t sport, std::uint16_t dport, std::uint16_t frag = 0) {
  std::vector<std::uint8_t> f(14 + 20 + 20, 0);
  f[12] = 0x08;
  f[14] = 0x45;
  f[14 + 6] = static_cast<std::uint8_t>(frag >> 8);
  f[14 + 7] = static_cast<std::uint8_t>(frag);
  f[14 + 9] = proto;
  for (int i = 0; i < 4; ++i) {
    f[14 + 12 + i] = static_cast<std::uint8_t>(src >> (24 - 8 * i));
    f[14 + 16 + i] = static_cast<std::uint8_t>(dst >> (24 - 8 * i));
  }
  f[34] = static_cast<std::uint8_t>(sport >> 8);
  f[35] = static_cast<std::uint8_t>(sport);
  f[36] = static_cast<std::uint8_t>(dport >> 8);
  f[37] = static_cast<std::uint8_t>(dport);
  return f;
}

}  // namespace

TEST_GROUP(FlowOwner){};

TEST(FlowOwner, BothDirectionsOfEveryFlowAgree) {
  const auto k = key();
  for (std::uint16_t workers : {2, 3, 4, 8}) {
    for (std::uint32_t i = 0; i < 500; ++i) {
      const std::uint32_t a = 0x0a000001 + i * 7919, b = 0xc0a80001 + i * 104729;
      const std::uint16_t sp = static_cast<std::uint16_t>(1024 + i * 13), dp = 443;
      for (std::uint8_t proto : {6, 17}) {
        LONGS_EQUAL(flow_owner(frame(proto, a, b, sp, dp), k, workers),
                    flow_owner(frame(proto, b, a, dp, sp), k, workers));
      }
    }
  }
}

TEST(FlowOwner, UdpFragmentsGoWithTheirDatagram) {
  const auto k = key();
  for (std::uint32_t i = 0; i < 200; ++i) {
    const std::uint32_t a = 0x0a000001 + i, b = 0x0a000101;
    const auto whole = flow_owner(frame(17, a, b, 5353, 53), k, 4);
    LONGS_EQUAL(whole, flow_owner(frame(17, a, b, 5353, 53, 0x2000 /* MF */), k, 4));
    LONGS_EQUAL(whole, flow_owner(frame(17, a, b, 0, 0, 0x00b9 /* offset */), k, 4));
  }
}

TEST(FlowOwner, TcpFlowsOfOneHostPairSpreadOverTheWorkers) {
  const auto k = key();
  std::set<std::uint16_t> used;
  for (std::uint16_t sp = 40000; sp < 40064; ++sp) {
    used.insert(flow_owner(frame(6, 0x0ac70101, 0x0ac70102, sp, 8080), k, 2));
  }
  LONGS_EQUAL(2, used.size());
}

TEST(FlowOwner, TableHashEqualsTheBitwiseToeplitz) {
  const auto kb = key_bytes();
  std::vector<std::uint8_t> in(36);
  for (int round = 0; round < 200; ++round) {
    for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::uint8_t>(round * 31 + i * 7);
    for (std::size_t len : {8, 12, 32, 36}) {
      UNSIGNED_LONGS_EQUAL(board::toeplitz_hash(kb, {in.data(), len}), key()({in.data(), len}));
    }
  }
}

TEST(FlowOwner, NonIpGoesToWorkerZero) {
  std::vector<std::uint8_t> arp(60, 0);
  arp[12] = 0x08;
  arp[13] = 0x06;
  LONGS_EQUAL(0, flow_owner(arp, key(), 4));
  LONGS_EQUAL(0, flow_owner({}, key(), 4));
}
