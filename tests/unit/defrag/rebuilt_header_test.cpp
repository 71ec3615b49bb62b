#include "dataplane/defrag/rebuilt_header.h"

#include <CppUTest/TestHarness.h>

#include <array>

using namespace vigil;

TEST_GROUP(RebuiltHeader){};

TEST(RebuiltHeader, Ipv4ChecksumKnownVector) {
  // A commonly quoted header whose checksum is 0xb861 (the field itself is ignored).
  const std::array<std::uint8_t, 20> h = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40,
                                          0x00, 0x40, 0x11, 0xff, 0xff, 0xc0, 0xa8,
                                          0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  LONGS_EQUAL(0xb861, ipv4_header_checksum(h));
}

TEST(RebuiltHeader, Ipv4FinishClearsMfAndOffsetKeepsDf) {
  std::array<std::uint8_t, 24> h = {0x46, 0, 0, 0, 0x12, 0x34, 0x7f, 0xff, 64,   17, 0, 0,
                                    10,   0, 0, 1, 10,   0,    0,    2,    0x94, 4,  0, 0};
  finish_ipv4_header(h, 1024);
  LONGS_EQUAL(0x04, h[2]);
  LONGS_EQUAL(0x00, h[3]);
  LONGS_EQUAL(0x40, h[6]);  // DF survives, MF and the 13-bit offset are gone
  LONGS_EQUAL(0x00, h[7]);
  LONGS_EQUAL(ipv4_header_checksum(h), h[10] << 8 | h[11]);
  LONGS_EQUAL(0x94, h[20]);
}

TEST(RebuiltHeader, Ipv6FinishPatchesNextHeaderAndLength) {
  std::array<std::uint8_t, 48> h{};
  h[0] = 0x60;
  h[6] = 0;    // hop-by-hop
  h[40] = 44;  // hop-by-hop names the fragment header
  CHECK(finish_ipv6_header(h, 40, 6, 5000));
  LONGS_EQUAL(0x13, h[4]);
  LONGS_EQUAL(0x88, h[5]);
  LONGS_EQUAL(6, h[40]);
  LONGS_EQUAL(0, h[6]);
  CHECK_FALSE(finish_ipv6_header(h, 48, 6, 5000));
  CHECK_FALSE(finish_ipv6_header(std::span(h).first(39), 6, 6, 5000));
}
