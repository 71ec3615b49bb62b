// Bypass relay driver: the sim backend (memory and state file), the sysfs backend against a temp
// file standing in for the attribute, and the gpio backend's error paths (no hardware here).
#include <CppUTest/TestHarness.h>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "drivers/bypass/bypass.h"

using namespace vigil::bypass;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/vigil-bypass-test-XXXXXX";
    char* p = ::mkdtemp(tmpl);
    path = p ? p : "";
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return path + "/" + name; }
};

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_GROUP(BypassNames){};

TEST(BypassNames, BackendsRoundTrip) {
  for (auto b : {BypassBackend::none, BypassBackend::sim, BypassBackend::sysfs,
                 BypassBackend::gpio}) {
    BypassBackend out = BypassBackend::none;
    CHECK(parse_backend(backend_name(b), out));
    CHECK(out == b);
  }
  BypassBackend out = BypassBackend::sim;
  CHECK_FALSE(parse_backend("relay", out));
  CHECK_FALSE(parse_backend("", out));
  CHECK(out == BypassBackend::sim);
}

TEST(BypassNames, StateNames) {
  STRCMP_EQUAL("bypassed", std::string(state_name(BypassState::bypassed)).c_str());
  STRCMP_EQUAL("inspecting", std::string(state_name(BypassState::inspecting)).c_str());
  STRCMP_EQUAL("unknown", std::string(state_name(BypassState::unknown)).c_str());
}

TEST(BypassNames, BackendNoneIsNoRelay) {
  BypassConfig c;
  std::string err = "stale";
  CHECK(make_bypass_relay(c, err) == nullptr);
  CHECK(err.empty());
}

TEST_GROUP(BypassSim){};

TEST(BypassSim, MemoryEngageRelease) {
  BypassConfig c;
  c.backend = BypassBackend::sim;
  std::string err;
  auto relay = make_bypass_relay(c, err);
  CHECK_TEXT(relay != nullptr, err.c_str());
  CHECK(relay->state() == BypassState::inspecting);
  CHECK(relay->engage(err));
  CHECK(relay->state() == BypassState::bypassed);
  CHECK(relay->engage(err));  // idempotent
  CHECK(relay->release(err));
  CHECK(relay->state() == BypassState::inspecting);
  STRCMP_EQUAL("sim (memory)", relay->describe().c_str());
}

TEST(BypassSim, StateFileWrittenAtomically) {
  TempDir dir;
  const std::string path = dir.file("bypass.state");
  std::string err;
  auto relay = SimBypassRelay::open(path, err);
  CHECK_TEXT(relay != nullptr, err.c_str());
  STRCMP_EQUAL("inspecting\n", slurp(path).c_str());
  CHECK(relay->engage(err));
  STRCMP_EQUAL("bypassed\n", slurp(path).c_str());
  CHECK_FALSE(fs::exists(path + ".tmp"));  // renamed into place, nothing left behind
  BypassState s = BypassState::unknown;
  CHECK(read_sim_state(path, s, err));
  CHECK(s == BypassState::bypassed);
  CHECK(relay->release(err));
  CHECK(read_sim_state(path, s, err));
  CHECK(s == BypassState::inspecting);
  UNSIGNED_LONGS_EQUAL(1, relay->engage_count());
  UNSIGNED_LONGS_EQUAL(1, relay->release_count());
  CHECK(contains(relay->describe(), path));
}

TEST(BypassSim, ReopenKeepsState) {
  TempDir dir;
  const std::string path = dir.file("bypass.state");
  std::string err;
  {
    auto relay = SimBypassRelay::open(path, err);
    CHECK(relay != nullptr);
    CHECK(relay->engage(err));
  }
  auto again = SimBypassRelay::open(path, err);
  CHECK_TEXT(again != nullptr, err.c_str());
  CHECK(again->state() == BypassState::bypassed);
}

