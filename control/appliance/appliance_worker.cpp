#include "control/appliance/appliance_worker.h"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include <array>
#include <cstring>
#include <ctime>

#include "control/board/rss_key.h"

namespace vigil::appliance {

namespace {

std::uint64_t wall_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);  // vDSO: no system call
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// Counters with one writer: a relaxed load and store, no locked instruction.
inline void bump(std::atomic<std::uint64_t>& a, std::uint64_t n = 1) {
  a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

bool try_lock(QueueLock& l) {
  bool expected = false;
  return !l.held.load(std::memory_order_relaxed) &&
         l.held.compare_exchange_strong(expected, true, std::memory_order_acquire);
}
void unlock(QueueLock& l) { l.held.store(false, std::memory_order_release); }

// Offset of the IP header and its version (4, 6; 0 when not IP), past Ethernet and VLAN tags.
std::size_t l3_offset(std::span<const std::uint8_t> f, int& version) {
  version = 0;
  if (f.size() < 14) return 0;
  std::size_t at = 12;
  std::uint16_t type = static_cast<std::uint16_t>(f[at] << 8 | f[at + 1]);
  at = 14;
  for (int tags = 0; (type == 0x8100 || type == 0x88a8) && tags < 2; ++tags) {
    if (f.size() < at + 4) return 0;
    type = static_cast<std::uint16_t>(f[at + 2] << 8 | f[at + 3]);
    at += 4;
  }
  if (type == 0x0800 && f.size() >= at + 20) version = 4;
  if (type == 0x86dd && f.size() >= at + 40) version = 6;
  return at;
}

std::uint16_t ring_port_index(const Shared& sh, std::uint16_t eth_port) {
  for (std::uint16_t i = 0; i < sh.ports.size(); ++i) {
    if (sh.ports[i].eth_port == eth_port) return i;
  }
  return 0;
}

// The answer to a rejected packet, as a frame: back to the packet's sender out of the port it came
// in by (MACs swapped), or on to its destination out of the peer port (MACs as they were).
void send_reject(Shared& sh, std::uint16_t me, std::uint16_t in_port, const rte_mbuf* orig,
                 std::span<const std::uint8_t> answer) {
  const auto frame = std::span<const std::uint8_t>(rte_pktmbuf_mtod(orig, const std::uint8_t*),
                                                   orig->data_len);
  int version = 0;
  const std::size_t l3 = l3_offset(frame, version);
  if (version == 0 || answer.size() < 20) return;
  const bool back = version == 4 ? std::memcmp(answer.data() + 16, frame.data() + l3 + 12, 4) == 0
                                 : answer.size() >= 40 &&
                                       std::memcmp(answer.data() + 24, frame.data() + l3 + 8, 16) == 0;
  const std::uint16_t out = back ? in_port : sh.ports[in_port].peer;
  if (out == kNoPeer) return;
  rte_mbuf* m = rte_pktmbuf_alloc(sh.pool);
  if (m == nullptr) return;
  auto* dst = reinterpret_cast<std::uint8_t*>(rte_pktmbuf_append(m, static_cast<std::uint16_t>(l3 + answer.size())));
  if (dst == nullptr) {
    rte_pktmbuf_free(m);
    return;
  }
  std::memcpy(dst, frame.data(), l3);
  if (back) {
    std::memcpy(dst, frame.data() + 6, 6);
    std::memcpy(dst + 6, frame.data(), 6);
  }
  std::memcpy(dst + l3, answer.data(), answer.size());
  const PortBinding& pb = sh.ports[out];
  const std::uint16_t q = static_cast<std::uint16_t>(me % pb.tx_queues);
  QueueLock& lock = sh.tx_locks[out * sh.max_queues + q];
  while (!try_lock(lock)) rte_pause();
  const std::uint16_t sent = rte_eth_tx_burst(pb.eth_port, q, &m, 1);
  unlock(lock);
  if (sent == 1) {
    bump((*sh.forwarding)[static_cast<std::size_t>(me) * sh.ports.size() + out].rejects_sent);
  } else {
    rte_pktmbuf_free(m);
  }
}

struct Staged {
  std::array<rte_mbuf*, 2 * kBurst> mbufs;
  std::uint16_t n = 0;
};

}  // namespace

RssHash::RssHash(std::span<const std::uint8_t> key) : table_(kMaxInput) {
  for (std::size_t pos = 0; pos < kMaxInput; ++pos) {
    for (unsigned v = 0; v < 256; ++v) {
      std::array<std::uint8_t, kMaxInput> one{};
      one[pos] = static_cast<std::uint8_t>(v);
      // Toeplitz is linear over XOR: a byte's contribution does not depend on the others.
      table_[pos][v] = board::toeplitz_hash(key, {one.data(), pos + 1});
    }
  }
}

std::uint32_t RssHash::operator()(std::span<const std::uint8_t> input) const {
  std::uint32_t h = 0;
  const std::size_t n = std::min(input.size(), kMaxInput);
  for (std::size_t i = 0; i < n; ++i) h ^= table_[i][input[i]];
  return h;
}

std::uint16_t flow_owner(std::span<const std::uint8_t> frame, const RssHash& rss,
                         std::uint16_t workers) {
  if (workers <= 1) return 0;
  int version = 0;
  const std::size_t l3 = l3_offset(frame, version);
  // RSS's inputs: addresses, then the ports for TCP that is not fragmented (as a NIC hashing
  // IP and TCP does); UDP and the rest by addresses, so every fragment of a datagram agrees.
  std::array<std::uint8_t, 36> in{};
  std::size_t len = 0;
  if (version == 4) {
    std::memcpy(in.data(), frame.data() + l3 + 12, 8);
    len = 8;
    const std::size_t ihl = static_cast<std::size_t>(frame[l3] & 0x0f) * 4;
    const bool fragment = ((frame[l3 + 6] << 8 | frame[l3 + 7]) & 0x3fff) != 0;
    if (frame[l3 + 9] == 6 && !fragment && ihl >= 20 && frame.size() >= l3 + ihl + 4) {
      std::memcpy(in.data() + 8, frame.data() + l3 + ihl, 4);
      len = 12;
    }
  } else if (version == 6) {
    std::memcpy(in.data(), frame.data() + l3 + 8, 32);
    len = 32;
    if (frame[l3 + 6] == 6 && frame.size() >= l3 + 44) {
      std::memcpy(in.data() + 32, frame.data() + l3 + 40, 4);
      len = 36;
    }
  } else {
    return 0;
  }
  const std::uint32_t hash = rss({in.data(), len});
  // A NIC's default redirection table: 128 entries, entry i -> queue i % queues.
  return static_cast<std::uint16_t>((hash & 127u) % workers);
}

int worker_main(void* arg) {
  WorkerContext& ctx = *static_cast<WorkerContext*>(arg);
  Shared& sh = *ctx.shared;
  const std::uint16_t me = ctx.index;
  const std::size_t nports = sh.ports.size();
  health::WorkerHeartbeat& hb = sh.health->heartbeat(me);
  WorkerStats& ws = (*sh.stats)[me];
  // This worker's own counters per port (one writer each: no cache line is shared).
  PortForwarding* fw = sh.forwarding->data() + static_cast<std::size_t>(me) * nports;

  std::array<rte_mbuf*, kBurst> rx{};
  std::array<rte_mbuf*, 2 * kBurst> batch{};       // this worker's packets of the round
  std::array<std::uint16_t, 2 * kBurst> from{};    // their board port
  std::array<PacketView, 2 * kBurst> views{};
  std::vector<Staged> staged(nports);
  std::uint64_t last_tick = 0;
  // Overload: a queue that keeps returning full bursts has a backlog the worker is not keeping
  // up with. A port whose policy is bypass then forwards that round's packets uninspected
  // (counted); a port whose policy is drop keeps inspecting and the NIC drops (imissed).
  constexpr std::uint32_t kOverloadRounds = 16;
  std::vector<std::uint32_t> full_rounds(nports, 0);

  auto stage = [&](std::uint16_t out, rte_mbuf* m, std::uint16_t in) {
    Staged& s = staged[out];
    if (s.n == s.mbufs.size()) {  // cannot happen with 2 x kBurst per round; be safe
      rte_pktmbuf_free(m);
      bump(fw[in].tx_full, 1);
      return;
    }
    s.mbufs[s.n++] = m;
  };
  auto flush = [&] {
    for (std::uint16_t out = 0; out < nports; ++out) {
      Staged& s = staged[out];
      if (s.n == 0) continue;
      const PortBinding& pb = sh.ports[out];
      const std::uint16_t q = static_cast<std::uint16_t>(me % pb.tx_queues);
      QueueLock& lock = sh.tx_locks[out * sh.max_queues + q];
      while (!try_lock(lock)) rte_pause();
      std::uint16_t sent = 0;
      // A full TX ring gets a few more tries, then the rest is dropped and counted: a worker
      // never waits on a port.
      for (int attempt = 0; attempt < 4 && sent < s.n; ++attempt) {
        sent += rte_eth_tx_burst(pb.eth_port, q, s.mbufs.data() + sent,
                                 static_cast<std::uint16_t>(s.n - sent));
      }
      unlock(lock);
      bump(ws.tx, sent);
      const std::uint16_t in = pb.peer == kNoPeer ? out : pb.peer;
      bump(fw[in].forwarded, sent);
      if (sent < s.n) {
        bump(fw[in].tx_full, s.n - sent);
        for (std::uint16_t i = sent; i < s.n; ++i) rte_pktmbuf_free(s.mbufs[i]);
      }
      s.n = 0;
    }
  };

  while (!sh.stop.load(std::memory_order_relaxed)) {
    hb.beat();
    // Test hook (vigilctl debug stall-worker): stop beating and polling for a while.
    if (const std::uint64_t until = ws.stall_until_ns.load(std::memory_order_relaxed); until != 0) {
      while (wall_ns() < until && !sh.stop.load(std::memory_order_relaxed)) rte_delay_us_block(1000);
      ws.stall_until_ns.store(0, std::memory_order_relaxed);
      continue;
    }
    const health::DataplaneFlags& flags = sh.health->flags();
    const bool bypass = flags.bypass();
    std::uint16_t n = 0;

    for (std::uint16_t p = 0; p < nports; ++p) {
      const PortBinding& pb = sh.ports[p];
      // Its own queue, and in software bypass any queue no one is polling (a stalled worker's).
      for (std::uint16_t q = 0; q < pb.rx_queues; ++q) {
        if (q != me % pb.rx_queues && !bypass) continue;
        if (q != me && q < sh.workers && !bypass) continue;
        QueueLock& lock = sh.rx_locks[p * sh.max_queues + q];
        if (!try_lock(lock)) continue;
        const std::uint16_t k = rte_eth_rx_burst(pb.eth_port, q, rx.data(), kBurst);
        unlock(lock);
        if (q == me % pb.rx_queues) full_rounds[p] = k == kBurst ? full_rounds[p] + 1 : 0;
        if (q != me) bump(ws.taken_over, k);
        for (std::uint16_t i = 0; i < k; ++i) {
          rte_mbuf* m = rx[i];
          const std::uint16_t owner =
              bypass ? me
                     : flow_owner({rte_pktmbuf_mtod(m, const std::uint8_t*), m->data_len},
                                  *sh.rss, sh.workers);
          if (owner == me && n < batch.size()) {
            batch[n] = m;
            from[n++] = p;
          } else if (owner != me && rte_ring_mp_enqueue(sh.handoff[owner], m) == 0) {
            bump(ws.handed_off, 1);
          } else {
            bump(fw[p].received, 1);
            bump(fw[p].handoff_full, 1);
            rte_pktmbuf_free(m);
          }
        }
      }
    }
    // Packets other workers received for flows this one owns (in bypass: anyone's).
    for (std::uint16_t w = 0; w < sh.workers && n < batch.size(); ++w) {
      if (w != me && !bypass) continue;
      void* objs[kBurst];
      const unsigned room = std::min<unsigned>(kBurst, static_cast<unsigned>(batch.size() - n));
      const unsigned k = rte_ring_mc_dequeue_burst(sh.handoff[w], objs, room, nullptr);
      for (unsigned i = 0; i < k; ++i) {
        auto* m = static_cast<rte_mbuf*>(objs[i]);
        batch[n] = m;
        from[n++] = ring_port_index(sh, m->port);
      }
    }

    const std::uint64_t now = wall_ns();
    if (n == 0) {
      bump(ws.idle_polls, 1);
      if (now - last_tick > 1'000'000) {  // flow timeouts keep running while idle
        ctx.worker->tick(now);
        last_tick = now;
      }
      rte_pause();
      continue;
    }
    bump(ws.rx, n);

    if (flags.stopped()) {  // fail-closed: nothing passes while a worker is stalled
      for (std::uint16_t i = 0; i < n; ++i) {
        bump(fw[from[i]].received, 1);
        bump(fw[from[i]].fail_closed, 1);
        rte_pktmbuf_free(batch[i]);
      }
      continue;
    }
    // Counts a packet as received; a monitor port's packet ends here (never transmitted).
    auto receive = [&](std::uint16_t i) {
      const std::uint16_t in = from[i];
      bump(fw[in].received, 1);
      if (sh.ports[in].peer != kNoPeer) return false;
      bump(fw[in].monitored, 1);
      rte_pktmbuf_free(batch[i]);
      return true;
    };
    if (bypass) {
      for (std::uint16_t i = 0; i < n; ++i) {
        if (receive(i)) continue;
        bump(fw[from[i]].bypassed, 1);
        stage(sh.ports[from[i]].peer, batch[i], from[i]);
      }
      flush();
      continue;
    }

    // Overloaded bypass ports: their packets of this round go through uninspected.
    std::uint16_t inspected = 0;
    for (std::uint16_t i = 0; i < n; ++i) {
      const std::uint16_t in = from[i];
      const bool skip = sh.ports[in].bypass_on_overload && sh.ports[in].peer != kNoPeer &&
                        full_rounds[in] >= kOverloadRounds;
      if (skip) {
        bump(fw[in].received, 1);
        bump(fw[in].bypassed, 1);
        bump(fw[in].overload_bypassed, 1);
        stage(sh.ports[in].peer, batch[i], in);
        continue;
      }
      batch[inspected] = batch[i];
      from[inspected++] = in;
    }
    n = inspected;
    for (std::uint16_t i = 0; i < n; ++i) {
      const rte_mbuf* m = batch[i];
      PacketView& v = views[i];
      v.data = rte_pktmbuf_mtod(m, const std::uint8_t*);
      v.caplen = m->data_len;  // single-segment mbufs: the data room holds a whole frame
      v.wire_len = m->pkt_len;
      v.ts_ns = now;
      v.port = from[i];
      v.link_type = LinkType::ethernet;
      v.handle = batch[i];
    }
    ctx.worker->process_burst({views.data(), n});
    const auto verdicts = ctx.worker->verdicts();
    for (std::uint16_t i = 0; i < n; ++i) {
      if (receive(i)) continue;
      const std::uint16_t in = from[i];
      const std::uint16_t peer = sh.ports[in].peer;
      switch (verdicts[i]) {
        case detect::Verdict::accept:
          stage(peer, batch[i], in);
          break;
        case detect::Verdict::reject:
          send_reject(sh, me, in, batch[i], ctx.worker->reject_answer(i));
          bump(fw[in].verdict_drops, 1);
          rte_pktmbuf_free(batch[i]);
          break;
        default:
          bump(fw[in].verdict_drops, 1);
          rte_pktmbuf_free(batch[i]);
          break;
      }
    }
    flush();
    if (now - last_tick > 1'000'000) {
      ctx.worker->tick(now);
      last_tick = now;
    }
  }
  return 0;
}

}  // namespace vigil::appliance
