// The board file: what one appliance model is made of (TOML, board/<model>/board.toml). Its ports
// (PCI address or DPDK vdev arguments) and their roles (inline pairs, monitor ports), the EAL
// lcores, mempool and ring sizes, the RSS key, the bypass relay, the hardware watchdog and the
// A/B firmware slots. Parsed once at start-up into a plain struct that is read-only afterwards.
//
// Everything is validated: unknown sections and keys are errors (a typo must not go unnoticed on
// a client's rack), and every error is one line naming the file, the line, the field path and
// the reason, e.g.
//   board.toml:14: port[1].peer: "wan0" is not a port of this board
//
// Layout (defaults in brackets; board/sim/board.toml and board/x710-1u/board.toml are examples):
//   name = "x710-1u"  model = "..."  description = "..."           name required
//   [eal]      args = ["--no-huge", ...]  main_lcore [0]
//   [[port]]   name, pci = "0000:3b:00.0" | vdev = "net_af_packet0,iface=veth0" (exactly one),
//              role = "inline" (+ peer = <port name>, mutual) | "monitor", rss [true],
//              overload = "drop" | "bypass" [bypass], rx_desc [1024], tx_desc [1024]
//   [workers]  lcores = [1, 2] (required), burst [32]
//   [mempool]  mbufs (required), cache [256], mbuf_size [2176], hugepage = "1G"|"2M"|"none" [2M],
//              numa_node [0], extra_mb [512]
//   [rings]    size [1024] (power of two)
//   [rss]      key = "6d5a..." (40 or 52 bytes in hex) [symmetric default], symmetric [true]
//   [bypass]   backend = "none"|"sim"|"sysfs"|"gpio" [none], path, chip, line, active_low,
//              engage_value ["1"], release_value ["0"], pairs = [["lan0","wan0"]] [every inline
//              pair], policy = "fail-open"|"fail-closed" [fail-open], stall_ms [500]
//   [watchdog] backend = "none"|"sim"|"dev" [none], device ["/dev/watchdog" for dev],
//              timeout_s [30], feed_interval_ms [1000]
//   [slots]    a, b, boot_control = "uboot-env"|"file", state (file: required), env_config
//              (uboot-env: ["/etc/fw_env.config"])
// Paths are kept as written (a relative path is relative to vigild's working directory).
//
// Thread-safety: plain data and pure functions; no shared state.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::board {

enum class PortRole : std::uint8_t { inline_pair, monitor };
// What a port does with packets it cannot inspect in time (queues full, workers behind).
enum class OverloadPolicy : std::uint8_t { drop, bypass };
enum class BypassBackend : std::uint8_t { none, sim, sysfs, gpio };
enum class FailPolicy : std::uint8_t { fail_open, fail_closed };
enum class WatchdogBackend : std::uint8_t { none, sim, dev };
enum class BootControl : std::uint8_t { uboot_env, file };
enum class HugepageSize : std::uint8_t { none, size_2m, size_1g };

inline constexpr std::uint32_t kMaxLcore = 1023;
inline constexpr std::size_t kNoPeer = static_cast<std::size_t>(-1);

struct PortConfig {
  std::string name;
  std::string pci;   // normalised "dddd:bb:dd.f" (lower case), or empty
  std::string vdev;  // full vdev argument "net_af_packet0,iface=veth0", or empty
  PortRole role = PortRole::monitor;
  std::string peer;              // inline: the other port of the pair
  std::size_t peer_index = kNoPeer;  // index of `peer` in BoardConfig::ports
  bool rss = true;               // false: the software distributor spreads this port's packets
  OverloadPolicy overload = OverloadPolicy::bypass;
  std::uint16_t rx_desc = 1024;
  std::uint16_t tx_desc = 1024;
  std::uint32_t line = 0;  // line of the [[port]] table in the board file (for later messages)
};

struct EalConfig {
  std::vector<std::string> args;  // extra EAL arguments, passed as given
  std::uint32_t main_lcore = 0;
};

struct WorkersConfig {
  std::vector<std::uint32_t> lcores;  // one worker per lcore; distinct, not the main lcore
  std::vector<std::uint32_t> cpus;    // optional: the CPU of each lcore (--lcores lcore@cpu)
  std::uint32_t burst = 32;
};