TEST(BypassSim, CorruptStateFileRefused) {
  TempDir dir;
  const std::string path = dir.file("bypass.state");
  write_file(path, std::string(500, 'x'));
  std::string err;
  CHECK(SimBypassRelay::open(path, err) == nullptr);
  CHECK_TEXT(contains(err, path), err.c_str());
  BypassState s = BypassState::unknown;
  CHECK_FALSE(read_sim_state(path, s, err));
  CHECK_FALSE(read_sim_state(dir.file("missing"), s, err));
  CHECK_TEXT(contains(err, "No such file or directory"), err.c_str());
}

TEST(BypassSim, UnwritableDirectoryNamesPathAndErrno) {
  TempDir dir;
  BypassConfig c;
  c.backend = BypassBackend::sim;
  c.path = dir.file("no/such/dir/bypass.state");
  std::string err;
  CHECK(make_bypass_relay(c, err) == nullptr);
  CHECK_TEXT(contains(err, "no/such/dir/bypass.state"), err.c_str());
  CHECK_TEXT(contains(err, "No such file or directory"), err.c_str());
}

TEST(BypassSim, InjectedFailureChangesNothing) {
  TempDir dir;
  const std::string path = dir.file("bypass.state");
  std::string err;
  auto relay = SimBypassRelay::open(path, err);
  CHECK(relay != nullptr);
  relay->set_fail(true);
  CHECK_FALSE(relay->engage(err));
  CHECK_TEXT(contains(err, path), err.c_str());
  CHECK(relay->state() == BypassState::inspecting);
  STRCMP_EQUAL("inspecting\n", slurp(path).c_str());
  relay->set_fail(false);
  CHECK(relay->engage(err));
}

TEST_GROUP(BypassSysfs){};

TEST(BypassSysfs, WritesAndConfirms) {
  TempDir dir;
  const std::string attr = dir.file("bypass");  // stands in for /sys/class/bypass/<dev>/bypass
  write_file(attr, "0\n");
  BypassConfig c;
  c.backend = BypassBackend::sysfs;
  c.path = attr;
  std::string err;
  auto relay = make_bypass_relay(c, err);
  CHECK_TEXT(relay != nullptr, err.c_str());
  CHECK(relay->state() == BypassState::inspecting);
  CHECK_TEXT(relay->engage(err), err.c_str());
  STRCMP_EQUAL("1\n", slurp(attr).c_str());
  CHECK(relay->state() == BypassState::bypassed);
  CHECK_TEXT(relay->release(err), err.c_str());
  STRCMP_EQUAL("0\n", slurp(attr).c_str());
  CHECK(relay->state() == BypassState::inspecting);
  STRCMP_EQUAL(("sysfs " + attr).c_str(), relay->describe().c_str());
}

TEST(BypassSysfs, ConfigurableValues) {
  TempDir dir;
  const std::string attr = dir.file("bypass_mode");
  write_file(attr, "off");
  BypassConfig c;
  c.backend = BypassBackend::sysfs;
  c.path = attr;
  c.sysfs_engage_value = "on";
  c.sysfs_release_value = "off";
  std::string err;
  auto relay = make_bypass_relay(c, err);
  CHECK_TEXT(relay != nullptr, err.c_str());
  CHECK(relay->state() == BypassState::inspecting);
  CHECK(relay->engage(err));
  STRCMP_EQUAL("on\n", slurp(attr).c_str());
  CHECK(relay->state() == BypassState::bypassed);
}

TEST(BypassSysfs, UnexpectedValueIsUnknown) {
  TempDir dir;
  const std::string attr = dir.file("bypass");
  write_file(attr, "garbage\n");
  BypassConfig c;
  c.backend = BypassBackend::sysfs;
  c.path = attr;
  std::string err;
  auto relay = make_bypass_relay(c, err);
  CHECK(relay != nullptr);
  CHECK(relay->state() == BypassState::unknown);
}

