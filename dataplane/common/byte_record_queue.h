// Records of any size through a byte-wise lock-free queue (Boost.Lockfree spsc_queue of bytes):
// a fixed, trivially copyable header, then its payload. The producer writes a record only when
// the queue has room for all of it, so it is dropped whole or queued whole; the consumer never
// sees half of one. No allocation on the producer side.
#pragma once

#include <boost/lockfree/spsc_queue.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

namespace vigil {

using ByteRecordQueue = boost::lockfree::spsc_queue<std::uint8_t>;

// Producer side: false (nothing written) when the queue lacks room for the whole record.
template <typename Header>
bool push_byte_record(ByteRecordQueue& q, const Header& h, const void* payload, std::size_t n) {
  static_assert(std::is_trivially_copyable_v<Header>);
  if (q.write_available() < sizeof h + n) return false;
  std::uint8_t raw[sizeof h];
  std::memcpy(raw, &h, sizeof h);
  q.push(raw, sizeof raw);
  if (n > 0) q.push(static_cast<const std::uint8_t*>(payload), n);
  return true;
}

// Consumer side: false when no record is waiting. `payload_len(h)` says how many bytes follow.
template <typename Header, typename PayloadLen>
bool pop_byte_record(ByteRecordQueue& q, Header& h, std::string& payload, PayloadLen payload_len) {
  static_assert(std::is_trivially_copyable_v<Header>);
  if (q.read_available() < sizeof h) return false;
  std::uint8_t raw[sizeof h];
  q.pop(raw, sizeof raw);
  std::memcpy(&h, raw, sizeof h);
  const std::size_t n = payload_len(h);
  payload.resize(n);
  // The producer had room for the whole record when it wrote the header: the rest follows at
  // once (it may still be being copied in).
  std::size_t got = 0;
  while (got < n) got += q.pop(reinterpret_cast<std::uint8_t*>(payload.data()) + got, n - got);
  return true;
}

}  // namespace vigil
