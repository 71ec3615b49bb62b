// Board file parser: TOML text -> BoardConfig, every field checked. See board_config.h.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <toml++/toml.h>

#include "control/board/board_config.h"
#include "control/board/rss_key.h"

namespace vigil::board {

namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t kMaxBoardBytes = 1024 * 1024;
constexpr std::size_t kMaxStringBytes = 4096;

std::string dq(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string join(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return std::string(key);
  return std::string(prefix) + "." + std::string(key);
}

std::string indexed(std::string_view name, std::size_t i) {
  return std::string(name) + "[" + std::to_string(i) + "]";
}

bool is_port_name(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
  });
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

unsigned hex_value(char c) {
  if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
  return static_cast<unsigned>(c - 'A' + 10);
}

// The device name of a vdev argument ("net_af_packet0" of "net_af_packet0,iface=veth0"), or ""
// when the argument is not of the form net_<driver><n>[,key=value...] without blanks.
std::string vdev_device(std::string_view vdev) {
  const std::string_view dev = vdev.substr(0, vdev.find(','));
  if (dev.size() < 5 || dev.substr(0, 4) != "net_") return {};
  for (char c : dev) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_';
    if (!ok) return {};
  }
  for (char c : vdev) {
    if (c == ' ' || c == '\t') return {};
  }
  return std::string(dev);
}

class Reader {
 public:
  Reader(const std::string& file, std::string& err) : file_(file), err_(err) {}

  std::string where(const toml::node* n) const {
    if (n != nullptr && n->source().begin.line > 0) {
      return file_ + ":" + std::to_string(n->source().begin.line);
    }
    return file_;
  }

  bool fail(const toml::node* n, std::string_view field, const std::string& why) {
    err_ = where(n) + ": " + std::string(field) + ": " + why;
    return false;
  }

  // Refuses keys of `t` not in `known`.
  bool keys(const toml::table& t, std::string_view prefix,
            std::initializer_list<std::string_view> known) {
    for (const auto& [k, v] : t) {
      const bool ok = std::find(known.begin(), known.end(), k.str()) != known.end();
      if (!ok) return fail(&v, join(prefix, k.str()), "unknown key");
    }
    return true;
  }

  // The sub-table `name` of the root (null when absent), refusing unknown keys.
  bool section(const toml::table& root, std::string_view name,
               std::initializer_list<std::string_view> known, const toml::table*& out) {
    out = nullptr;
    const toml::node* n = root.get(name);
    if (n == nullptr) return true;
    out = n->as_table();
    if (out == nullptr) return fail(n, name, "must be a table ([" + std::string(name) + "])");
    return keys(*out, name, known);
  }

  bool missing(const toml::node* t, std::string_view prefix, std::string_view key,
               std::string_view why = "missing (required)") {
    return fail(t, join(prefix, key), std::string(why));
  }

  bool string(const toml::table* t, std::string_view prefix, std::string_view key, bool required,
              std::string& out) {
    const toml::node* n = t ? t->get(key) : nullptr;
    if (n == nullptr) return required ? missing(t, prefix, key) : true;
    const auto* s = n->as_string();
    if (s == nullptr) return fail(n, join(prefix, key), "expected a string");
    return checked_string(n, join(prefix, key), s->get(), out);
  }

