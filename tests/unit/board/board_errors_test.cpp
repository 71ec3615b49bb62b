// Every refusal names the file, the line, the field and the reason: the exact messages.
#include <CppUTest/TestHarness.h>

#include "test_util.h"

using namespace vigil::board;
using namespace vigil::board::test;

namespace {

std::string with(const std::string& tail) { return std::string(kBase) + tail; }

#define ERROR_IS(expected, text) STRCMP_EQUAL(expected, error_of(text).c_str())

}  // namespace

TEST_GROUP(BoardSyntax){};

TEST(BoardSyntax, TomlErrorNamesTheLine) {
  const std::string err = error_of(edit("size = 1024\n", "size = = 1024\n"));
  STRCMP_CONTAINS("board.toml:23: ", err.c_str());
}

TEST(BoardSyntax, UnknownSection) {
  ERROR_IS("board.toml:24: foo: unknown section", with("[foo]\nx = 1\n"));
}

TEST(BoardSyntax, UnknownTopLevelKey) {
  ERROR_IS("board.toml:1: colour: unknown key", "colour = \"red\"\n" + std::string(kBase));
}

TEST(BoardSyntax, UnknownKeyInSection) {
  ERROR_IS("board.toml:24: rings.count: unknown key", with("count = 3\n"));
}

TEST(BoardSyntax, UnknownKeyInPort) {
  ERROR_IS("board.toml:18: port[2].speed: unknown key",
           edit("role = \"monitor\"\n", "role = \"monitor\"\nspeed = 10\n"));
}

TEST(BoardSyntax, MissingName) {
  ERROR_IS("board.toml:1: name: missing (required)", edit("name = \"t\"\n", ""));
}

TEST(BoardSyntax, SectionMustBeATable) {
  ERROR_IS("board.toml:1: rings: must be a table ([rings])",
           "rings = 3\n" + edit("[rings]\nsize = 1024\n", ""));
}

TEST(BoardSyntax, WrongTypeSaysWhatIsExpected) {
  ERROR_IS("board.toml:20: workers.burst: expected an integer from 1 to 256",
           edit("lcores = [1, 2]\n", "lcores = [1, 2]\nburst = \"32\"\n"));
  ERROR_IS("board.toml:20: workers.burst: expected an integer from 1 to 256",
           edit("lcores = [1, 2]\n", "lcores = [1, 2]\nburst = 0\n"));
}

TEST(BoardSyntax, ControlCharactersRefused) {
  ERROR_IS("board.toml:1: name: contains a control character", edit("\"t\"", "\"t\\u0007\""));
}

TEST_GROUP(BoardPorts){};

TEST(BoardPorts, NoPorts) {
  const std::string text = "name = \"t\"\n[workers]\nlcores = [1]\n[mempool]\nmbufs = 1000\n";
  ERROR_IS("board.toml: port: missing: a board needs at least one [[port]]", text);
}

TEST(BoardPorts, PortMustBeArrayOfTables) {
  ERROR_IS("board.toml:2: port: must be an array of tables ([[port]])",
           "name = \"t\"\nport = 1\n" +
               std::string(kBase).substr(std::string(kBase).find("[workers]")));
}

TEST(BoardPorts, PciAndVdevBoth) {
  ERROR_IS("board.toml:14: port[2]: give either pci or vdev, not both",
           edit("vdev = \"net_ring0\"\n", "vdev = \"net_ring0\"\npci = \"0000:3b:00.2\"\n"));
}

TEST(BoardPorts, NeitherPciNorVdev) {
  ERROR_IS("board.toml:14: port[2]: give either pci or vdev", edit("vdev = \"net_ring0\"\n", ""));
}

TEST(BoardPorts, BadPciAddress) {
  ERROR_IS("board.toml:6: port[0].pci: \"3b:00.0\" is not a PCI address (dddd:bb:dd.f, e.g. "
           "0000:3b:00.0)",
           edit("0000:3b:00.0", "3b:00.0"));
  ERROR_IS("board.toml:6: port[0].pci: \"0000:3b:00.9\" is not a PCI address (dddd:bb:dd.f, "
           "e.g. 0000:3b:00.0)",
           edit("0000:3b:00.0", "0000:3b:00.9"));
}

