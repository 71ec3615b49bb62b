#include <CppUTest/TestHarness.h>

#include "control/board/rss_key.h"
#include "test_util.h"

using namespace vigil::board;
using namespace vigil::board::test;

TEST_GROUP(BoardShipped){};

TEST(BoardShipped, SimBoardLoads) {
  BoardConfig b;
  std::string err;
  CHECK_TEXT(load_board(VIGIL_BOARD_DIR "/sim/board.toml", b, err), err.c_str());
  STRCMP_EQUAL("sim", b.name.c_str());
  LONGS_EQUAL(3, b.ports.size());
  STRCMP_EQUAL("net_af_packet0,iface=vgl-a0", b.ports[0].vdev.c_str());
  STRCMP_EQUAL("net_af_packet1,iface=vgl-b0", b.ports[1].vdev.c_str());
  CHECK(b.ports[0].role == PortRole::inline_pair);
  LONGS_EQUAL(1, b.ports[0].peer_index);
  LONGS_EQUAL(0, b.ports[1].peer_index);
  CHECK(b.ports[2].role == PortRole::monitor);
  LONGS_EQUAL(kNoPeer, b.ports[2].peer_index);
  CHECK_FALSE(b.ports[0].rss);
  CHECK(b.mempool.hugepage == HugepageSize::none);
  CHECK(b.bypass.backend == BypassBackend::sim);
  LONGS_EQUAL(1, b.bypass.pairs.size());
  CHECK(b.watchdog.backend == WatchdogBackend::sim);
  CHECK(b.slots.present);
  CHECK(b.slots.boot_control == BootControl::file);
  STRCMP_EQUAL("sim-state/boot-slot", b.slots.state.c_str());
  LONGS_EQUAL(52, b.rss.key_len);
  CHECK(rss_key_is_symmetric({b.rss.key.data(), b.rss.key_len}));
  LONGS_EQUAL(0, hugepage_need(b).page_kb);
}

TEST(BoardShipped, X710BoardLoads) {
  BoardConfig b;
  std::string err;
  CHECK_TEXT(load_board(VIGIL_BOARD_DIR "/x710-1u/board.toml", b, err), err.c_str());
  STRCMP_EQUAL("x710-1u", b.name.c_str());
  LONGS_EQUAL(4, b.ports.size());
  STRCMP_EQUAL("0000:3b:00.0", b.ports[0].pci.c_str());
  STRCMP_EQUAL("0000:3b:00.3", b.ports[3].pci.c_str());
  LONGS_EQUAL(1, b.ports[0].peer_index);
  LONGS_EQUAL(3, b.ports[2].peer_index);
  LONGS_EQUAL(8, b.workers.lcores.size());
  LONGS_EQUAL(1, b.eal.main_lcore);
  CHECK(b.bypass.backend == BypassBackend::gpio);
  STRCMP_EQUAL("/dev/gpiochip0", b.bypass.chip.c_str());
  LONGS_EQUAL(2, b.bypass.pairs.size());
  CHECK(b.bypass.pairs[1] == std::make_pair(std::size_t{2}, std::size_t{3}));
  CHECK(b.bypass.policy == FailPolicy::fail_open);
  CHECK(b.watchdog.backend == WatchdogBackend::dev);
  STRCMP_EQUAL("/dev/watchdog", b.watchdog.device.c_str());
  CHECK(b.slots.boot_control == BootControl::uboot_env);
  STRCMP_EQUAL("/dev/nvme0n1p2", b.slots.a.c_str());
  STRCMP_EQUAL("/dev/nvme0n1p3", b.slots.b.c_str());
  LONGS_EQUAL(52, b.rss.key_len);
  LONGS_EQUAL(133632, min_mbufs(b));
  const HugepageNeed h = hugepage_need(b);
  LONGS_EQUAL(0, h.numa_node);
  LONGS_EQUAL(1024 * 1024, h.page_kb);
  LONGS_EQUAL(3, h.pages);
}

TEST(BoardShipped, MissingFileIsNamed) {
  BoardConfig b;
  std::string err;
  CHECK_FALSE(load_board("/nonexistent/board.toml", b, err));
  STRCMP_CONTAINS("/nonexistent/board.toml: cannot read board file", err.c_str());
}

TEST_GROUP(BoardDefaults){};

TEST(BoardDefaults, MinimalBoard) {
  const BoardConfig b = parse_ok(kBase);
  STRCMP_EQUAL("board.toml", b.file.c_str());
  LONGS_EQUAL(32, b.workers.burst);
  LONGS_EQUAL(1024, b.ports[0].rx_desc);
  LONGS_EQUAL(1024, b.ports[0].tx_desc);
  CHECK(b.ports[0].rss);
  CHECK(b.ports[0].overload == OverloadPolicy::bypass);
  LONGS_EQUAL(4, b.ports[0].line);  // the [[port]] header
  LONGS_EQUAL(256, b.mempool.cache);
  LONGS_EQUAL(2176, b.mempool.mbuf_size);
  CHECK(b.mempool.hugepage == HugepageSize::size_2m);
  LONGS_EQUAL(52, b.rss.key_len);
  LONGS_EQUAL(0x6d, b.rss.key[0]);
  LONGS_EQUAL(0x5a, b.rss.key[51]);
  CHECK(b.bypass.backend == BypassBackend::none);
  CHECK(b.bypass.pairs.empty());
  CHECK(b.watchdog.backend == WatchdogBackend::none);
  CHECK_FALSE(b.slots.present);
}

TEST(BoardDefaults, PciAddressIsNormalisedToLowerCase) {
  const BoardConfig b = parse_ok(edit("0000:3b:00.0", "0000:3B:1F.7"));
  STRCMP_EQUAL("0000:3b:1f.7", b.ports[0].pci.c_str());
}

TEST(BoardDefaults, BypassCoversEveryInlinePairByDefault) {
  const BoardConfig b = parse_ok(std::string(kBase) + "[bypass]\nbackend = \"sysfs\"\n" +
                                 "path = \"/sys/class/bypass/eth0/bypass\"\n");
  LONGS_EQUAL(1, b.bypass.pairs.size());
  CHECK(b.bypass.pairs[0] == std::make_pair(std::size_t{0}, std::size_t{1}));
  STRCMP_EQUAL("1", b.bypass.engage_value.c_str());
}

TEST(BoardDefaults, WatchdogDevDefaultsToDevWatchdog) {
  const BoardConfig b = parse_ok(std::string(kBase) + "[watchdog]\nbackend = \"dev\"\n");
  STRCMP_EQUAL("/dev/watchdog", b.watchdog.device.c_str());
}

TEST(BoardDefaults, UbootEnvDefaultsItsConfig) {
  const BoardConfig b = parse_ok(std::string(kBase) +
                                 "[slots]\na = \"/dev/sda2\"\nb = \"/dev/sda3\"\n"
                                 "boot_control = \"uboot-env\"\n");
  STRCMP_EQUAL("/etc/fw_env.config", b.slots.env_config.c_str());
}

TEST(BoardDefaults, AsymmetricKeyAcceptedWhenSymmetryNotRequired) {
  const BoardConfig b = parse_ok(std::string(kBase) +
                                 "[rss]\nsymmetric = false\nkey = \"6d5a56da255b0ec24167253d43a38fb0"
                                 "d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa\"\n");
  LONGS_EQUAL(40, b.rss.key_len);
  LONGS_EQUAL(0x56, b.rss.key[2]);
  LONGS_EQUAL(0xfa, b.rss.key[39]);
}
