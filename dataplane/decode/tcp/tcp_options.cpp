#include "dataplane/decode/tcp/tcp_options.h"

#include <algorithm>

#include "dataplane/decode/layers.h"

namespace vigil {

namespace {
namespace kind {
inline constexpr std::uint8_t eol = 0, nop = 1, mss = 2, wscale = 3, sack_permitted = 4, sack = 5,
                              timestamp = 8;
}
constexpr std::size_t kSackBlockLen = 8;

// Records one known option of the expected shape; returns false if it is a repeat.
bool set_option(const std::uint8_t* o, std::size_t len, TcpOptions& out) {
  using decode::load_be16;
  using decode::load_be32;
  switch (o[0]) {
    case kind::mss:
      if (out.has_mss) return false;
      out.has_mss = true;
      out.mss = load_be16(o + 2);
      return true;
    case kind::wscale:
      if (out.has_wscale) return false;
      out.has_wscale = true;
      out.wscale = std::min(o[2], kTcpMaxWindowScale);
      return true;
    case kind::sack_permitted:
      if (out.sack_permitted) return false;
      out.sack_permitted = true;
      return true;
    case kind::sack:
      if (out.sack_count != 0) return false;
      out.sack_count = static_cast<std::uint8_t>((len - 2) / kSackBlockLen);
      for (std::size_t b = 0; b < out.sack_count; ++b) {
        out.sack[b].left = load_be32(o + 2 + b * kSackBlockLen);
        out.sack[b].right = load_be32(o + 6 + b * kSackBlockLen);
      }
      return true;
    case kind::timestamp:
      if (out.has_timestamp) return false;
      out.has_timestamp = true;
      out.ts_val = load_be32(o + 2);
      out.ts_ecr = load_be32(o + 6);
      return true;
    default:
      return true;
  }
}

// Whether a known option kind has a valid length; unknown kinds are skipped by their length.
bool valid_length(std::uint8_t k, std::size_t len) {
  switch (k) {
    case kind::mss: return len == 4;
    case kind::wscale: return len == 3;
    case kind::sack_permitted: return len == 2;
    case kind::sack:  // 1 to 4 blocks fit in the 40 option bytes
      return len >= 2 + kSackBlockLen && (len - 2) % kSackBlockLen == 0 &&
             (len - 2) / kSackBlockLen <= TcpOptions{}.sack.size();
    case kind::timestamp: return len == 10;
    default: return true;
  }
}
}  // namespace

void parse_tcp_options(std::span<const std::uint8_t> options, TcpOptions& out,
                       DecodeCounters& counters) {
  std::size_t i = 0;
  while (i < options.size()) {
    const std::uint8_t k = options[i];
    if (k == kind::eol) return;
    if (k == kind::nop) {
      ++i;
      continue;
    }
    const std::size_t left = options.size() - i;
    if (left < 2 || options[i + 1] < 2 || options[i + 1] > left) {
      // Without a usable length the next option cannot be found.
      counters.add(DecodeEvent::tcp_invalid_optlen);
      return;
    }
    const std::size_t len = options[i + 1];
    if (!valid_length(k, len)) {
      counters.add(DecodeEvent::tcp_opt_invalid_len);
    } else if (!set_option(options.data() + i, len, out)) {
      counters.add(DecodeEvent::tcp_opt_duplicate);
    }
    i += len;
  }
}

}  // namespace vigil