TEST(BoardPorts, BadVdev) {
  ERROR_IS("board.toml:16: port[2].vdev: \"ring0\" is not a vdev argument "
           "(net_<driver><n>[,key=value...], no blanks)",
           edit("net_ring0", "ring0"));
  ERROR_IS("board.toml:16: port[2].vdev: \"net_pcap0, iface=x\" is not a vdev argument "
           "(net_<driver><n>[,key=value...], no blanks)",
           edit("net_ring0", "net_pcap0, iface=x"));
}

TEST(BoardPorts, BadPortName) {
  ERROR_IS("board.toml:15: port[2].name: \"mon 0\" is not a port name (1 to 32 of A-Z a-z 0-9 _ "
           "- .)",
           edit("\"mon0\"", "\"mon 0\""));
}

TEST(BoardPorts, DuplicateName) {
  ERROR_IS("board.toml:15: port[2].name: \"lan0\" is already the name of port[0]",
           edit("name = \"mon0\"", "name = \"lan0\""));
}

TEST(BoardPorts, DuplicatePciAddressEvenInAnotherCase) {
  ERROR_IS("board.toml:11: port[1].pci: 0000:3b:00.0 is already port[0]",
           edit("0000:3b:00.1", "0000:3B:00.0"));
}

TEST(BoardPorts, DuplicateVdevDevice) {
  ERROR_IS("board.toml:20: port[3].vdev: device \"net_ring0\" is already port[2]",
           edit("[workers]", "[[port]]\nname = \"mon1\"\nvdev = \"net_ring0\"\nrole = "
                             "\"monitor\"\n[workers]"));
}

TEST(BoardPorts, BadRole) {
  ERROR_IS("board.toml:17: port[2].role: \"span\" is not one of inline, monitor",
           edit("\"monitor\"", "\"span\""));
}

TEST(BoardPorts, MissingRole) {
  ERROR_IS("board.toml:14: port[2].role: missing (required)", edit("role = \"monitor\"\n", ""));
}

TEST(BoardPorts, PeerNotAPort) {
  ERROR_IS("board.toml:8: port[0].peer: \"wan9\" is not a port of this board",
           edit("peer = \"wan0\"", "peer = \"wan9\""));
}

TEST(BoardPorts, InlinePairNotMutual) {
  // lan1 says its peer is wan0, but wan0 is paired with lan0.
  ERROR_IS("board.toml:22: port[3].peer: inline pair not mutual: \"wan0\" names \"lan0\" as its "
           "peer, not \"lan1\"",
           edit("[workers]", "[[port]]\nname = \"lan1\"\npci = \"0000:3b:00.2\"\nrole = "
                             "\"inline\"\npeer = \"wan0\"\n[workers]"));
}

TEST(BoardPorts, PeerIsAMonitorPort) {
  ERROR_IS("board.toml:8: port[0].peer: \"mon0\" is a monitor port, not inline",
           edit("peer = \"wan0\"", "peer = \"mon0\""));
}

TEST(BoardPorts, OwnPeer) {
  ERROR_IS("board.toml:8: port[0].peer: a port cannot be its own peer",
           edit("peer = \"wan0\"", "peer = \"lan0\""));
}

TEST(BoardPorts, InlineWithoutPeer) {
  ERROR_IS("board.toml:4: port[0].peer: missing: an inline port needs its peer port",
           edit("peer = \"wan0\"\n", ""));
}

TEST(BoardPorts, MonitorWithPeer) {
  ERROR_IS("board.toml:18: port[2].peer: a monitor port has no peer",
           edit("role = \"monitor\"\n", "role = \"monitor\"\npeer = \"lan0\"\n"));
}

TEST(BoardPorts, PairMustSpreadFlowsAlike) {
  ERROR_IS("board.toml:9: port[0].rss: differs from its peer \"wan0\" (both directions of a flow "
           "must be spread the same way)",
           edit("peer = \"wan0\"\n", "peer = \"wan0\"\nrss = false\n"));
}

