#include "dataplane/decode/checksum.h"

namespace vigil {

namespace {

std::uint32_t sum16(std::span<const std::uint8_t> b, std::uint32_t acc) {
  std::size_t i = 0;
  for (; i + 1 < b.size(); i += 2) acc += (std::uint32_t{b[i]} << 8) | b[i + 1];
  if (i < b.size()) acc += std::uint32_t{b[i]} << 8;
  return acc;
}

}  // namespace

bool tcp_checksum_ok(const DecodedPacket& p) {
  if (p.ip_proto != ipproto::tcp || p.snapped || p.l4.size() < 20) return true;
  std::uint32_t acc = 0;
  const std::size_t addr_len = p.family == IpFamily::v4 ? 4 : 16;
  acc = sum16({p.src.b.data(), addr_len}, acc);
  acc = sum16({p.dst.b.data(), addr_len}, acc);
  const std::uint32_t len = static_cast<std::uint32_t>(p.l4.size());
  acc += ipproto::tcp;
  acc += (len >> 16) + (len & 0xffff);
  acc = sum16(p.l4, acc);
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return acc == 0xffff;
}

}  // namespace vigil