  bool checked_string(const toml::node* n, const std::string& field, const std::string& value,
                      std::string& out) {
    if (value.empty()) return fail(n, field, "must not be empty");
    if (value.size() > kMaxStringBytes) return fail(n, field, "longer than 4096 bytes");
    for (char c : value) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) return fail(n, field, "contains a control character");
    }
    out = value;
    return true;
  }

  bool absolute_path(const toml::table* t, std::string_view prefix, std::string_view key,
                     bool required, std::string& out) {
    if (!string(t, prefix, key, required, out)) return false;
    if (!out.empty() && out.front() != '/') {
      return fail(t->get(key), join(prefix, key), dq(out) + " is not an absolute path");
    }
    return true;
  }

  template <typename T>
  bool integer(const toml::table* t, std::string_view prefix, std::string_view key,
               std::int64_t min, std::int64_t max, bool required, T& out) {
    const toml::node* n = t ? t->get(key) : nullptr;
    if (n == nullptr) return required ? missing(t, prefix, key) : true;
    const auto* i = n->as_integer();
    if (i == nullptr || i->get() < min || i->get() > max) {
      return fail(n, join(prefix, key),
                  "expected an integer from " + std::to_string(min) + " to " +
                      std::to_string(max));
    }
    out = static_cast<T>(i->get());
    return true;
  }

  bool boolean(const toml::table* t, std::string_view prefix, std::string_view key, bool& out) {
    const toml::node* n = t ? t->get(key) : nullptr;
    if (n == nullptr) return true;
    const auto* b = n->as_boolean();
    if (b == nullptr) return fail(n, join(prefix, key), "expected true or false");
    out = b->get();
    return true;
  }

  template <typename E>
  bool choice(const toml::table* t, std::string_view prefix, std::string_view key,
              std::initializer_list<std::pair<std::string_view, E>> options, bool required,
              E& out) {
    std::string text;
    if (!string(t, prefix, key, required, text)) return false;
    if (text.empty()) return true;
    std::string names;
    for (const auto& [name, value] : options) {
      if (name == text) {
        out = value;
        return true;
      }
      names += (names.empty() ? "" : ", ") + std::string(name);
    }
    return fail(t->get(key), join(prefix, key), dq(text) + " is not one of " + names);
  }

 private:
  const std::string& file_;
  std::string& err_;
};

// A key present in `t`, for "only used by ..." checks.
bool has(const toml::table* t, std::string_view key) { return t != nullptr && t->contains(key); }