TEST(BoardPorts, DescriptorsMultipleOf32) {
  ERROR_IS("board.toml:18: port[2].rx_desc: 1000 is not a multiple of 32",
           edit("role = \"monitor\"\n", "role = \"monitor\"\nrx_desc = 1000\n"));
  ERROR_IS("board.toml:18: port[2].tx_desc: expected an integer from 32 to 16384",
           edit("role = \"monitor\"\n", "role = \"monitor\"\ntx_desc = 16\n"));
}

TEST(BoardPorts, BadOverload) {
  ERROR_IS("board.toml:18: port[2].overload: \"pass\" is not one of drop, bypass",
           edit("role = \"monitor\"\n", "role = \"monitor\"\noverload = \"pass\"\n"));
}

TEST_GROUP(BoardLcores){};

TEST(BoardLcores, MainLcoreIsNotAWorker) {
  ERROR_IS("board.toml:19: workers.lcores: lcore 0 is the main lcore",
           edit("[1, 2]", "[0, 1]"));
}

TEST(BoardLcores, OutOfRange) {
  ERROR_IS("board.toml:19: workers.lcores: lcore 1024 is out of range 0..1023",
           edit("[1, 2]", "[1, 1024]"));
  ERROR_IS("board.toml:19: workers.lcores: lcore -1 is out of range 0..1023",
           edit("[1, 2]", "[-1]"));
  ERROR_IS("board.toml:3: eal.main_lcore: expected an integer from 0 to 1023",
           edit("main_lcore = 0", "main_lcore = 4096"));
}

TEST(BoardLcores, Duplicate) {
  ERROR_IS("board.toml:19: workers.lcores: lcore 2 is listed twice", edit("[1, 2]", "[2, 1, 2]"));
}

TEST(BoardLcores, EmptyOrWrongType) {
  ERROR_IS("board.toml:19: workers.lcores: must list at least one lcore", edit("[1, 2]", "[]"));
  ERROR_IS("board.toml:19: workers.lcores: expected an array of lcore numbers",
           edit("[1, 2]", "[\"1\"]"));
  ERROR_IS("board.toml:18: workers.lcores: missing (required)", edit("lcores = [1, 2]\n", ""));
}

TEST(BoardLcores, MissingWorkersSection) {
  ERROR_IS("board.toml: workers: missing: [workers] lcores = [...]",
           edit("[workers]\nlcores = [1, 2]\n", ""));
}

TEST_GROUP(BoardEal){};

TEST(BoardEal, GeneratedArgumentsRefused) {
  ERROR_IS("board.toml:4: eal.args: \"-l\" is generated from the board (workers, main_lcore, "
           "ports, file prefix); remove it",
           edit("main_lcore = 0\n", "main_lcore = 0\nargs = [\"-l\", \"0-3\"]\n"));
  ERROR_IS("board.toml:4: eal.args: \"--vdev=net_null0\" is generated from the board (workers, "
           "main_lcore, ports, file prefix); remove it",
           edit("main_lcore = 0\n", "main_lcore = 0\nargs = [\"--vdev=net_null0\"]\n"));
}

TEST(BoardEal, NoPciContradictsPciPorts) {
  ERROR_IS("board.toml:4: eal.args: \"--no-pci\" but port[0] is a PCI device",
           edit("main_lcore = 0\n", "main_lcore = 0\nargs = [\"--no-pci\"]\n"));
}

TEST(BoardEal, ArgsMustBeStrings) {
  ERROR_IS("board.toml:4: eal.args[0]: expected a string",
           edit("main_lcore = 0\n", "main_lcore = 0\nargs = [4]\n"));
}

TEST_GROUP(BoardMemory){};

TEST(BoardMemory, RingSizePowerOfTwo) {
  ERROR_IS("board.toml:23: rings.size: 1000 is not a power of two", edit("1024", "1000"));
  ERROR_IS("board.toml:23: rings.size: expected an integer from 64 to 1048576", edit("1024", "32"));
}

