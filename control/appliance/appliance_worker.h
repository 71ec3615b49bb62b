// The worker lcore's loop on the appliance: receive from its queue on every port, hand each packet
// to the worker that owns its flow (software distributor: a symmetric Toeplitz hash of the IP
// addresses, the same a NIC with the board's key computes), inspect, then forward (inline: out of
// the pair's other port unless the verdict drops it; reject: the RST / ICMP answer goes back),
// or count (monitor). Bursts of 32, no allocation, no lock except a try-lock per queue that lets
// healthy workers take over a stalled worker's queues in software bypass, no system call (the
// wall clock is read through the vDSO).
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <cstdint>
#include <span>
#include <vector>

#include "control/health/health.h"
#include "dataplane/worker/worker.h"

struct rte_ring;
struct rte_mempool;

namespace vigil::appliance {

inline constexpr std::uint16_t kBurst = 32;
inline constexpr std::uint16_t kNoPeer = 0xffff;

// Per worker and port, what the worker did with the port's packets: one writer per counter (no
// cache line shared between workers), read by the control plane and telemetry, which sum over
// the workers. received = forwarded + verdict_drops + tx_full + fail_closed + handoff_full
// (monitor ports: everything is `monitored`).
struct alignas(64) PortForwarding {
  std::atomic<std::uint64_t> received{0}, forwarded{0}, verdict_drops{0}, tx_full{0};
  std::atomic<std::uint64_t> bypassed{0};     // of forwarded: uninspected (software bypass/overload)
  std::atomic<std::uint64_t> overload_bypassed{0};  // of bypassed: the port's overload policy
  std::atomic<std::uint64_t> fail_closed{0};  // dropped while forwarding was stopped
  std::atomic<std::uint64_t> monitored{0};    // monitor port: inspected, never sent
  std::atomic<std::uint64_t> rejects_sent{0}; // answers sent out of this port
  std::atomic<std::uint64_t> handoff_full{0}; // could not reach the flow's worker: dropped
};

struct alignas(64) WorkerStats {
  std::atomic<std::uint64_t> rx{0}, tx{0}, handed_off{0}, taken_over{0}, idle_polls{0};
  std::atomic<std::uint64_t> stall_until_ns{0};  // test hook: sleep in the loop until then
};

struct PortBinding {
  std::uint16_t eth_port = 0;
  std::uint16_t rx_queues = 1, tx_queues = 1;
  std::uint16_t peer = kNoPeer;  // board index of the inline peer
  bool bypass_on_overload = false;
};

// One per (port, queue): whoever polls or transmits holds it (try-lock).
struct alignas(64) QueueLock {
  std::atomic<bool> held{false};
};

// The Toeplitz hash of a NIC's RSS with a fixed key, as one table lookup per input byte (the
// contribution of every byte value at every position is precomputed): ~10 ns for the 12 bytes of
// an IPv4 TCP tuple instead of a loop over 96 bits.
class RssHash {
 public:
  static constexpr std::size_t kMaxInput = 36;  // IPv6 addresses and ports
  explicit RssHash(std::span<const std::uint8_t> key);
  std::uint32_t operator()(std::span<const std::uint8_t> input) const;

 private:
  std::vector<std::array<std::uint32_t, 256>> table_;  // [byte position][byte value]
};

struct Shared {
  std::vector<PortBinding> ports;
  std::vector<rte_ring*> handoff;        // per worker, multi-producer / multi-consumer
  std::vector<std::uint8_t> rss_key;     // symmetric Toeplitz key (40 or 52 bytes)
  std::unique_ptr<RssHash> rss;          // its lookup tables
  rte_mempool* pool = nullptr;           // for reject answers
  std::uint16_t workers = 1;
  std::vector<QueueLock> rx_locks, tx_locks;  // [port * max_queues + queue]
  std::uint16_t max_queues = 1;
  std::vector<PortForwarding>* forwarding = nullptr;  // [worker * ports + port]
  std::vector<WorkerStats>* stats = nullptr;
  health::HealthMonitor* health = nullptr;
  std::atomic<bool> stop{false};
};

struct WorkerContext {
  Shared* shared = nullptr;
  Worker* worker = nullptr;
  std::uint16_t index = 0;
};

// rte_eal_remote_launch entry point; `arg` is a WorkerContext*. Returns when shared->stop is set.
int worker_main(void* arg);

// The software distributor's owner of a frame (Ethernet, VLAN, IPv4, IPv6): a Toeplitz hash with a
// symmetric key, so both directions agree, over the addresses and, for unfragmented TCP, the
// ports (a NIC's IP + TCP RSS); UDP and other protocols by addresses only, so every fragment of a
// datagram agrees. Non-IP frames go to worker 0.
std::uint16_t flow_owner(std::span<const std::uint8_t> frame, const RssHash& rss,
                         std::uint16_t workers);

}  // namespace vigil::appliance