bool parse_ports(Reader& r, const toml::table& root, BoardConfig& c) {
  const toml::node* n = root.get("port");
  if (n == nullptr) return r.fail(nullptr, "port", "missing: a board needs at least one [[port]]");
  const toml::array* arr = n->as_array();
  if (arr == nullptr || !arr->is_array_of_tables()) {
    return r.fail(n, "port", "must be an array of tables ([[port]])");
  }
  if (arr->empty()) return r.fail(n, "port", "a board needs at least one [[port]]");
  if (arr->size() > 64) return r.fail(n, "port", "more than 64 ports");
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const toml::table* t = (*arr)[i].as_table();
    const std::string p = indexed("port", i);
    PortConfig port;
    port.line = static_cast<std::uint32_t>(t->source().begin.line);
    if (!r.keys(*t, p, {"name", "pci", "vdev", "role", "peer", "rss", "overload", "rx_desc",
                        "tx_desc"}) ||
        !r.string(t, p, "name", true, port.name)) {
      return false;
    }
    if (!is_port_name(port.name)) {
      return r.fail(t->get("name"), join(p, "name"),
                    dq(port.name) + " is not a port name (1 to 32 of A-Z a-z 0-9 _ - .)");
    }
    std::string pci;
    if (!r.string(t, p, "pci", false, pci) || !r.string(t, p, "vdev", false, port.vdev)) {
      return false;
    }
    if (!pci.empty() && !port.vdev.empty()) {
      return r.fail(t, p, "give either pci or vdev, not both");
    }
    if (pci.empty() && port.vdev.empty()) return r.fail(t, p, "give either pci or vdev");
    if (!pci.empty() && !parse_pci_address(pci, port.pci)) {
      return r.fail(t->get("pci"), join(p, "pci"),
                    dq(pci) + " is not a PCI address (dddd:bb:dd.f, e.g. 0000:3b:00.0)");
    }
    if (!port.vdev.empty() && vdev_device(port.vdev).empty()) {
      return r.fail(t->get("vdev"), join(p, "vdev"),
                    dq(port.vdev) +
                        " is not a vdev argument (net_<driver><n>[,key=value...], no blanks)");
    }
    if (!r.choice<PortRole>(t, p, "role",
                            {{"inline", PortRole::inline_pair}, {"monitor", PortRole::monitor}},
                            true, port.role) ||
        !r.string(t, p, "peer", false, port.peer)) {
      return false;
    }
    if (port.role == PortRole::inline_pair && port.peer.empty()) {
      return r.missing(t, p, "peer", "missing: an inline port needs its peer port");
    }
    if (port.role == PortRole::monitor && !port.peer.empty()) {
      return r.fail(t->get("peer"), join(p, "peer"), "a monitor port has no peer");
    }
    if (!r.boolean(t, p, "rss", port.rss) ||
        !r.choice<OverloadPolicy>(t, p, "overload",
                                  {{"drop", OverloadPolicy::drop},
                                   {"bypass", OverloadPolicy::bypass}},
                                  false, port.overload) ||
        !r.integer(t, p, "rx_desc", 32, 16384, false, port.rx_desc) ||
        !r.integer(t, p, "tx_desc", 32, 16384, false, port.tx_desc)) {
      return false;
    }
    // i40e, ixgbe and most other PMDs want descriptor counts in multiples of 32.
    if (port.rx_desc % 32 != 0) {
      return r.fail(t->get("rx_desc"), join(p, "rx_desc"),
                    std::to_string(port.rx_desc) + " is not a multiple of 32");
    }
    if (port.tx_desc % 32 != 0) {
      return r.fail(t->get("tx_desc"), join(p, "tx_desc"),
                    std::to_string(port.tx_desc) + " is not a multiple of 32");
    }
    for (std::size_t j = 0; j < c.ports.size(); ++j) {
      const PortConfig& other = c.ports[j];
      if (other.name == port.name) {
        return r.fail(t->get("name"), join(p, "name"),
                      dq(port.name) + " is already the name of " + indexed("port", j));
      }
      if (!port.pci.empty() && other.pci == port.pci) {
        return r.fail(t->get("pci"), join(p, "pci"),
                      port.pci + " is already " + indexed("port", j));
      }
      if (!port.vdev.empty() && !other.vdev.empty() &&
          vdev_device(other.vdev) == vdev_device(port.vdev)) {
        return r.fail(t->get("vdev"), join(p, "vdev"),
                      "device " + dq(vdev_device(port.vdev)) + " is already " +
                          indexed("port", j));
      }
    }
    c.ports.push_back(std::move(port));
  }
  // Inline pairs: the peer exists, is inline, names this port back, and spreads flows alike.
  for (std::size_t i = 0; i < c.ports.size(); ++i) {
    PortConfig& port = c.ports[i];
    if (port.role != PortRole::inline_pair) continue;
    const toml::table* t = (*arr)[i].as_table();
    const toml::node* peer_node = t->get("peer");
    const std::string field = join(indexed("port", i), "peer");
    auto it = std::find_if(c.ports.begin(), c.ports.end(),
                           [&](const PortConfig& o) { return o.name == port.peer; });
    if (it == c.ports.end()) {
      return r.fail(peer_node, field, dq(port.peer) + " is not a port of this board");
    }
    const auto j = static_cast<std::size_t>(it - c.ports.begin());
    if (j == i) return r.fail(peer_node, field, "a port cannot be its own peer");
    if (it->role != PortRole::inline_pair) {
      return r.fail(peer_node, field, dq(port.peer) + " is a monitor port, not inline");
    }
    if (it->peer != port.name) {
      return r.fail(peer_node, field,
                    "inline pair not mutual: " + dq(port.peer) + " names " +
                        dq(it->peer) + " as its peer, not " + dq(port.name));
    }
    if (it->rss != port.rss) {
      const toml::node* rss_node = t->get("rss") ? t->get("rss") : t;
      return r.fail(rss_node, join(indexed("port", i), "rss"),
                    "differs from its peer " + dq(port.peer) +
                        " (both directions of a flow must be spread the same way)");
    }
    port.peer_index = j;
  }
  return true;
}