TEST(BoardMemory, TooFewMbufsSaysTheMinimum) {
  ERROR_IS("board.toml:21: mempool.mbufs: 4096 is too few; this board needs at least 13120 "
           "(ports x queues x descriptors 12288 + burst x workers 64 + cache x lcores 768 + "
           "distributor rings 0)",
           edit("16383", "4096"));
}

TEST(BoardMemory, MissingMempool) {
  ERROR_IS("board.toml: mempool: missing: [mempool] mbufs = N",
           edit("[mempool]\nmbufs = 16383\n", ""));
  ERROR_IS("board.toml:20: mempool.mbufs: missing (required)", edit("mbufs = 16383\n", ""));
}

TEST(BoardMemory, BadHugepageSizeAndCache) {
  ERROR_IS("board.toml:22: mempool.hugepage: \"4K\" is not one of 2M, 1G, none",
           edit("mbufs = 16383\n", "mbufs = 16383\nhugepage = \"4K\"\n"));
  ERROR_IS("board.toml:22: mempool.cache: expected an integer from 0 to 512",
           edit("mbufs = 16383\n", "mbufs = 16383\ncache = 1024\n"));
}

TEST_GROUP(BoardRss){};

TEST(BoardRss, KeyLength) {
  ERROR_IS("board.toml:25: rss.key: 4 bytes; an RSS key is 40 or 52 bytes (80 or 104 hex digits)",
           with("[rss]\nkey = \"6d5a6d5a\"\n"));
}

TEST(BoardRss, KeyHex) {
  ERROR_IS("board.toml:25: rss.key: is not a hex string (two hex digits per byte, no separators)",
           with("[rss]\nkey = \"6d:5a\"\n"));
  ERROR_IS("board.toml:25: rss.key: has an odd number of hex digits", with("[rss]\nkey = \"6d5\"\n"));
}

TEST(BoardRss, AsymmetricKeyRefusedWhenSymmetryRequired) {
  ERROR_IS("board.toml:25: rss.key: not symmetric: the two directions of a flow would land on "
           "different workers (use a key repeating every 2 bytes, e.g. 6d5a6d5a..., or set "
           "symmetric = false)",
           with("[rss]\nkey = \"6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c"
                "6a42b73bbeac01fa\"\n"));
}

TEST_GROUP(BoardBypass){};

TEST(BoardBypass, SysfsNeedsAnAbsolutePath) {
  ERROR_IS("board.toml:24: bypass.path: missing (required)", with("[bypass]\nbackend = \"sysfs\"\n"));
  ERROR_IS("board.toml:26: bypass.path: \"bypass\" is not an absolute path",
           with("[bypass]\nbackend = \"sysfs\"\npath = \"bypass\"\n"));
}

TEST(BoardBypass, GpioNeedsChipAndLine) {
  ERROR_IS("board.toml:24: bypass.chip: missing (required)", with("[bypass]\nbackend = \"gpio\"\n"));
  ERROR_IS("board.toml:24: bypass.line: missing (required)",
           with("[bypass]\nbackend = \"gpio\"\nchip = \"gpiochip0\"\n"));
}

TEST(BoardBypass, KeysOfAnotherBackendRefused) {
  ERROR_IS("board.toml:27: bypass.path: only used by the sim and sysfs backends",
           with("[bypass]\nbackend = \"gpio\"\nchip = \"gpiochip0\"\npath = \"/x\"\n"));
  ERROR_IS("board.toml:26: bypass.line: only used by the gpio backend",
           with("[bypass]\nbackend = \"sim\"\nline = 3\n"));
  ERROR_IS("board.toml:26: bypass.engage_value: only used by the sysfs backend",
           with("[bypass]\nbackend = \"sim\"\nengage_value = \"1\"\n"));
}

