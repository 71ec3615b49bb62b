// vigil_pcapgen: the project's own packet captures, generated deterministically (fixed seeds, a
// portable PRNG: the same bytes on every run and machine) with valid checksums everywhere, so
// tests and benchmarks never depend on captures the project cannot redistribute.
// docs/captures.md describes every capture. All functions are reentrant; nothing is shared.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tools/pcapgen/capture.h"

namespace vigil::pcapgen {

// The README demo: a few seconds of a small office network (see docs/captures.md).
Capture make_demo();
// Benchmark traffic: many flows of the demo's kinds with a heavy-tailed size distribution.
// Stops adding flows once `target_packets` is reached, so the count is close to, not exactly, it.
Capture make_mixed(std::uint64_t target_packets);
// A couple of TCP and UDP flows in the given link type (IPv4 and IPv6 where the type allows).
Capture make_link_capture(LinkType link);
// Ethernet capture of the same flows sent through each tunnel kind in turn (TunnelKind order),
// between two sites' routers.
Capture make_tunnel_capture();
// Ethernet capture taken with a 96-byte snap length: headers survive, payloads are cut.
Capture make_snapped();

// Inputs a replay must refuse. Each throws std::runtime_error on I/O failure.
// A valid capture cut in the middle of its sixth packet's data (an interrupted copy).
void write_truncated(const std::filesystem::path& path);
// Plain text under a capture's name.
void write_not_a_pcap(const std::filesystem::path& path);
// A file of zero bytes.
void write_empty(const std::filesystem::path& path);

// 64-byte-class UDP benchmark traffic: `packets` frames of exactly `frame_size` bytes (as
// captured, no FCS; 60..1514) spread round-robin over `flows` distinct 5-tuples (source address
// and port vary), at 10 GbE line rate for that frame size.
struct UdpFloodSpec {
  std::uint64_t packets = 1'000'000;
  std::uint32_t flows = 1'000'000;
  std::uint32_t frame_size = 64;
};

// In-memory flood for benchmarks without a file. Frames are stored back to back in one buffer
// (one allocation for millions of packets, close to how a mempool holds them).
struct PacketBatch {
  std::uint32_t frame_size = 0;
  std::vector<std::uint8_t> bytes;
  std::vector<std::uint64_t> ts_ns;
  std::size_t size() const { return ts_ns.size(); }
  std::span<const std::uint8_t> frame(std::size_t i) const {
    return {bytes.data() + i * frame_size, frame_size};
  }
};

// Both throw std::invalid_argument for a bad spec; write_udp_flood std::runtime_error on I/O.
PacketBatch make_udp_flood(const UdpFloodSpec& spec);
void write_udp_flood(const std::filesystem::path& path, const UdpFloodSpec& spec);

// Scenario names accepted by write_scenario: demo, mixed, links, edge, and "all" for all four.
std::vector<std::string> scenario_names();
// Writes the files of a scenario into `dir` (created if needed); returns the paths written.
// Throws std::invalid_argument for an unknown name, std::runtime_error on I/O failure.
std::vector<std::filesystem::path> write_scenario(std::string_view name, const std::filesystem::path& dir);

}  // namespace vigil::pcapgen