bool parse_eal(Reader& r, const toml::table* t, BoardConfig& c) {
  if (!r.integer(t, "eal", "main_lcore", 0, kMaxLcore, false, c.eal.main_lcore)) return false;
  const toml::node* n = t ? t->get("args") : nullptr;
  if (n == nullptr) return true;
  const toml::array* arr = n->as_array();
  if (arr == nullptr) return r.fail(n, "eal.args", "expected an array of strings");
  if (arr->size() > 64) return r.fail(n, "eal.args", "more than 64 arguments");
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const auto* s = (*arr)[i].as_string();
    const std::string field = indexed("eal.args", i);
    if (s == nullptr) return r.fail(n, field, "expected a string");
    std::string arg;
    if (!r.checked_string(n, field, s->get(), arg)) return false;
    // What the board itself says (lcores, devices, runtime files) must not be said twice.
    const std::string_view opt = std::string_view(arg).substr(0, arg.find('='));
    static constexpr std::string_view kGenerated[] = {
        "-l",    "--lcores", "-c",         "--main-lcore",    "--master-lcore", "-a",
        "--allow", "-w",     "--pci-whitelist", "-b",       "--block",         "--pci-blacklist",
        "--vdev", "--file-prefix"};
    if (std::find(std::begin(kGenerated), std::end(kGenerated), opt) != std::end(kGenerated)) {
      return r.fail(n, "eal.args",
                    dq(arg) +
                        " is generated from the board (workers, main_lcore, ports, file prefix); "
                        "remove it");
    }
    c.eal.args.push_back(std::move(arg));
  }
  return true;
}

bool parse_workers(Reader& r, const toml::table* t, BoardConfig& c) {
  if (t == nullptr) return r.fail(nullptr, "workers", "missing: [workers] lcores = [...]");
  if (!r.integer(t, "workers", "burst", 1, 256, false, c.workers.burst)) return false;
  const toml::node* n = t->get("lcores");
  if (n == nullptr) return r.missing(t, "workers", "lcores");
  const toml::array* arr = n->as_array();
  if (arr == nullptr) return r.fail(n, "workers.lcores", "expected an array of lcore numbers");
  if (arr->empty()) return r.fail(n, "workers.lcores", "must list at least one lcore");
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const auto* v = (*arr)[i].as_integer();
    if (v == nullptr) return r.fail(n, "workers.lcores", "expected an array of lcore numbers");
    const std::int64_t lcore = v->get();
    if (lcore < 0 || lcore > kMaxLcore) {
      return r.fail(n, "workers.lcores",
                    "lcore " + std::to_string(lcore) + " is out of range 0.." +
                        std::to_string(kMaxLcore));
    }
    const auto l = static_cast<std::uint32_t>(lcore);
    if (l == c.eal.main_lcore) {
      return r.fail(n, "workers.lcores", "lcore " + std::to_string(l) + " is the main lcore");
    }
    if (std::find(c.workers.lcores.begin(), c.workers.lcores.end(), l) !=
        c.workers.lcores.end()) {
      return r.fail(n, "workers.lcores", "lcore " + std::to_string(l) + " is listed twice");
    }
    c.workers.lcores.push_back(l);
  }
  // cpus: the CPU each worker lcore runs on (lcores may share a CPU, e.g. to run several workers
  // on a small machine); absent, lcore n runs on CPU n.
  if (const toml::node* cn = t->get("cpus")) {
    const toml::array* ca = cn->as_array();
    if (ca == nullptr || ca->size() != c.workers.lcores.size()) {
      return r.fail(cn, "workers.cpus", "expected one CPU number per lcore (" +
                                            std::to_string(c.workers.lcores.size()) + ")");
    }
    for (std::size_t i = 0; i < ca->size(); ++i) {
      const auto* v = (*ca)[i].as_integer();
      if (v == nullptr || v->get() < 0 || v->get() > kMaxLcore) {
        return r.fail(cn, "workers.cpus",
                      "expected CPU numbers from 0 to " + std::to_string(kMaxLcore));
      }
      c.workers.cpus.push_back(static_cast<std::uint32_t>(v->get()));
    }
  }
  return true;
}