TEST(BoardBypass, PairsMustBeInlinePairs) {
  ERROR_IS("board.toml:26: bypass.pairs[0]: \"lan0\" and \"mon0\" are not an inline pair",
           with("[bypass]\nbackend = \"sim\"\npairs = [[\"lan0\", \"mon0\"]]\n"));
  ERROR_IS("board.toml:26: bypass.pairs[0]: \"lan7\" is not a port of this board",
           with("[bypass]\nbackend = \"sim\"\npairs = [[\"lan7\", \"wan0\"]]\n"));
  ERROR_IS("board.toml:26: bypass.pairs[1]: the pair \"wan0\"/\"lan0\" is listed twice",
           with("[bypass]\nbackend = \"sim\"\npairs = [[\"lan0\", \"wan0\"], [\"wan0\", \"lan0\"]]\n"));
  ERROR_IS("board.toml:26: bypass.pairs[0]: expected two port names, e.g. [\"lan0\", \"wan0\"]",
           with("[bypass]\nbackend = \"sim\"\npairs = [\"lan0\"]\n"));
}

TEST(BoardBypass, NoRelayNoPairs) {
  ERROR_IS("board.toml:25: bypass.pairs: no relay (backend = \"none\") to cover them",
           with("[bypass]\npairs = [[\"lan0\", \"wan0\"]]\n"));
}

TEST(BoardBypass, RelayNeedsAnInlinePair) {
  const std::string text = "name = \"t\"\n[[port]]\nname = \"m\"\nvdev = \"net_ring0\"\n"
                           "role = \"monitor\"\n[workers]\nlcores = [1]\n[mempool]\n"
                           "mbufs = 4095\n[bypass]\nbackend = \"sim\"\n";
  ERROR_IS("board.toml:11: bypass.backend: this board has no inline pair for a relay to cover",
           text);
}

TEST(BoardBypass, BadPolicyAndStall) {
  ERROR_IS("board.toml:25: bypass.policy: \"open\" is not one of fail-open, fail-closed",
           with("[bypass]\npolicy = \"open\"\n"));
  ERROR_IS("board.toml:25: bypass.stall_ms: expected an integer from 10 to 600000",
           with("[bypass]\nstall_ms = 1\n"));
}

TEST_GROUP(BoardWatchdog){};

TEST(BoardWatchdog, FeedIntervalAtMostHalfTheTimeout) {
  ERROR_IS("board.toml:27: watchdog.feed_interval_ms: 20000 ms is more than half of timeout_s "
           "(30 s): one late feed would reset the board",
           with("[watchdog]\nbackend = \"dev\"\ntimeout_s = 30\nfeed_interval_ms = 20000\n"));
}

TEST(BoardWatchdog, SimNeedsAFileAndNoneTakesNoDevice) {
  ERROR_IS("board.toml:24: watchdog.device: missing (required)",
           with("[watchdog]\nbackend = \"sim\"\n"));
  ERROR_IS("board.toml:25: watchdog.device: no device with backend \"none\"",
           with("[watchdog]\ndevice = \"/dev/watchdog\"\n"));
  ERROR_IS("board.toml:26: watchdog.device: \"watchdog\" is not an absolute path",
           with("[watchdog]\nbackend = \"dev\"\ndevice = \"watchdog\"\n"));
  ERROR_IS("board.toml:25: watchdog.backend: \"hw\" is not one of none, sim, dev",
           with("[watchdog]\nbackend = \"hw\"\n"));
}

TEST_GROUP(BoardSlots){};

TEST(BoardSlots, Errors) {
  ERROR_IS("board.toml:26: slots.b: same device as slots.a",
           with("[slots]\na = \"/dev/sda2\"\nb = \"/dev/sda2\"\nboot_control = \"file\"\n"));
  ERROR_IS("board.toml:24: slots.state: missing (required)",
           with("[slots]\na = \"/dev/sda2\"\nb = \"/dev/sda3\"\nboot_control = \"file\"\n"));
  ERROR_IS("board.toml:28: slots.state: only used with boot_control = \"file\"",
           with("[slots]\na = \"/dev/sda2\"\nb = \"/dev/sda3\"\nboot_control = \"uboot-env\"\n"
                "state = \"x\"\n"));
  ERROR_IS("board.toml:27: slots.boot_control: \"grub\" is not one of uboot-env, file",
           with("[slots]\na = \"/dev/sda2\"\nb = \"/dev/sda3\"\nboot_control = \"grub\"\n"));
  ERROR_IS("board.toml:24: slots.b: missing (required)", with("[slots]\na = \"/dev/sda2\"\n"));
}
