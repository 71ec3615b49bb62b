#include <CppUTest/TestHarness.h>

#include <array>
#include <cstdint>
#include <vector>

#include "control/board/rss_key.h"

using namespace vigil::board;

namespace {

// The key of Microsoft's RSS verification suite (not symmetric).
const std::array<std::uint8_t, 40> kMsKey = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

std::vector<std::uint8_t> v4_tuple(std::array<std::uint8_t, 4> src, std::array<std::uint8_t, 4> dst,
                                   std::uint16_t sport, std::uint16_t dport) {
  std::vector<std::uint8_t> in(12);
  for (std::size_t i = 0; i < 4; ++i) {
    in[i] = src[i];
    in[4 + i] = dst[i];
  }
  in[8] = static_cast<std::uint8_t>(sport >> 8);
  in[9] = static_cast<std::uint8_t>(sport);
  in[10] = static_cast<std::uint8_t>(dport >> 8);
  in[11] = static_cast<std::uint8_t>(dport);
  return in;
}

std::vector<std::uint8_t> v6_tuple(std::uint8_t s, std::uint8_t d, std::uint16_t sport,
                                   std::uint16_t dport) {
  std::vector<std::uint8_t> in;
  for (int i = 0; i < 16; ++i) in.push_back(static_cast<std::uint8_t>(s + i * 7));
  for (int i = 0; i < 16; ++i) in.push_back(static_cast<std::uint8_t>(d + i * 13));
  in.push_back(static_cast<std::uint8_t>(sport >> 8));
  in.push_back(static_cast<std::uint8_t>(sport));
  in.push_back(static_cast<std::uint8_t>(dport >> 8));
  in.push_back(static_cast<std::uint8_t>(dport));
  return in;
}

std::vector<std::uint8_t> swapped_v6(const std::vector<std::uint8_t>& t) {
  std::vector<std::uint8_t> out(t.begin() + 16, t.begin() + 32);
  out.insert(out.end(), t.begin(), t.begin() + 16);
  out.insert(out.end(), t.begin() + 34, t.begin() + 36);
  out.insert(out.end(), t.begin() + 32, t.begin() + 34);
  return out;
}

}  // namespace

TEST_GROUP(RssKey){};

TEST(RssKey, ToeplitzMatchesTheMicrosoftVector) {
  // 66.9.149.187:2794 -> 161.142.100.80:1766, IPv4 with TCP ports.
  const auto in = v4_tuple({66, 9, 149, 187}, {161, 142, 100, 80}, 2794, 1766);
  LONGS_EQUAL(0x51ccc178u, toeplitz_hash(kMsKey, in));
  // Addresses only.
  LONGS_EQUAL(0x323e8fc2u, toeplitz_hash(kMsKey, std::span(in).first(8)));
}

TEST(RssKey, DefaultKeyIsSymmetric) {
  RssConfig rss;
  default_rss_key(rss);
  LONGS_EQUAL(52, rss.key_len);
  const std::span<const std::uint8_t> key(rss.key.data(), rss.key_len);
  CHECK(rss_key_is_symmetric(key));
  CHECK(rss_key_is_symmetric(key.first(40)));  // the 40-byte prefix too
  const auto a = v4_tuple({10, 0, 0, 2}, {192, 168, 1, 1}, 40000, 443);
  const auto b = v4_tuple({192, 168, 1, 1}, {10, 0, 0, 2}, 443, 40000);
  CHECK_EQUAL(toeplitz_hash(key, a), toeplitz_hash(key, b));
  const auto c = v6_tuple(0x20, 0xfe, 5353, 53);
  CHECK_EQUAL(toeplitz_hash(key, c), toeplitz_hash(key, swapped_v6(c)));
  // And it still spreads: different flows, different hashes.
  const auto d = v4_tuple({10, 0, 0, 3}, {192, 168, 1, 1}, 40000, 443);
  CHECK(toeplitz_hash(key, a) != toeplitz_hash(key, d));
}

TEST(RssKey, MicrosoftKeyIsNotSymmetric) {
  CHECK_FALSE(rss_key_is_symmetric(kMsKey));
  const auto a = v4_tuple({66, 9, 149, 187}, {161, 142, 100, 80}, 2794, 1766);
  const auto b = v4_tuple({161, 142, 100, 80}, {66, 9, 149, 187}, 1766, 2794);
  CHECK(toeplitz_hash(kMsKey, a) != toeplitz_hash(kMsKey, b));
}

TEST(RssKey, ShortKeysAreNeverSymmetric) {
  RssConfig rss;
  default_rss_key(rss, 40);
  CHECK_FALSE(rss_key_is_symmetric(std::span<const std::uint8_t>(rss.key.data(), 39)));
}

TEST(RssKey, APeriodFourKeyIsSymmetricOnlyWhenTheHalvesMatch) {
  // Repeating every 4 bytes keeps the addresses (shift 32) but not the ports (shift 16).
  std::array<std::uint8_t, 40> key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(0x11 * (i % 4 + 1));
  CHECK_FALSE(rss_key_is_symmetric(key));
}

TEST(RssKey, HashIgnoresInputBeyondTheKeyWindow) {
  RssConfig rss;
  default_rss_key(rss, 40);
  const std::span<const std::uint8_t> key(rss.key.data(), 40);
  std::vector<std::uint8_t> in(36, 0xab);
  std::vector<std::uint8_t> longer(100, 0xab);
  CHECK_EQUAL(toeplitz_hash(key, in), toeplitz_hash(key, longer));
  CHECK_EQUAL(0u, toeplitz_hash(key.first(3), in));
}
