#include <CppUTest/TestHarness.h>

#include <vector>

#include "test_util.h"

using namespace vigil::board;
using namespace vigil::board::test;

namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

BoardConfig load(const char* path) {
  BoardConfig b;
  std::string err;
  CHECK_TEXT(load_board(path, b, err), err.c_str());
  return b;
}

}  // namespace

TEST_GROUP(EalArgs){};

TEST(EalArgs, SimBoardHasNoHugepagesAndItsVdevs) {
  const BoardConfig b = load(VIGIL_BOARD_DIR "/sim/board.toml");
  STRCMP_EQUAL(
      "vigild -l 0,1 --main-lcore 0 --vdev net_af_packet0,iface=vgl-a0 "
      "--vdev net_af_packet1,iface=vgl-b0 --vdev net_ring0 --no-huge --no-pci -m 512 --file-prefix vigil",
      joined(eal_args(b, "vigil")).c_str());
}

TEST(EalArgs, X710BoardAllowsExactlyItsPorts) {
  const BoardConfig b = load(VIGIL_BOARD_DIR "/x710-1u/board.toml");
  STRCMP_EQUAL(
      "vigild -l 1,2,3,4,5,6,7,8,9 --main-lcore 1 -a 0000:3b:00.0 -a 0000:3b:00.1 "
      "-a 0000:3b:00.2 -a 0000:3b:00.3 -n 4 --iova-mode=va --file-prefix vigil-x",
      joined(eal_args(b, "vigil-x")).c_str());
}

TEST(EalArgs, NoFilePrefixWhenEmpty) {
  const BoardConfig b = parse_ok(kBase);
  STRCMP_EQUAL("vigild -l 0,1,2 --main-lcore 0 -a 0000:3b:00.0 -a 0000:3b:00.1 --vdev net_ring0",
               joined(eal_args(b, "")).c_str());
}

TEST(EalArgs, CpusMapLcoresWithLcoresOption) {
  const BoardConfig b = parse_ok(edit("lcores = [1, 2]", "lcores = [1, 2]\ncpus = [1, 1]"));
  STRCMP_EQUAL("vigild --lcores 0@0,1@1,2@1 --main-lcore 0 -a 0000:3b:00.0 -a 0000:3b:00.1 --vdev net_ring0",
               joined(eal_args(b, "")).c_str());
}

TEST(EalArgs, CpusMustMatchTheLcores) {
  BoardConfig b;
  std::string err;
  CHECK_FALSE(parse_board(edit("lcores = [1, 2]", "lcores = [1, 2]\ncpus = [1]"), "b.toml", b, err));
  CHECK_TEXT(err.find("workers.cpus: expected one CPU number per lcore (2)") != std::string::npos,
             err.c_str());
}

TEST_GROUP(Resources){};

TEST(Resources, MinMbufsCountsEveryTerm) {
  // 3 ports x 2 queues x (1024 + 1024) + 2 workers x 32 + 3 lcores x 256 cache.
  LONGS_EQUAL(12288 + 64 + 768, min_mbufs(parse_ok(kBase)));
  // A port without RSS adds a distributor ring of rings.size per worker.
  const BoardConfig b = parse_ok(edit("role = \"monitor\"\n", "role = \"monitor\"\nrss = false\n"));
  LONGS_EQUAL(12288 + 64 + 768 + 2 * 1024, min_mbufs(b));
}

TEST(Resources, TwoMegaPagesByDefault) {
  const HugepageNeed h = hugepage_need(parse_ok(kBase));
  LONGS_EQUAL(2048, h.page_kb);
  // 16383 x (2176 + 192) x 5/4 = 48,493,680 bytes + 512 MiB = 585,364,592 -> 280 pages of 2 MiB.
  LONGS_EQUAL(280, h.pages);
}

TEST(Resources, NamesRoundTrip) {
  STRCMP_EQUAL("inline", std::string(role_name(PortRole::inline_pair)).c_str());
  STRCMP_EQUAL("fail-closed", std::string(fail_policy_name(FailPolicy::fail_closed)).c_str());
  STRCMP_EQUAL("gpio", std::string(bypass_backend_name(BypassBackend::gpio)).c_str());
  STRCMP_EQUAL("dev", std::string(watchdog_backend_name(WatchdogBackend::dev)).c_str());
  STRCMP_EQUAL("uboot-env", std::string(boot_control_name(BootControl::uboot_env)).c_str());
  STRCMP_EQUAL("drop", std::string(overload_name(OverloadPolicy::drop)).c_str());
}

TEST(Resources, DescribeMentionsPortsAndBypass) {
  const std::string d = describe(parse_ok(kBase));
  STRCMP_CONTAINS("port lan0: pci 0000:3b:00.0, inline with wan0", d.c_str());
  STRCMP_CONTAINS("bypass: none, fail-open", d.c_str());
}

TEST_GROUP(PciAddress){};

TEST(PciAddress, Syntax) {
  std::string n;
  CHECK(parse_pci_address("0000:3b:00.0", n));
  CHECK(parse_pci_address("ffff:ff:1f.7", n));
  CHECK_FALSE(parse_pci_address("3b:00.0", n));
  CHECK_FALSE(parse_pci_address("0000:3b:20.0", n));
  CHECK_FALSE(parse_pci_address("0000:3b:00.8", n));
  CHECK_FALSE(parse_pci_address("0000:3g:00.0", n));
  CHECK_FALSE(parse_pci_address("0000-3b:00.0", n));
  CHECK_FALSE(parse_pci_address("0000:3b:00.0 ", n));
  CHECK_FALSE(parse_pci_address("", n));
}
