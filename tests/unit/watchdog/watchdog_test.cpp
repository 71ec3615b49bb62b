// Watchdog driver: the sim backend (feeds, expiry, stop, status file) and the dev backend's error
// paths. A real /dev/watchdog is never opened: opening it arms it.
#include <CppUTest/TestHarness.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "drivers/watchdog/watchdog.h"

using namespace vigil::watchdog;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/vigil-watchdog-test-XXXXXX";
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

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

struct FakeClock {
  std::shared_ptr<std::uint64_t> t = std::make_shared<std::uint64_t>(1000);
  NowMs fn() const {
    auto p = t;
    return [p] { return *p; };
  }
  void advance(std::uint64_t ms) { *t += ms; }
};

}  // namespace

TEST_GROUP(WatchdogNames){};

TEST(WatchdogNames, BackendsRoundTrip) {
  for (auto b : {WatchdogBackend::none, WatchdogBackend::sim, WatchdogBackend::dev}) {
    WatchdogBackend out = WatchdogBackend::none;
    CHECK(parse_backend(backend_name(b), out));
    CHECK(out == b);
  }
  WatchdogBackend out = WatchdogBackend::none;
  CHECK_FALSE(parse_backend("hw", out));
}

TEST(WatchdogNames, NoneIsNoWatchdog) {
  std::string err = "stale";
  CHECK(make_watchdog(WatchdogConfig{}, err) == nullptr);
  CHECK(err.empty());
}

TEST_GROUP(WatchdogSim){};

TEST(WatchdogSim, ExpiresWhenNotFed) {
  FakeClock clock;
  SimWatchdog dog(500, {}, clock.fn());
  CHECK(dog.armed());
  clock.advance(500);
  CHECK_FALSE(dog.expired());  // exactly the timeout: not yet
  clock.advance(1);
  CHECK(dog.expired());
}

TEST(WatchdogSim, FeedingKeepsItAlive) {
  FakeClock clock;
  SimWatchdog dog(500, {}, clock.fn());
  std::string err;
  for (int i = 0; i < 10; ++i) {
    clock.advance(400);
    CHECK_FALSE(dog.expired());
    CHECK(dog.feed(err));
  }
  UNSIGNED_LONGS_EQUAL(10, dog.feed_count());
  UNSIGNED_LONGS_EQUAL(10, dog.feed_times().size());
  UNSIGNED_LONGS_EQUAL(1400, dog.feed_times().front());
  UNSIGNED_LONGS_EQUAL(5000, dog.feed_times().back());
  clock.advance(501);
  CHECK(dog.expired());
  CHECK(dog.feed(err));  // too late for the real thing, but the sim just records
  CHECK_FALSE(dog.expired());
}

TEST(WatchdogSim, FeedTimesAreBounded) {
  FakeClock clock;
  SimWatchdog dog(500, {}, clock.fn());
  std::string err;
  for (std::size_t i = 0; i < SimWatchdog::kMaxRecordedFeeds + 10; ++i) {
    clock.advance(1);
    CHECK(dog.feed(err));
  }
  UNSIGNED_LONGS_EQUAL(SimWatchdog::kMaxRecordedFeeds, dog.feed_times().size());
  UNSIGNED_LONGS_EQUAL(SimWatchdog::kMaxRecordedFeeds + 10, dog.feed_count());
  UNSIGNED_LONGS_EQUAL(1000 + 11, dog.feed_times().front());
}

TEST(WatchdogSim, StopDisarms) {
  FakeClock clock;
  SimWatchdog dog(500, {}, clock.fn());
  std::string err;
  CHECK(dog.stop(err));
  CHECK_FALSE(dog.armed());
  clock.advance(10000);
  CHECK_FALSE(dog.expired());
  CHECK_FALSE(dog.feed(err));
  CHECK_TEXT(contains(err, "stopped"), err.c_str());
}

TEST(WatchdogSim, InjectedFeedFailure) {
  FakeClock clock;
  SimWatchdog dog(500, {}, clock.fn());
  dog.set_fail(true);
  std::string err;
  CHECK_FALSE(dog.feed(err));
  UNSIGNED_LONGS_EQUAL(0, dog.feed_count());
}