bool parse_mempool_rings(Reader& r, const toml::table* mp, const toml::table* rings,
                         BoardConfig& c) {
  if (mp == nullptr) return r.fail(nullptr, "mempool", "missing: [mempool] mbufs = N");
  if (!r.integer(mp, "mempool", "mbufs", 1, 1 << 30, true, c.mempool.mbufs) ||
      !r.integer(mp, "mempool", "cache", 0, 512, false, c.mempool.cache) ||
      !r.integer(mp, "mempool", "mbuf_size", 256, 65535, false, c.mempool.mbuf_size) ||
      !r.choice<HugepageSize>(mp, "mempool", "hugepage",
                              {{"2M", HugepageSize::size_2m},
                               {"1G", HugepageSize::size_1g},
                               {"none", HugepageSize::none}},
                              false, c.mempool.hugepage) ||
      !r.integer(mp, "mempool", "numa_node", 0, 63, false, c.mempool.numa_node) ||
      !r.integer(mp, "mempool", "extra_mb", 0, 1 << 20, false, c.mempool.extra_mb) ||
      !r.integer(rings, "rings", "size", 64, 1 << 20, false, c.rings.size)) {
    return false;
  }
  const std::uint32_t size = c.rings.size;
  if ((size & (size - 1)) != 0) {
    return r.fail(rings->get("size"), "rings.size",
                  std::to_string(size) + " is not a power of two");
  }
  return true;
}

// Called after ports, workers, mempool and rings are known.
bool check_mbufs(Reader& r, const toml::table* mp, const BoardConfig& c) {
  const std::uint64_t need = min_mbufs(c);
  if (c.mempool.mbufs >= need) return true;
  const std::uint64_t workers = c.workers.lcores.size();
  std::uint64_t desc = 0, rings = 0;
  for (const PortConfig& p : c.ports) {
    desc += workers * (std::uint64_t{p.rx_desc} + p.tx_desc);
    if (!p.rss) rings += workers * c.rings.size;
  }
  const std::uint64_t burst = workers * c.workers.burst;
  const std::uint64_t cache = (workers + 1) * c.mempool.cache;
  return r.fail(mp->get("mbufs"), "mempool.mbufs",
                std::to_string(c.mempool.mbufs) + " is too few; this board needs at least " +
                    std::to_string(need) + " (ports x queues x descriptors " +
                    std::to_string(desc) + " + burst x workers " + std::to_string(burst) +
                    " + cache x lcores " + std::to_string(cache) + " + distributor rings " +
                    std::to_string(rings) + ")");
}

bool parse_rss(Reader& r, const toml::table* t, BoardConfig& c) {
  if (!r.boolean(t, "rss", "symmetric", c.rss.symmetric)) return false;
  std::string hex;
  if (!r.string(t, "rss", "key", false, hex)) return false;
  if (hex.empty()) {
    default_rss_key(c.rss);
    return true;
  }
  const toml::node* n = t->get("key");
  if (!std::all_of(hex.begin(), hex.end(), is_hex)) {
    return r.fail(n, "rss.key", "is not a hex string (two hex digits per byte, no separators)");
  }
  if (hex.size() % 2 != 0) return r.fail(n, "rss.key", "has an odd number of hex digits");
  const std::size_t len = hex.size() / 2;
  if (len != 40 && len != 52) {
    return r.fail(n, "rss.key",
                  std::to_string(len) + " bytes; an RSS key is 40 or 52 bytes (80 or 104 hex "
                                        "digits)");
  }
  for (std::size_t i = 0; i < len; ++i) {
    c.rss.key[i] = static_cast<std::uint8_t>(hex_value(hex[2 * i]) << 4 | hex_value(hex[2 * i + 1]));
  }
  c.rss.key_len = len;
  if (c.rss.symmetric && !rss_key_is_symmetric({c.rss.key.data(), len})) {
    return r.fail(n, "rss.key",
                  "not symmetric: the two directions of a flow would land on different workers "
                  "(use a key repeating every 2 bytes, e.g. 6d5a6d5a..., or set symmetric = "
                  "false)");
  }
  return true;
}