TEST(BypassSysfs, ReadBackMismatchIsAnError) {
  // /dev/null takes the write and reads back empty: a driver that ignored the value.
  BypassConfig c;
  c.backend = BypassBackend::sysfs;
  c.path = "/dev/null";
  std::string err;
  auto relay = make_bypass_relay(c, err);
  CHECK_TEXT(relay != nullptr, err.c_str());
  CHECK_FALSE(relay->engage(err));
  CHECK_TEXT(contains(err, "/dev/null"), err.c_str());
  CHECK_TEXT(contains(err, "reads back"), err.c_str());
}

TEST(BypassSysfs, MissingAttributeNamesPathAndErrno) {
  BypassConfig c;
  c.backend = BypassBackend::sysfs;
  c.path = "/nonexistent/sys/class/bypass/eth9/bypass";
  std::string err;
  CHECK(make_bypass_relay(c, err) == nullptr);
  CHECK_TEXT(contains(err, c.path), err.c_str());
  CHECK_TEXT(contains(err, "No such file or directory"), err.c_str());
}

TEST(BypassSysfs, AttributeVanishesAfterStart) {
  TempDir dir;
  const std::string attr = dir.file("bypass");
  write_file(attr, "0\n");
  BypassConfig c;
  c.backend = BypassBackend::sysfs;
  c.path = attr;
  std::string err;
  auto relay = make_bypass_relay(c, err);
  CHECK(relay != nullptr);
  fs::remove(attr);
  fs::create_directory(attr);  // now opening it for writing fails with EISDIR
  CHECK_FALSE(relay->engage(err));
  CHECK_TEXT(contains(err, attr), err.c_str());
  CHECK_TEXT(contains(err, "Is a directory"), err.c_str());
  CHECK(relay->state() == BypassState::unknown);
}

TEST(BypassSysfs, BadConfigRefused) {
  BypassConfig c;
  c.backend = BypassBackend::sysfs;
  std::string err;
  CHECK(make_bypass_relay(c, err) == nullptr);
  CHECK_TEXT(contains(err, "no attribute path"), err.c_str());
  c.path = "/dev/null";
  c.sysfs_engage_value = c.sysfs_release_value = "1";
  CHECK(make_bypass_relay(c, err) == nullptr);
  CHECK_TEXT(contains(err, "must differ"), err.c_str());
}

TEST_GROUP(BypassGpio){};

TEST(BypassGpio, MissingChipNamesDeviceAndErrno) {
  BypassConfig c;
  c.backend = BypassBackend::gpio;
  c.chip = "/dev/gpiochip-vigil-missing";
  c.line = 3;
  std::string err;
  CHECK(make_bypass_relay(c, err) == nullptr);
  CHECK_TEXT(contains(err, "/dev/gpiochip-vigil-missing line 3"), err.c_str());
  CHECK_TEXT(contains(err, "No such file or directory"), err.c_str());
}

TEST(BypassGpio, ChipNumberIsADevicePath) {
  BypassConfig c;
  c.backend = BypassBackend::gpio;
  c.chip = "987";
  std::string err;
  CHECK(make_bypass_relay(c, err) == nullptr);
  CHECK_TEXT(contains(err, "/dev/gpiochip987"), err.c_str());
}

TEST(BypassGpio, NotAGpioChip) {
  // A regular file opens but is no GPIO chip: the chip-info ioctl names the reason.
  TempDir dir;
  const std::string fake = dir.file("gpiochip0");
  write_file(fake, "");
  BypassConfig c;
  c.backend = BypassBackend::gpio;
  c.chip = fake;
  std::string err;
  CHECK(make_bypass_relay(c, err) == nullptr);
  CHECK_TEXT(contains(err, fake), err.c_str());
  CHECK_TEXT(contains(err, "Inappropriate ioctl"), err.c_str());
}

TEST(BypassGpio, NoChipConfigured) {
  BypassConfig c;
  c.backend = BypassBackend::gpio;
  std::string err;
  CHECK(make_bypass_relay(c, err) == nullptr);
  CHECK_TEXT(contains(err, "no chip"), err.c_str());
}
