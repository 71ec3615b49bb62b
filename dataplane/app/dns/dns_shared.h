// DnsShared: what one worker's DNS parsing shares across all its flows: the counters and the text
// scratch that decoded names and rdata text are written into. One per worker thread, passed to
// every call; not thread-safe. The scratch is allocated once, in the constructor, at its
// worst-case size for one message, so parsing never allocates and never runs out.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "dataplane/app/dns/dns_counters.h"
#include "dataplane/app/dns/dns_limits.h"

namespace vigil::app::dns {

// Append-only text for the message being parsed; reset at the start of each dns_parse.
class DnsTextArena {
 public:
  explicit DnsTextArena(std::size_t capacity)
      : buf_(std::make_unique<char[]>(capacity)), cap_(capacity) {}

  void reset() { used_ = 0; }
  std::size_t mark() const { return used_; }
  // Drops everything written since `m` (a piece that turned out invalid).
  void rewind(std::size_t m) { used_ = m < used_ ? m : used_; }
  bool put(char c) {
    if (used_ == cap_) return false;
    buf_[used_++] = c;
    return true;
  }
  std::string_view since(std::size_t m) const { return {buf_.get() + m, used_ - m}; }
  std::size_t capacity() const { return cap_; }
  std::size_t used() const { return used_; }

 private:
  std::unique_ptr<char[]> buf_;
  std::size_t cap_;
  std::size_t used_ = 0;
};

class DnsShared {
 public:
  DnsShared() : scratch_(kScratchBytes) {}
  DnsShared(const DnsShared&) = delete;
  DnsShared& operator=(const DnsShared&) = delete;

  const DnsCounters& counters() const { return counters_; }
  DnsCounters& counters() { return counters_; }
  DnsTextArena& scratch() { return scratch_; }

 private:
  DnsCounters counters_;
  DnsTextArena scratch_;
};

}  // namespace vigil::app::dns