struct MempoolConfig {
  std::uint32_t mbufs = 0;
  std::uint32_t cache = 256;       // per-lcore mempool cache (DPDK allows at most 512)
  std::uint32_t mbuf_size = 2176;  // data room: 2048 + 128 headroom (RTE_MBUF_DEFAULT_BUF_SIZE)
  HugepageSize hugepage = HugepageSize::size_2m;
  std::uint32_t numa_node = 0;
  std::uint32_t extra_mb = 512;  // hugepage memory beyond the mbufs: rings, flow tables, heap
};

struct RingsConfig {
  std::uint32_t size = 1024;
};

inline constexpr std::size_t kRssKeyMax = 52;

struct RssConfig {
  std::array<std::uint8_t, kRssKeyMax> key{};
  std::size_t key_len = 0;  // 40 or 52
  bool symmetric = true;    // the key must hash both directions of a flow alike (checked)
};

struct BypassConfig {
  BypassBackend backend = BypassBackend::none;
  std::string path;  // sim: state file; sysfs: attribute file
  std::string chip;  // gpio: "/dev/gpiochip0", "gpiochip0" or "0"
  std::uint32_t line = 0;
  bool active_low = false;
  std::string engage_value = "1";   // sysfs
  std::string release_value = "0";  // sysfs
  std::vector<std::pair<std::size_t, std::size_t>> pairs;  // port indexes of the covered pairs
  FailPolicy policy = FailPolicy::fail_open;
  std::uint32_t stall_ms = 500;  // a worker silent for longer than this is stalled
};

struct WatchdogConfig {
  WatchdogBackend backend = WatchdogBackend::none;
  std::string device;  // dev: the watchdog device; sim: a file touched on each feed
  std::uint32_t timeout_s = 30;
  std::uint32_t feed_interval_ms = 1000;
};

struct SlotsConfig {
  bool present = false;  // false: no [slots] section (no A/B updates on this board)
  std::string a, b;
  BootControl boot_control = BootControl::file;
  std::string state;       // file: the file naming the active slot
  std::string env_config;  // uboot-env: fw_setenv's configuration
};

struct BoardConfig {
  std::string file;  // the name given to the parser, for later messages
  std::string name, model, description;
  EalConfig eal;
  std::vector<PortConfig> ports;
  WorkersConfig workers;
  MempoolConfig mempool;
  RingsConfig rings;
  RssConfig rss;
  BypassConfig bypass;
  WatchdogConfig watchdog;
  SlotsConfig slots;
};

// Reads and parses `path` (at most 1 MiB). false + `err` on any problem; `out` is untouched then.
bool load_board(const std::string& path, BoardConfig& out, std::string& err);

// Parses board TOML text; `name` is the file name used in messages.
bool parse_board(std::string_view text, const std::string& name, BoardConfig& out,
                 std::string& err);

// The EAL argument vector for the board: args[0] = "vigild" (argv[0], as Eal::init wants), then
// -l <main,workers...>, --main-lcore N, -a <pci> per PCI port, --vdev <args> per vdev port, the
// board's extra args, and --file-prefix <file_prefix> unless the extra args say --in-memory or
// `file_prefix` is empty.
std::vector<std::string> eal_args(const BoardConfig& board, std::string_view file_prefix);

// The mbufs the board needs at least: every RX and TX descriptor of every queue (one RX and one
// TX queue per worker on every port), a burst per worker, the per-lcore mempool caches, and the
// software-distributor rings of ports without RSS.
std::uint64_t min_mbufs(const BoardConfig& board);

struct HugepageNeed {
  std::uint32_t numa_node = 0;
  std::uint64_t page_kb = 0;  // 0: the board uses no hugepages
  std::uint64_t pages = 0;
};
// Hugepages to reserve for the board: mbufs (data room + mbuf and mempool headers) plus a quarter
// for allocator slack, plus mempool.extra_mb, rounded up to whole pages.
HugepageNeed hugepage_need(const BoardConfig& board);

// A one-paragraph human summary (vigil-board check).
std::string describe(const BoardConfig& board);

std::string_view role_name(PortRole role);
std::string_view overload_name(OverloadPolicy policy);
std::string_view bypass_backend_name(BypassBackend backend);
std::string_view fail_policy_name(FailPolicy policy);
std::string_view watchdog_backend_name(WatchdogBackend backend);
std::string_view boot_control_name(BootControl control);

// "0000:3b:00.0" (upper or lower case hex, full domain form) -> true and the lower-case form.
bool parse_pci_address(std::string_view text, std::string& normalised);

}  // namespace vigil::board