bool parse_bypass(Reader& r, const toml::table* t, BoardConfig& c) {
  BypassConfig& b = c.bypass;
  if (!r.choice<BypassBackend>(t, "bypass", "backend",
                               {{"none", BypassBackend::none},
                                {"sim", BypassBackend::sim},
                                {"sysfs", BypassBackend::sysfs},
                                {"gpio", BypassBackend::gpio}},
                               false, b.backend) ||
      !r.choice<FailPolicy>(t, "bypass", "policy",
                            {{"fail-open", FailPolicy::fail_open},
                             {"fail-closed", FailPolicy::fail_closed}},
                            false, b.policy) ||
      !r.integer(t, "bypass", "stall_ms", 10, 600000, false, b.stall_ms)) {
    return false;
  }
  const bool path_used = b.backend == BypassBackend::sim || b.backend == BypassBackend::sysfs;
  if (has(t, "path") && !path_used) {
    return r.fail(t->get("path"), "bypass.path", "only used by the sim and sysfs backends");
  }
  for (std::string_view k : {"chip", "line", "active_low"}) {
    if (has(t, k) && b.backend != BypassBackend::gpio) {
      return r.fail(t->get(k), join("bypass", k), "only used by the gpio backend");
    }
  }
  for (std::string_view k : {"engage_value", "release_value"}) {
    if (has(t, k) && b.backend != BypassBackend::sysfs) {
      return r.fail(t->get(k), join("bypass", k), "only used by the sysfs backend");
    }
  }
  switch (b.backend) {
    case BypassBackend::none:
      break;
    case BypassBackend::sim:
      if (!r.string(t, "bypass", "path", false, b.path)) return false;
      break;
    case BypassBackend::sysfs:
      if (!r.absolute_path(t, "bypass", "path", true, b.path) ||
          !r.string(t, "bypass", "engage_value", false, b.engage_value) ||
          !r.string(t, "bypass", "release_value", false, b.release_value)) {
        return false;
      }
      if (b.engage_value == b.release_value) {
        return r.fail(t->get("release_value"), "bypass.release_value",
                      "same as engage_value: the relay state could not be read back");
      }
      break;
    case BypassBackend::gpio:
      if (!r.string(t, "bypass", "chip", true, b.chip) ||
          !r.integer(t, "bypass", "line", 0, 65535, true, b.line) ||
          !r.boolean(t, "bypass", "active_low", b.active_low)) {
        return false;
      }
      break;
  }
  const toml::node* pairs = t ? t->get("pairs") : nullptr;
  if (b.backend == BypassBackend::none) {
    if (pairs != nullptr) {
      return r.fail(pairs, "bypass.pairs", "no relay (backend = \"none\") to cover them");
    }
    return true;
  }
  if (pairs == nullptr) {  // the relay covers every inline pair
    for (std::size_t i = 0; i < c.ports.size(); ++i) {
      if (c.ports[i].role == PortRole::inline_pair && i < c.ports[i].peer_index) {
        b.pairs.emplace_back(i, c.ports[i].peer_index);
      }
    }
    if (b.pairs.empty()) {
      return r.fail(t->get("backend"), "bypass.backend",
                    "this board has no inline pair for a relay to cover");
    }
    return true;
  }
  const toml::array* arr = pairs->as_array();
  if (arr == nullptr || arr->empty()) {
    return r.fail(pairs, "bypass.pairs", "expected a list of port pairs, e.g. [[\"lan0\", \"wan0\"]]");
  }
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const std::string field = indexed("bypass.pairs", i);
    const toml::array* pair = (*arr)[i].as_array();
    if (pair == nullptr || pair->size() != 2 || !(*pair)[0].is_string() ||
        !(*pair)[1].is_string()) {
      return r.fail(pairs, field, "expected two port names, e.g. [\"lan0\", \"wan0\"]");
    }
    std::size_t idx[2] = {kNoPeer, kNoPeer};
    for (std::size_t k = 0; k < 2; ++k) {
      const std::string& name = (*pair)[k].as_string()->get();
      for (std::size_t j = 0; j < c.ports.size(); ++j) {
        if (c.ports[j].name == name) idx[k] = j;
      }
      if (idx[k] == kNoPeer) {
        return r.fail(pairs, field, dq(name) + " is not a port of this board");
      }
    }
    if (c.ports[idx[0]].role != PortRole::inline_pair || c.ports[idx[0]].peer_index != idx[1]) {
      return r.fail(pairs, field,
                    dq(c.ports[idx[0]].name) + " and " + dq(c.ports[idx[1]].name) +
                        " are not an inline pair");
    }
    const auto pr = std::minmax(idx[0], idx[1]);
    const std::pair<std::size_t, std::size_t> ordered{pr.first, pr.second};
    if (std::find(b.pairs.begin(), b.pairs.end(), ordered) != b.pairs.end()) {
      return r.fail(pairs, field,
                    "the pair " + dq(c.ports[idx[0]].name) + "/" +
                        dq(c.ports[idx[1]].name) + " is listed twice");
    }
    b.pairs.push_back(ordered);
  }
  return true;
}

