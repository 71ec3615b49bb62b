#include "dataplane/decode/checksum.h"

namespace vigil {

std::uint32_t checksum_add(std::span<const std::uint8_t> b, std::uint32_t acc) {
  std::size_t i = 0;
  for (; i + 1 < b.size(); i += 2) acc += (std::uint32_t{b[i]} << 8) | b[i + 1];
  if (i < b.size()) acc += std::uint32_t{b[i]} << 8;
  return acc;
}

std::uint16_t checksum_finish(std::uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint16_t>(~acc);
}

std::uint32_t pseudo_header_sum(IpFamily family, const IpAddress& src, const IpAddress& dst,
                                std::uint8_t ip_proto, std::size_t len) {
  const std::size_t alen = family == IpFamily::v4 ? 4 : 16;
  std::uint32_t acc = checksum_add({src.b.data(), alen}, 0);
  acc = checksum_add({dst.b.data(), alen}, acc);
  return acc + ip_proto + static_cast<std::uint32_t>(len >> 16) +
         static_cast<std::uint32_t>(len & 0xffff);
}

bool tcp_checksum_ok(const DecodedPacket& p) {
  if (p.ip_proto != ipproto::tcp || p.snapped || p.l4.size() < 20) return true;
  const std::uint32_t acc = checksum_add(
      p.l4, pseudo_header_sum(p.family, p.src, p.dst, ipproto::tcp, p.l4.size()));
  return checksum_finish(acc) == 0;
}

}  // namespace vigil
