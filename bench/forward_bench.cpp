// Forwarding benchmark of the appliance's inline pair (docs/benchmarks.md): two net_ring ports
// made in-process, the real worker loop (control/appliance) on 1..N worker lcores, and a
// generator on the main lcore that plays a capture into the ports' RX rings — spreading packets
// over the queues with the symmetric hash, as a NIC's RSS would — and takes what the workers
// forward out of the TX rings (loaded before the workers start, so no generator takes a CPU).
// Prints forwarded packets/s, Gbit/s and ns/packet per worker.
#include <CLI/CLI.hpp>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <sys/mman.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "control/appliance/appliance_worker.h"
#include "control/board/board_config.h"
#include "control/board/rss_key.h"
#include "control/config/replay_settings.h"
#include "drivers/pcap/pcap_file_source.h"

namespace {

using Clock = std::chrono::steady_clock;
using vigil::appliance::flow_owner;

struct Frame {
  std::vector<std::uint8_t> bytes;
  std::uint16_t port = 0;   // 0: A, 1: B (by address order: a flow's two directions use both)
  std::uint16_t queue = 0;  // the RSS queue a NIC would pick
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Vigil inline forwarding benchmark (net_ring pair, the appliance's worker loop)",
               "vigil-bench-forward"};
  std::vector<std::string> pcaps, rule_paths;
  unsigned workers = 1;
  unsigned loops = 1;
  app.add_option("--pcap", pcaps, "Capture(s) to play, looped")->required();
  app.add_option("--rules", rule_paths, "Rule files (none: forwarding only)");
  app.add_option("--workers", workers, "Worker lcores")->check(CLI::Range(1u, 8u));
  app.add_option("--loops", loops, "Play the capture this many times (more packets per run)");
  CLI11_PARSE(app, argc, argv);

  // Rules first (slow, before the EAL).
  vigil::ReplaySettings settings = vigil::suricata_compatible_defaults();
  if (!rule_paths.empty()) {
    vigil::RuleLoad load = vigil::load_rule_files(rule_paths, "", settings.rules);
    if (!load.result.rules) {
      std::fprintf(stderr, "rules: %s\n", load.result.failure.value_or("not built").c_str());
      return 1;
    }
    settings.worker.rules = load.result.rules;
  }
  vigil::board::RssConfig rss;
  vigil::board::default_rss_key(rss);
  const std::vector<std::uint8_t> key(rss.key.begin(), rss.key.begin() + static_cast<long>(rss.key_len));
  const vigil::appliance::RssHash rss_hash(key);

  // The capture in memory.
  std::vector<Frame> frames;

  std::uint64_t bytes_total = 0;
  for (const std::string& p : pcaps) {
    std::string err;
    auto src = vigil::open_pcap_file(p, 0, err);
    if (!src) {
      std::fprintf(stderr, "%s\n", err.c_str());
      return 1;
    }
    std::array<vigil::PacketView, 32> views{};
    while (!src->done()) {
      const std::size_t n = src->rx_burst(views);
      for (std::size_t i = 0; i < n; ++i) {
        // Ethernet frames that fit one 2 KiB mbuf, as the appliance's ports receive them.
        if (views[i].link_type != vigil::LinkType::ethernet || views[i].caplen < 34 ||
            views[i].caplen > 2048) {
          continue;
        }
        Frame f;
        f.bytes.assign(views[i].data, views[i].data + views[i].caplen);
        // Side A for the lower address as source: the two directions of a flow cross the pair.
        int version = (f.bytes[12] == 0x86 && f.bytes[13] == 0xdd) ? 6 : 4;
        const std::size_t off = version == 4 ? 26 : 22, len = version == 4 ? 4 : 16;
        f.port = f.bytes.size() >= off + 2 * len &&
                         std::memcmp(&f.bytes[off], &f.bytes[off + len], len) > 0
                     ? 1
                     : 0;
        f.queue = flow_owner(f.bytes, rss_hash, static_cast<std::uint16_t>(workers));
        bytes_total += f.bytes.size();
        frames.push_back(std::move(f));
      }
      src->release_burst();
    }
  }
  if (frames.empty()) {
    std::fprintf(stderr, "no Ethernet packets in the captures\n");
    return 1;
  }

