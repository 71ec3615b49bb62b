// Helpers shared by the rules unit tests.
#pragma once

#include <cstdint>
#include <string_view>

#include "dataplane/decode/decoded_packet.h"
#include "dataplane/detect/rules/address_set.h"

namespace rules_test {

// A literal address for matches(); the tests only pass valid literals.
inline vigil::IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  vigil::IpAddress ip;
  ip.b[0] = a;
  ip.b[1] = b;
  ip.b[2] = c;
  ip.b[3] = d;
  return ip;
}

// IPv6 address from its 8 groups.
inline vigil::IpAddress v6(std::initializer_list<std::uint16_t> groups) {
  vigil::IpAddress ip;
  std::size_t i = 0;
  for (auto g : groups) {
    ip.b[i++] = static_cast<std::uint8_t>(g >> 8);
    ip.b[i++] = static_cast<std::uint8_t>(g & 0xff);
  }
  return ip;
}

}  // namespace rules_test
