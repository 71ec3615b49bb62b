// Test helpers for the stream reassembler: a sink that records what each direction received, and
// deterministic test streams.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <span>
#include <vector>

#include "dataplane/stream/stream_reassembly.h"

namespace vigil::test {

struct Piece {
  std::uint32_t seq = 0;  // sequence number of the piece's first byte (next_seq at delivery)
  std::vector<std::uint8_t> bytes;
  const std::uint8_t* data = nullptr;  // where the sink read it from (zero-copy checks)
  bool after_gap = false;
};

struct RecordingSink final : StreamSink {
  std::map<const StreamDirState*, std::vector<Piece>> pieces;

  void on_stream_data(StreamDirState& dir, std::span<const std::uint8_t> data,
                      bool after_gap) override {
    pieces[&dir].push_back({dir.next_seq, {data.begin(), data.end()}, data.data(), after_gap});
  }

  std::vector<std::uint8_t> bytes(const StreamDirState& dir) const {
    std::vector<std::uint8_t> out;
    auto it = pieces.find(&dir);
    if (it == pieces.end()) return out;
    for (const Piece& p : it->second) out.insert(out.end(), p.bytes.begin(), p.bytes.end());
    return out;
  }
  std::size_t calls(const StreamDirState& dir) const {
    auto it = pieces.find(&dir);
    return it == pieces.end() ? 0 : it->second.size();
  }
  const std::vector<Piece>& of(const StreamDirState& dir) { return pieces[&dir]; }
};

inline std::vector<std::uint8_t> make_stream(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

inline std::vector<std::uint8_t> filled(std::size_t n, std::uint8_t value) {
  return std::vector<std::uint8_t>(n, value);
}

inline std::vector<std::uint8_t> concat(std::initializer_list<std::vector<std::uint8_t>> parts) {
  std::vector<std::uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// Bytes [off, off + len) of a stream as a span (a "segment payload").
inline std::span<const std::uint8_t> slice(const std::vector<std::uint8_t>& v, std::size_t off,
                                           std::size_t len) {
  return std::span<const std::uint8_t>(v).subspan(off, len);
}

inline std::uint64_t count(const StreamReassembler& r, StreamCounter c) {
  return r.counters().get(c);
}

}  // namespace vigil::test