  // EAL: the generator on lcore 0 (CPU 0), workers on lcores 1.. mapped onto the machine's CPUs.
  const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  std::string lcores = "0@0";
  for (unsigned w = 1; w <= workers; ++w) lcores += "," + std::to_string(w) + "@" + std::to_string(w % cpus);
  std::vector<std::string> args{"vigil-bench-forward", "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry", "-m", "3072",
                                "--lcores", lcores, "--main-lcore", "0", "--log-level", "error"};
  std::vector<char*> argv_eal;
  for (auto& a : args) argv_eal.push_back(a.data());
  if (rte_eal_init(static_cast<int>(argv_eal.size()), argv_eal.data()) < 0) {
    std::fprintf(stderr, "EAL init failed\n");
    return 1;
  }
  rte_mempool* pool = rte_pktmbuf_pool_create("bench", static_cast<unsigned>(frames.size() * loops + 4096), 256, 0, 2176, 0);
  // Two ports, one ring per queue and direction.
  std::vector<std::vector<rte_ring*>> rx(2), tx(2);
  std::vector<std::uint16_t> eth(2);
  for (int p = 0; p < 2; ++p) {
    for (unsigned q = 0; q < workers; ++q) {
      rx[p].push_back(rte_ring_create(("rx" + std::to_string(p) + std::to_string(q)).c_str(), 1u << 19, 0,
                                      RING_F_SP_ENQ | RING_F_SC_DEQ));
      tx[p].push_back(rte_ring_create(("tx" + std::to_string(p) + std::to_string(q)).c_str(), 1u << 19, 0,
                                      RING_F_SC_DEQ));
    }
    const int id = rte_eth_from_rings(p == 0 ? "ringA" : "ringB", rx[p].data(), workers,
                                      tx[p].data(), workers, 0);
    if (id < 0) {
      std::fprintf(stderr, "rte_eth_from_rings failed\n");
      return 1;
    }
    eth[p] = static_cast<std::uint16_t>(id);
    rte_eth_conf conf{};
    rte_eth_dev_configure(eth[p], static_cast<std::uint16_t>(workers), static_cast<std::uint16_t>(workers), &conf);
    for (unsigned q = 0; q < workers; ++q) {
      rte_eth_rx_queue_setup(eth[p], static_cast<std::uint16_t>(q), 1024, 0, nullptr, pool);
      rte_eth_tx_queue_setup(eth[p], static_cast<std::uint16_t>(q), 1024, 0, nullptr);
    }
    rte_eth_dev_start(eth[p]);
  }

  // The appliance's worker loop, as vigild run sets it up.
  vigil::health::HealthConfig hc;
  hc.workers = workers;
  vigil::health::HealthMonitor health(hc, nullptr, nullptr);  // not started: heartbeats only
  std::vector<vigil::appliance::PortForwarding> forwarding(2 * workers);
  std::vector<vigil::appliance::WorkerStats> stats(workers);
  vigil::appliance::Shared sh;
  sh.workers = static_cast<std::uint16_t>(workers);
  sh.rss_key = key;
  sh.rss = std::make_unique<vigil::appliance::RssHash>(key);
  sh.pool = pool;
  sh.forwarding = &forwarding;
  sh.stats = &stats;
  sh.health = &health;
  for (int p = 0; p < 2; ++p) {
    vigil::appliance::PortBinding pb;
    pb.eth_port = eth[p];
    pb.rx_queues = pb.tx_queues = static_cast<std::uint16_t>(workers);
    pb.peer = static_cast<std::uint16_t>(1 - p);
    sh.ports.push_back(pb);
  }
  sh.max_queues = static_cast<std::uint16_t>(workers);
  sh.rx_locks = std::vector<vigil::appliance::QueueLock>(2 * workers);
  sh.tx_locks = std::vector<vigil::appliance::QueueLock>(2 * workers);
  for (unsigned w = 0; w < workers; ++w) {
    sh.handoff.push_back(rte_ring_create(("h" + std::to_string(w)).c_str(), 1024, 0, 0));
  }
  vigil::WorkerConfig wcfg = settings.worker;
  std::vector<std::unique_ptr<vigil::Worker>> ws;
  std::vector<vigil::appliance::WorkerContext> ctx(workers);
  for (unsigned w = 0; w < workers; ++w) {
    ws.push_back(std::make_unique<vigil::Worker>(wcfg, static_cast<std::uint16_t>(w)));
    ctx[w] = {&sh, ws[w].get(), static_cast<std::uint16_t>(w)};
  }

