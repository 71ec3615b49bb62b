#include "dataplane/defrag/rebuilt_header.h"

namespace vigil {

namespace {
constexpr std::size_t kIpv4ChecksumAt = 10;
constexpr std::size_t kIpv4MinHeader = 20;
constexpr std::size_t kIpv6FixedHeader = 40;
constexpr std::uint16_t kIpv4KeepFlags = 0xc000;  // reserved + DF; MF and the offset are cleared

void put_be16(std::span<std::uint8_t> b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v & 0xff);
}
}  // namespace

std::uint16_t ipv4_header_checksum(std::span<const std::uint8_t> header) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < header.size(); i += 2) {
    if (i == kIpv4ChecksumAt) continue;
    std::uint32_t hi = header[i];
    std::uint32_t lo = i + 1 < header.size() ? header[i + 1] : 0;
    sum += (hi << 8) | lo;
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

void finish_ipv4_header(std::span<std::uint8_t> header, std::uint16_t total_length) {
  if (header.size() < kIpv4MinHeader) return;
  put_be16(header, 2, total_length);
  header[6] = static_cast<std::uint8_t>(header[6] & (kIpv4KeepFlags >> 8));
  header[7] = 0;
  put_be16(header, kIpv4ChecksumAt, ipv4_header_checksum(header));
}

bool finish_ipv6_header(std::span<std::uint8_t> unfragmentable, std::uint16_t nh_offset,
                        std::uint8_t next_header, std::uint16_t payload_length) {
  if (unfragmentable.size() < kIpv6FixedHeader || nh_offset >= unfragmentable.size()) return false;
  put_be16(unfragmentable, 4, payload_length);
  unfragmentable[nh_offset] = next_header;
  return true;
}

}  // namespace vigil