bool parse_watchdog(Reader& r, const toml::table* t, BoardConfig& c) {
  WatchdogConfig& w = c.watchdog;
  if (!r.choice<WatchdogBackend>(t, "watchdog", "backend",
                                 {{"none", WatchdogBackend::none},
                                  {"sim", WatchdogBackend::sim},
                                  {"dev", WatchdogBackend::dev}},
                                 false, w.backend) ||
      !r.integer(t, "watchdog", "timeout_s", 1, 3600, false, w.timeout_s) ||
      !r.integer(t, "watchdog", "feed_interval_ms", 10, 3600000, false, w.feed_interval_ms)) {
    return false;
  }
  switch (w.backend) {
    case WatchdogBackend::none:
      if (has(t, "device")) {
        return r.fail(t->get("device"), "watchdog.device", "no device with backend \"none\"");
      }
      return true;
    case WatchdogBackend::sim:
      if (!r.string(t, "watchdog", "device", true, w.device)) return false;
      break;
    case WatchdogBackend::dev:
      w.device = "/dev/watchdog";
      if (!r.absolute_path(t, "watchdog", "device", false, w.device)) return false;
      break;
  }
  if (std::uint64_t{w.feed_interval_ms} * 2 > std::uint64_t{w.timeout_s} * 1000) {
    const toml::node* n = t->get("feed_interval_ms") ? t->get("feed_interval_ms") : t;
    return r.fail(n, "watchdog.feed_interval_ms",
                  std::to_string(w.feed_interval_ms) + " ms is more than half of timeout_s (" +
                      std::to_string(w.timeout_s) + " s): one late feed would reset the board");
  }
  return true;
}

bool parse_slots(Reader& r, const toml::table* t, BoardConfig& c) {
  if (t == nullptr) return true;
  SlotsConfig& s = c.slots;
  s.present = true;
  if (!r.string(t, "slots", "a", true, s.a) || !r.string(t, "slots", "b", true, s.b) ||
      !r.choice<BootControl>(t, "slots", "boot_control",
                             {{"uboot-env", BootControl::uboot_env}, {"file", BootControl::file}},
                             true, s.boot_control)) {
    return false;
  }
  if (s.a == s.b) return r.fail(t->get("b"), "slots.b", "same device as slots.a");
  if (s.boot_control == BootControl::file) {
    if (has(t, "env_config")) {
      return r.fail(t->get("env_config"), "slots.env_config",
                    "only used with boot_control = \"uboot-env\"");
    }
    return r.string(t, "slots", "state", true, s.state);
  }
  if (has(t, "state")) {
    return r.fail(t->get("state"), "slots.state", "only used with boot_control = \"file\"");
  }
  s.env_config = "/etc/fw_env.config";
  return r.absolute_path(t, "slots", "env_config", false, s.env_config);
}

}  // namespace