TEST(WatchdogSim, StatusFile) {
  TempDir dir;
  WatchdogConfig c;
  c.backend = WatchdogBackend::sim;
  c.path = dir.file("watchdog.status");
  c.timeout_ms = 2000;
  std::string err;
  auto dog = make_watchdog(c, err);
  CHECK_TEXT(dog != nullptr, err.c_str());
  UNSIGNED_LONGS_EQUAL(2000, dog->timeout_ms());
  CHECK(contains(slurp(c.path), "armed feeds=0 "));
  CHECK(dog->feed(err));
  CHECK(dog->feed(err));
  const std::string text = slurp(c.path);
  CHECK_TEXT(contains(text, "armed feeds=2 "), text.c_str());
  CHECK(contains(text, "timeout_ms=2000\n"));
  CHECK_FALSE(fs::exists(c.path + ".tmp"));
  CHECK(dog->stop(err));
  CHECK(contains(slurp(c.path), "stopped feeds=2 "));
  CHECK(contains(dog->describe(), c.path));
}

TEST(WatchdogSim, UnwritableStatusFile) {
  WatchdogConfig c;
  c.backend = WatchdogBackend::sim;
  c.path = "/nonexistent-vigil-dir/watchdog.status";
  std::string err;
  CHECK(make_watchdog(c, err) == nullptr);
  CHECK_TEXT(contains(err, "/nonexistent-vigil-dir/watchdog.status"), err.c_str());
  CHECK_TEXT(contains(err, "No such file or directory"), err.c_str());
}

TEST(WatchdogSim, ZeroTimeoutRefused) {
  WatchdogConfig c;
  c.backend = WatchdogBackend::sim;
  c.timeout_ms = 0;
  std::string err;
  CHECK(make_watchdog(c, err) == nullptr);
  CHECK(contains(err, "timeout"));
}

TEST_GROUP(WatchdogDev){};

TEST(WatchdogDev, MissingDeviceNamesPathAndErrno) {
  WatchdogConfig c;
  c.backend = WatchdogBackend::dev;
  c.path = "/dev/watchdog-vigil-missing";
  std::string err;
  CHECK(make_watchdog(c, err) == nullptr);
  CHECK_TEXT(contains(err, "/dev/watchdog-vigil-missing"), err.c_str());
  CHECK_TEXT(contains(err, "No such file or directory"), err.c_str());
}

TEST(WatchdogDev, NotAWatchdogIsDisarmedAndRefused) {
  // A regular file opens, refuses WDIOC_SETTIMEOUT, and gets the magic 'V' on the way out (a real
  // device that refused the timeout must not stay armed with nobody feeding it).
  TempDir dir;
  WatchdogConfig c;
  c.backend = WatchdogBackend::dev;
  c.path = dir.file("watchdog");
  { std::ofstream(c.path).flush(); }
  c.timeout_ms = 1500;
  std::string err;
  CHECK(make_watchdog(c, err) == nullptr);
  CHECK_TEXT(contains(err, c.path), err.c_str());
  CHECK_TEXT(contains(err, "set timeout 2s"), err.c_str());  // 1500 ms rounds up to 2 s
  CHECK_TEXT(contains(err, "Inappropriate ioctl"), err.c_str());
  STRCMP_EQUAL("V", slurp(c.path).c_str());
}

TEST(WatchdogDev, BadTimeoutRefusedBeforeOpening) {
  WatchdogConfig c;
  c.backend = WatchdogBackend::dev;
  c.path = "/dev/watchdog-vigil-missing";
  c.timeout_ms = 0;
  std::string err;
  CHECK(make_watchdog(c, err) == nullptr);
  CHECK_TEXT(contains(err, "timeout must be > 0"), err.c_str());
  c.timeout_ms = 70000u * 1000u;
  CHECK(make_watchdog(c, err) == nullptr);
  CHECK_TEXT(contains(err, "65535"), err.c_str());
}
