// Internal to the DNS parser: walking one (possibly compressed) domain name, and the text helpers
// the parser writes with. Shared by dns_parse and dns_probe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "dataplane/app/dns/dns_counters.h"
#include "dataplane/app/dns/dns_shared.h"

namespace vigil::app::dns::detail {

enum class NameError : std::uint8_t {
  none,
  truncated,       // the message ended inside the name
  loop,            // pointer to itself, into its own run of labels, or too many jumps
  forward,         // pointer to a later offset or past the end of the message
  too_long,        // more than kMaxNameOctets on the wire
  label_too_long,  // length octet 0x40..0xbf: label over 63 or an obsolete extended label type
};

struct NameWalk {
  std::size_t end = 0;  // offset just after the name where it sits (after its first pointer)
  NameError error = NameError::none;
};

// Walks the name at msg[pos]. A pointer must point before the start of the run of labels it ends
// (so each jump goes strictly backwards, past everything read so far: no loop can form), and at
// most kMaxNameJumps are followed. With `out`, appends the name's text (see dns_message.h);
// on error the partial text is dropped.
NameWalk walk_name(std::span<const std::uint8_t> msg, std::size_t pos, DnsTextArena* out);

// Counts a name error in its counter.
void count_name_error(DnsCounters& c, NameError e);

inline std::uint16_t be16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]);
}
inline std::uint32_t be32(std::span<const std::uint8_t> b, std::size_t at) {
  return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
         (std::uint32_t{b[at + 2]} << 8) | b[at + 3];
}

// Text writing with a per-piece limit; every put reports whether the byte fit.
struct TextWriter {
  DnsTextArena& arena;
  std::size_t start = arena.mark();
  std::size_t limit = 0;  // bytes this piece may take
  bool cut = false;       // something did not fit

  bool put(char c) {
    if (arena.used() - start >= limit || !arena.put(c)) {
      cut = true;
      return false;
    }
    return true;
  }
  bool put(std::string_view s) {
    for (char c : s)
      if (!put(c)) return false;
    return true;
  }
  void put_dec(std::uint32_t v);
  void put_hex16(std::uint16_t v);  // lowercase, no leading zeros
  // One octet of label or character-string content: printable ASCII as is, else \xHH.
  void put_octet(std::uint8_t b);
  std::string_view text() const { return arena.since(start); }
  void drop() { arena.rewind(start); }
};

}  // namespace vigil::app::dns::detail
