// Watchdog driver: the hardware timer that resets the appliance unless it is fed in time. The
// health monitor feeds it only while the dataplane and the control loop are healthy, so a hung
// appliance gets rebooted (and a bypass NIC with its own watchdog falls back to bypass meanwhile).
//
// Backends (WatchdogConfig::backend):
//   none  no watchdog (make_watchdog returns nullptr).
//   dev   the Linux watchdog device (/dev/watchdog, configurable). Opening it ARMS it: from then
//         on the machine reboots unless fed within the timeout. stop() disarms it with the magic
//         close ('V' written before close); destroying the object without stop() leaves it armed,
//         which is what a crash should do. Only ever tested here on its error path.
//   sim   no hardware: feeds are recorded in memory with their time (and, when `path` is set, the
//         last feed is written to a small status file); expired() says whether the dog would have
//         bitten, so tests can check that the appliance stops feeding when unhealthy.
//
// Thread-safety: not thread-safe; one owner (the health monitor) calls it. Control plane only.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace vigil::watchdog {

class Watchdog {
 public:
  virtual ~Watchdog() = default;
  // Resets the timer. False and `err` set when the device refused.
  virtual bool feed(std::string& err) = 0;
  // Disarms cleanly (dev: magic close). After stop() feed() fails.
  virtual bool stop(std::string& err) = 0;
  // The timeout in effect (dev: as accepted by the driver, which may round it).
  virtual std::uint32_t timeout_ms() const = 0;
  // One line for logs and vigilctl, e.g. "dev /dev/watchdog timeout 10s".
  virtual std::string describe() const = 0;
};

enum class WatchdogBackend { none, sim, dev };
std::string_view backend_name(WatchdogBackend backend);
bool parse_backend(std::string_view text, WatchdogBackend& out);  // "none", "sim", "dev"

struct WatchdogConfig {
  WatchdogBackend backend = WatchdogBackend::none;
  // dev: the device ("" = /dev/watchdog). sim: the status file ("" = memory only).
  std::string path;
  // dev: rounded up to whole seconds (the driver's unit), at least 1 s.
  std::uint32_t timeout_ms = 10000;
};

// Builds the watchdog of `config`. none: nullptr with `err` empty. On failure: nullptr and `err`.
// WARNING: backend dev arms the hardware watchdog.
std::unique_ptr<Watchdog> make_watchdog(const WatchdogConfig& config, std::string& err);

// Milliseconds on a monotonic clock; injectable so tests need no sleeps.
using NowMs = std::function<std::uint64_t()>;
std::uint64_t steady_now_ms();

class SimWatchdog final : public Watchdog {
 public:
  static constexpr std::size_t kMaxRecordedFeeds = 1024;  // older feed times are forgotten

  // Armed from construction, like the real device. `status_file` "" = memory only; otherwise
  // each feed rewrites it (temp + rename) with "armed|stopped feeds=<n> last_feed_ms=<t>
  // timeout_ms=<t>\n". `now` defaults to steady_now_ms.
  SimWatchdog(std::uint32_t timeout_ms, std::string status_file = {}, NowMs now = {});

  bool feed(std::string& err) override;
  bool stop(std::string& err) override;
  std::uint32_t timeout_ms() const override { return timeout_ms_; }
  std::string describe() const override;

  // True when armed and not fed for more than the timeout (counted from construction until the
  // first feed): the real device would have reset the machine.
  bool expired() const;
  bool armed() const { return armed_; }
  std::uint64_t feed_count() const { return feeds_; }
  // Times of the last kMaxRecordedFeeds feeds, oldest first.
  const std::deque<std::uint64_t>& feed_times() const { return times_; }
  // Fault injection for tests: while set, feed() fails.
  void set_fail(bool fail) { fail_ = fail; }
  // Rewrites the status file now (feed() and stop() do it too); true without a file.
  bool write_status(std::string& err) const;

 private:
  std::uint32_t timeout_ms_;
  std::string file_;
  NowMs now_;
  std::uint64_t armed_at_ = 0, last_feed_ = 0, feeds_ = 0;
  std::deque<std::uint64_t> times_;
  bool armed_ = true, fail_ = false;
};

}  // namespace vigil::watchdog