bool parse_pci_address(std::string_view text, std::string& normalised) {
  // dddd:bb:dd.f
  if (text.size() != 12 || text[4] != ':' || text[7] != ':' || text[10] != '.') return false;
  std::string out(text);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i == 4 || i == 7 || i == 10) continue;
    if (!is_hex(out[i])) return false;
    if (out[i] >= 'A' && out[i] <= 'F') out[i] = static_cast<char>(out[i] - 'A' + 'a');
  }
  const unsigned device = hex_value(out[8]) * 16 + hex_value(out[9]);
  const unsigned function = hex_value(out[11]);
  if (device > 0x1f || function > 7) return false;
  normalised = std::move(out);
  return true;
}

bool parse_board(std::string_view text, const std::string& name, BoardConfig& out,
                 std::string& err) {
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    err = name + ":" + std::to_string(e.source().begin.line) + ": " +
          std::string(e.description());
    return false;
  }
  Reader r(name, err);
  for (const auto& [k, v] : root) {
    static constexpr std::string_view kKnown[] = {"name",    "model",   "description", "eal",
                                                  "port",    "workers", "mempool",     "rings",
                                                  "rss",     "bypass",  "watchdog",    "slots"};
    if (std::find(std::begin(kKnown), std::end(kKnown), k.str()) == std::end(kKnown)) {
      return r.fail(&v, k.str(), v.is_table() || v.is_array_of_tables() ? "unknown section"
                                                                          : "unknown key");
    }
  }
  BoardConfig c;
  c.file = name;
  const toml::table *eal = nullptr, *workers = nullptr, *mempool = nullptr, *rings = nullptr,
                    *rss = nullptr, *bypass = nullptr, *watchdog = nullptr, *slots = nullptr;
  if (!r.string(&root, "", "name", true, c.name) ||
      !r.string(&root, "", "model", false, c.model) ||
      !r.string(&root, "", "description", false, c.description) ||
      !r.section(root, "eal", {"args", "main_lcore"}, eal) ||
      !r.section(root, "workers", {"lcores", "cpus", "burst"}, workers) ||
      !r.section(root, "mempool",
                 {"mbufs", "cache", "mbuf_size", "hugepage", "numa_node", "extra_mb"}, mempool) ||
      !r.section(root, "rings", {"size"}, rings) ||
      !r.section(root, "rss", {"key", "symmetric"}, rss) ||
      !r.section(root, "bypass",
                 {"backend", "path", "chip", "line", "active_low", "engage_value",
                  "release_value", "pairs", "policy", "stall_ms"},
                 bypass) ||
      !r.section(root, "watchdog", {"backend", "device", "timeout_s", "feed_interval_ms"},
                 watchdog) ||
      !r.section(root, "slots", {"a", "b", "boot_control", "state", "env_config"}, slots)) {
    return false;
  }
  if (!parse_eal(r, eal, c) || !parse_ports(r, root, c) || !parse_workers(r, workers, c) ||
      !parse_mempool_rings(r, mempool, rings, c) || !check_mbufs(r, mempool, c) ||
      !parse_rss(r, rss, c) || !parse_bypass(r, bypass, c) || !parse_watchdog(r, watchdog, c) ||
      !parse_slots(r, slots, c)) {
    return false;
  }
  // EAL arguments that contradict the ports.
  for (const std::string& arg : c.eal.args) {
    if (arg != "--no-pci") continue;
    for (std::size_t i = 0; i < c.ports.size(); ++i) {
      if (!c.ports[i].pci.empty()) {
        return r.fail(eal ? eal->get("args") : nullptr, "eal.args",
                      "\"--no-pci\" but " + indexed("port", i) + " is a PCI device");
      }
    }
  }
  out = std::move(c);
  return true;
}

bool load_board(const std::string& path, BoardConfig& out, std::string& err) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) {
    err = path + ": cannot read board file: " + ec.message();
    return false;
  }
  if (size > kMaxBoardBytes) {
    err = path + ": board file is larger than 1 MiB";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) {
    err = path + ": cannot read board file";
    return false;
  }
  return parse_board(text.str(), path, out, err);
}

}  // namespace vigil::board
