// Byte-buffer helpers for building protocol headers in network byte order.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace vigil::pcapgen {

using Bytes = std::vector<std::uint8_t>;

inline void put_u8(Bytes& b, std::uint8_t v) { b.push_back(v); }
inline void put_be16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
inline void put_be24(Bytes& b, std::uint32_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 16));
  put_be16(b, static_cast<std::uint16_t>(v));
}
inline void put_be32(Bytes& b, std::uint32_t v) {
  put_be16(b, static_cast<std::uint16_t>(v >> 16));
  put_be16(b, static_cast<std::uint16_t>(v));
}
inline void put_be64(Bytes& b, std::uint64_t v) {
  put_be32(b, static_cast<std::uint32_t>(v >> 32));
  put_be32(b, static_cast<std::uint32_t>(v));
}
inline void put_le32(Bytes& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline void put_le64(Bytes& b, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline void put_bytes(Bytes& b, std::span<const std::uint8_t> s) { b.insert(b.end(), s.begin(), s.end()); }
inline void put_text(Bytes& b, std::string_view s) { b.insert(b.end(), s.begin(), s.end()); }
inline void put_zeros(Bytes& b, std::size_t n) { b.insert(b.end(), n, 0); }

inline void patch_be16(Bytes& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}
inline void patch_be24(Bytes& b, std::size_t at, std::uint32_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 16);
  patch_be16(b, at + 1, static_cast<std::uint16_t>(v));
}

inline std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace vigil::pcapgen
