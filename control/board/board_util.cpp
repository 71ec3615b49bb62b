// What follows from a parsed board: the EAL arguments, the mbufs and hugepages it needs, names.
#include <sstream>

#include "control/board/board_config.h"

namespace vigil::board {

std::vector<std::string> eal_args(const BoardConfig& board, std::string_view file_prefix) {
  std::vector<std::string> args{"vigild"};
  std::string lcores = std::to_string(board.eal.main_lcore);
  if (board.workers.cpus.empty()) {
    for (std::uint32_t l : board.workers.lcores) lcores += "," + std::to_string(l);
    args.insert(args.end(), {"-l", lcores, "--main-lcore", std::to_string(board.eal.main_lcore)});
  } else {
    // lcore@cpu: the main lcore on its own number's CPU, each worker on its given CPU.
    lcores += "@" + std::to_string(board.eal.main_lcore);
    for (std::size_t i = 0; i < board.workers.lcores.size(); ++i) {
      lcores += "," + std::to_string(board.workers.lcores[i]) + "@" +
                std::to_string(board.workers.cpus[i]);
    }
    args.insert(args.end(), {"--lcores", lcores, "--main-lcore", std::to_string(board.eal.main_lcore)});
  }
  // -a lists exactly the board's PCI ports, so the EAL never probes the management NIC.
  for (const PortConfig& p : board.ports) {
    if (!p.pci.empty()) args.insert(args.end(), {"-a", p.pci});
  }
  for (const PortConfig& p : board.ports) {
    if (!p.vdev.empty()) args.insert(args.end(), {"--vdev", p.vdev});
  }
  bool in_memory = false;
  for (const std::string& a : board.eal.args) {
    args.push_back(a);
    in_memory = in_memory || a == "--in-memory";
  }
  if (!in_memory && !file_prefix.empty()) {
    args.insert(args.end(), {"--file-prefix", std::string(file_prefix)});
  }
  return args;
}

std::uint64_t min_mbufs(const BoardConfig& board) {
  const std::uint64_t workers = board.workers.lcores.size();
  std::uint64_t need = 0;
  for (const PortConfig& p : board.ports) {
    // One RX and one TX queue per worker; a full TX ring holds mbufs until the NIC is done.
    need += workers * (std::uint64_t{p.rx_desc} + p.tx_desc);
    // The software distributor hands packets to each worker through a ring of rings.size.
    if (!p.rss) need += workers * board.rings.size;
  }
  need += workers * board.workers.burst;             // a burst in flight per worker
  need += (workers + 1) * board.mempool.cache;       // mbufs parked in per-lcore caches
  return need;
}

HugepageNeed hugepage_need(const BoardConfig& board) {
  HugepageNeed need;
  need.numa_node = board.mempool.numa_node;
  switch (board.mempool.hugepage) {
    case HugepageSize::none:
      return need;
    case HugepageSize::size_2m:
      need.page_kb = 2048;
      break;
    case HugepageSize::size_1g:
      need.page_kb = 1024 * 1024;
      break;
  }
  // Per mbuf: the data room, struct rte_mbuf (2 cache lines) and the mempool object header.
  const std::uint64_t per_mbuf = std::uint64_t{board.mempool.mbuf_size} + 128 + 64;
  const std::uint64_t bytes = std::uint64_t{board.mempool.mbufs} * per_mbuf * 5 / 4 +
                              std::uint64_t{board.mempool.extra_mb} * 1024 * 1024;
  const std::uint64_t page = need.page_kb * 1024;
  need.pages = (bytes + page - 1) / page;
  return need;
}

std::string_view role_name(PortRole role) {
  return role == PortRole::inline_pair ? "inline" : "monitor";
}

std::string_view overload_name(OverloadPolicy policy) {
  return policy == OverloadPolicy::drop ? "drop" : "bypass";
}

std::string_view bypass_backend_name(BypassBackend backend) {
  switch (backend) {
    case BypassBackend::sim: return "sim";
    case BypassBackend::sysfs: return "sysfs";
    case BypassBackend::gpio: return "gpio";
    case BypassBackend::none: break;
  }
  return "none";
}

std::string_view fail_policy_name(FailPolicy policy) {
  return policy == FailPolicy::fail_open ? "fail-open" : "fail-closed";
}

std::string_view watchdog_backend_name(WatchdogBackend backend) {
  switch (backend) {
    case WatchdogBackend::sim: return "sim";
    case WatchdogBackend::dev: return "dev";
    case WatchdogBackend::none: break;
  }
  return "none";
}

std::string_view boot_control_name(BootControl control) {
  return control == BootControl::uboot_env ? "uboot-env" : "file";
}

std::string describe(const BoardConfig& b) {
  std::ostringstream o;
  o << "board " << b.name;
  if (!b.model.empty()) o << " (" << b.model << ")";
  o << "\n";
  for (const PortConfig& p : b.ports) {
    o << "  port " << p.name << ": " << (p.pci.empty() ? "vdev " + p.vdev : "pci " + p.pci)
      << ", " << role_name(p.role);
    if (p.role == PortRole::inline_pair) o << " with " << p.peer;
    o << ", " << (p.rss ? "rss" : "software distributor") << ", overload "
      << overload_name(p.overload) << ", rx/tx desc " << p.rx_desc << "/" << p.tx_desc << "\n";
  }
  o << "  workers: " << b.workers.lcores.size() << " on lcores";
  for (std::uint32_t l : b.workers.lcores) o << " " << l;
  o << ", main lcore " << b.eal.main_lcore << ", burst " << b.workers.burst << "\n";
  const HugepageNeed h = hugepage_need(b);
  o << "  mempool: " << b.mempool.mbufs << " mbufs (at least " << min_mbufs(b) << "), cache "
    << b.mempool.cache << ", data room " << b.mempool.mbuf_size << "; ";
  if (h.page_kb == 0) {
    o << "no hugepages\n";
  } else {
    o << h.pages << " x " << h.page_kb << " kB hugepages on NUMA node " << h.numa_node << "\n";
  }
  o << "  rings: " << b.rings.size << "; rss key " << b.rss.key_len << " bytes"
    << (b.rss.symmetric ? " (symmetric)" : "") << "\n";
  o << "  bypass: " << bypass_backend_name(b.bypass.backend) << ", "
    << fail_policy_name(b.bypass.policy) << " after " << b.bypass.stall_ms << " ms stall";
  for (const auto& [x, y] : b.bypass.pairs) o << ", " << b.ports[x].name << "/" << b.ports[y].name;
  o << "\n  watchdog: " << watchdog_backend_name(b.watchdog.backend);
  if (b.watchdog.backend != WatchdogBackend::none) {
    o << " " << b.watchdog.device << ", timeout " << b.watchdog.timeout_s << " s, fed every "
      << b.watchdog.feed_interval_ms << " ms";
  }
  o << "\n  slots: ";
  if (b.slots.present) {
    o << "a " << b.slots.a << ", b " << b.slots.b << ", boot control "
      << boot_control_name(b.slots.boot_control) << "\n";
  } else {
    o << "none\n";
  }
  return o.str();
}

}  // namespace vigil::board
