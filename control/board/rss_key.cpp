#include "control/board/rss_key.h"

namespace vigil::board {

namespace {

// The 32 key bits starting at key bit `bit` (most significant first); the caller keeps
// bit + 32 <= key.size() * 8.
std::uint32_t window(std::span<const std::uint8_t> key, std::size_t bit) {
  std::uint32_t w = 0;
  for (std::size_t i = 0; i < 32; ++i) {
    const std::size_t b = bit + i;
    w = (w << 1) | ((key[b / 8] >> (7 - b % 8)) & 1u);
  }
  return w;
}

// Swapping the directions maps bit i onto bit i + shift for i in [from, from + count).
bool windows_equal(std::span<const std::uint8_t> key, std::size_t from, std::size_t count,
                   std::size_t shift) {
  for (std::size_t i = from; i < from + count; ++i) {
    if (window(key, i) != window(key, i + shift)) return false;
  }
  return true;
}

}  // namespace

void default_rss_key(RssConfig& rss, std::size_t len) {
  if (len > kRssKeyMax) len = kRssKeyMax;
  rss.key.fill(0);
  for (std::size_t i = 0; i < len; ++i) rss.key[i] = (i % 2 == 0) ? 0x6d : 0x5a;
  rss.key_len = len;
}

bool rss_key_is_symmetric(std::span<const std::uint8_t> key) {
  // IPv6 with ports is 36 input bytes; its last window ends at bit 36 * 8 + 32 = 320 = 40 bytes.
  if (key.size() < 40) return false;
  // IPv4: addresses at bits 0..31 / 32..63, ports at 64..79 / 80..95.
  // IPv6: addresses at bits 0..127 / 128..255, ports at 256..271 / 272..287.
  return windows_equal(key, 0, 32, 32) && windows_equal(key, 64, 16, 16) &&
         windows_equal(key, 0, 128, 128) && windows_equal(key, 256, 16, 16);
}

std::uint32_t toeplitz_hash(std::span<const std::uint8_t> key,
                            std::span<const std::uint8_t> input) {
  if (key.size() < 4) return 0;
  const std::size_t usable = key.size() - 4;
  if (input.size() > usable) input = input.first(usable);
  std::uint32_t hash = 0;
  for (std::size_t byte = 0; byte < input.size(); ++byte) {
    for (std::size_t bit = 0; bit < 8; ++bit) {
      if ((input[byte] >> (7 - bit)) & 1u) hash ^= window(key, byte * 8 + bit);
    }
  }
  return hash;
}

}  // namespace vigil::board
