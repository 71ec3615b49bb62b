// The RSS (Toeplitz) key and why the default one is symmetric.
//
// A NIC spreads packets over queues by the Toeplitz hash of (src IP, dst IP, src port, dst port)
// with a key. The hash is linear over GF(2): it is the XOR, over every set input bit i, of the
// 32-bit window of the key starting at key bit i. Swapping the two directions of a flow moves the
// source address bits onto the destination address bits (a shift by 32 bits for IPv4, 128 for
// IPv6) and the source port onto the destination port (a shift by 16 bits). A key that repeats
// every 16 bits has the same window at i, i+16, i+32 and i+128, so both directions hash alike and
// land on the same queue, hence the same worker. 0x6d5a repeated is such a key (Woo and Park,
// "Scalable TCP Session Monitoring with Symmetric Receive-side Scaling"); it also spreads well.
//
// rss_key_is_symmetric() checks exactly those window equalities for IPv4 and IPv6 with ports, so
// a client's own key is accepted when (and only when) it keeps a flow's directions together.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "control/board/board_config.h"

namespace vigil::board {

// The default key: 0x6d, 0x5a repeated to `len` bytes (40 or 52; drivers with a 40-byte key
// register take the prefix, which is still symmetric).
void default_rss_key(RssConfig& rss, std::size_t len = kRssKeyMax);

// True when the Toeplitz hash with `key` is the same for both directions of every IPv4 and IPv6
// TCP/UDP flow. Keys shorter than 40 bytes are never symmetric (IPv6 needs 40).
bool rss_key_is_symmetric(std::span<const std::uint8_t> key);

// The Toeplitz hash of `input` (at most key.size() - 4 bytes are used: the window must fit).
std::uint32_t toeplitz_hash(std::span<const std::uint8_t> key, std::span<const std::uint8_t> input);

}  // namespace vigil::board
