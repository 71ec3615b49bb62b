// PacketSource: where the replay command and the appliance get bursts of packets from (a capture
// file through libpcap, or a DPDK ethdev port). A source is used by one thread at a time; the
// caller owns it, and it owns every buffer its views point into.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "dataplane/packet/packet_view.h"

namespace vigil {

struct SourceProgress {
  enum class Unit : std::uint8_t { bytes, packets };

  std::string_view name;       // file path or port name; valid while the source lives
  std::uint64_t packets = 0;   // packets delivered so far
  std::uint64_t consumed = 0;  // input consumed so far, in `unit`
  std::uint64_t total = 0;     // size of the whole input in `unit`; 0 when unbounded (a live port)
  Unit unit = Unit::bytes;

  // 0.0 .. 1.0, or 0.0 for an unbounded input.
  double fraction() const {
    return total == 0 ? 0.0 : static_cast<double>(consumed) / static_cast<double>(total);
  }
};

class PacketSource {
 public:
  virtual ~PacketSource() = default;

  // Fills up to views.size() views and returns how many. The views stay valid until
  // release_burst() or the next rx_burst(), which releases the previous burst itself.
  // Returns 0 when nothing is available right now or when done().
  virtual std::size_t rx_burst(std::span<PacketView> views) = 0;

  // Hands the last burst's buffers back to the driver (frees the mbufs, reuses the arena).
  virtual void release_burst() = 0;

  // True once the end of the input is reached and every packet has been delivered.
  virtual bool done() const = 0;

  virtual SourceProgress progress() const = 0;

  // Non-empty when the input ended because of an error: one line naming the file and what is
  // wrong. Packets delivered before the error are good.
  virtual const std::string& error() const = 0;

 protected:
  PacketSource() = default;
  PacketSource(const PacketSource&) = delete;
  PacketSource& operator=(const PacketSource&) = delete;
};

}  // namespace vigil