  // The capture is loaded into the RX rings before the workers start, and the main lcore only
  // sleeps and counts while they drain them: on a 2-CPU machine a busy generator would take a
  // worker's CPU. Time from the workers' launch to the last packet out of the TX rings.
  std::uint64_t forwarded = 0, fwd_bytes = 0;
  const std::uint64_t total = static_cast<std::uint64_t>(frames.size()) * loops;
  for (std::uint64_t k = 0; k < total; ++k) {
    const Frame& f = frames[k % frames.size()];
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    if (m == nullptr) {
      std::fprintf(stderr, "mempool too small for the capture\n");
      return 1;
    }
    std::memcpy(rte_pktmbuf_append(m, static_cast<std::uint16_t>(f.bytes.size())), f.bytes.data(), f.bytes.size());
    if (rte_ring_sp_enqueue(rx[f.port][f.queue], m) != 0) {
      std::fprintf(stderr, "RX ring full\n");
      return 1;
    }
  }
  // As vigild run does: every page of the workers' tables is made resident before the first
  // packet, so the packet path takes no page fault.
  if (mlockall(MCL_CURRENT) != 0) std::perror("mlockall");
  const auto t0 = Clock::now();
  for (unsigned w = 0; w < workers; ++w) rte_eal_remote_launch(vigil::appliance::worker_main, &ctx[w], w + 1);
  std::uint64_t idle_checks = 0;
  while (forwarded < total && idle_checks < 2000) {
    std::uint64_t got = 0;
    for (int p = 0; p < 2; ++p) {
      for (rte_ring* r : tx[p]) {
        void* objs[512];
        unsigned n;
        while ((n = rte_ring_sc_dequeue_burst(r, objs, 512, nullptr)) > 0) {
          for (unsigned i = 0; i < n; ++i) {
            auto* m = static_cast<rte_mbuf*>(objs[i]);
            fwd_bytes += m->pkt_len;
            rte_pktmbuf_free(m);
          }
          got += n;
        }
      }
    }
    forwarded += got;
    idle_checks = got == 0 ? idle_checks + 1 : 0;  // 2 s without output: the rest was dropped
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count() -
                      (forwarded < total ? 2.0 : 0.0);
  sh.stop.store(true);
  rte_eal_mp_wait_lcore();
  const std::uint64_t sent = total;
  const double pps = static_cast<double>(forwarded) / secs;
  std::printf("capture: %zu Ethernet packets (%.1f bytes average), looped; rules: %s\n", frames.size(),
              static_cast<double>(bytes_total) / static_cast<double>(frames.size()),
              rule_paths.empty() ? "none" : "loaded");
  std::printf("workers %u (lcores 1..%u on %u CPUs, main lcore on CPU 0): forwarded %.3f Mpps, %.3f Gbit/s, "
              "%.1f ns/packet per worker; %llu of %llu packets forwarded\n",
              workers, workers, cpus, pps / 1e6, static_cast<double>(fwd_bytes) * 8 / secs / 1e9,
              1e9 / (pps / workers), static_cast<unsigned long long>(forwarded),
              static_cast<unsigned long long>(sent));
  for (unsigned w = 0; w < workers; ++w) {
    std::printf("  worker %u: rx %llu, handed off %llu\n", w,
                static_cast<unsigned long long>(stats[w].rx.load()),
                static_cast<unsigned long long>(stats[w].handed_off.load()));
  }
  rte_eal_cleanup();
  return 0;
}
