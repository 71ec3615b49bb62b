// Backend names, the factory, and the dev and sim backends.
#include "drivers/watchdog/watchdog.h"

#include <fcntl.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace vigil::watchdog {

std::string_view backend_name(WatchdogBackend backend) {
  switch (backend) {
    case WatchdogBackend::none: return "none";
    case WatchdogBackend::sim: return "sim";
    case WatchdogBackend::dev: return "dev";
  }
  return "none";
}

bool parse_backend(std::string_view text, WatchdogBackend& out) {
  for (auto b : {WatchdogBackend::none, WatchdogBackend::sim, WatchdogBackend::dev}) {
    if (text == backend_name(b)) {
      out = b;
      return true;
    }
  }
  return false;
}

std::uint64_t steady_now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

namespace {

int ioctl_retry(int fd, unsigned long req, void* arg) {
  int rc;
  int spins = 0;
  do {
    rc = ::ioctl(fd, req, arg);
  } while (rc < 0 && errno == EINTR && ++spins < 100);
  return rc;
}

// The Linux watchdog API: open arms, WDIOC_KEEPALIVE feeds, writing 'V' just before close
// disarms (unless the driver was built or loaded with nowayout, when nothing disarms it).
class DevWatchdog final : public Watchdog {
 public:
  DevWatchdog(std::string path, int fd, std::uint32_t timeout_s)
      : path_(std::move(path)), fd_(fd), timeout_s_(timeout_s) {}
  ~DevWatchdog() override {
    // Closed without the magic character: the timer keeps running, so a crash still reboots.
    if (fd_ >= 0) ::close(fd_);
  }
  DevWatchdog(const DevWatchdog&) = delete;
  DevWatchdog& operator=(const DevWatchdog&) = delete;

  bool feed(std::string& err) override {
    if (fd_ < 0) {
      err = "watchdog " + path_ + ": stopped";
      return false;
    }
    int dummy = 0;
    if (ioctl_retry(fd_, WDIOC_KEEPALIVE, &dummy) < 0) {
      err = "watchdog " + path_ + ": keepalive: " + std::strerror(errno);
      return false;
    }
    return true;
  }

  bool stop(std::string& err) override {
    if (fd_ < 0) return true;
    bool ok = magic_close(fd_);
    int e = errno;
    fd_ = -1;
    if (!ok) {
      err = "watchdog " + path_ + ": magic close: " + std::strerror(e);
      return false;
    }
    return true;
  }

  std::uint32_t timeout_ms() const override { return timeout_s_ * 1000u; }
  std::string describe() const override {
    return "dev " + path_ + " timeout " + std::to_string(timeout_s_) + "s";
  }

  // Writes 'V' and closes; true when both worked.
  static bool magic_close(int fd) {
    ssize_t n;
    do {
      n = ::write(fd, "V", 1);
    } while (n < 0 && errno == EINTR);
    int e = errno;
    bool closed = ::close(fd) == 0;
    if (n != 1) {
      errno = n < 0 ? e : EIO;
      return false;
    }
    return closed;
  }

 private:
  std::string path_;
  int fd_;
  std::uint32_t timeout_s_;
};

std::unique_ptr<Watchdog> make_dev(const WatchdogConfig& config, std::string& err) {
  const std::string path = config.path.empty() ? std::string("/dev/watchdog") : config.path;
  if (config.timeout_ms == 0) {
    err = "watchdog " + path + ": timeout must be > 0";
    return nullptr;
  }
  std::uint32_t seconds = config.timeout_ms / 1000u + (config.timeout_ms % 1000u ? 1u : 0u);
  if (seconds > 65535u) {
    err = "watchdog " + path + ": timeout above 65535 s";
    return nullptr;
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    err = "watchdog " + path + ": open: " + std::strerror(errno);
    return nullptr;
  }
  // From here the dog is armed: every failure disarms it again, since nobody will feed it.
  int t = static_cast<int>(seconds);
  if (ioctl_retry(fd, WDIOC_SETTIMEOUT, &t) < 0) {
    err = "watchdog " + path + ": set timeout " + std::to_string(seconds) + "s: " +
          std::strerror(errno);
    DevWatchdog::magic_close(fd);
    return nullptr;
  }
  // The driver writes back the timeout it actually uses (hardware granularity).
  if (t <= 0) {
    err = "watchdog " + path + ": driver reports timeout " + std::to_string(t) + "s";
    DevWatchdog::magic_close(fd);
    return nullptr;
  }
  return std::make_unique<DevWatchdog>(path, fd, static_cast<std::uint32_t>(t));
}

}  // namespace

std::unique_ptr<Watchdog> make_watchdog(const WatchdogConfig& config, std::string& err) {
  err.clear();
  switch (config.backend) {
    case WatchdogBackend::none: return nullptr;
    case WatchdogBackend::dev: return make_dev(config, err);
    case WatchdogBackend::sim: {
      if (config.timeout_ms == 0) {
        err = "watchdog sim: timeout must be > 0";
        return nullptr;
      }
      auto dog = std::make_unique<SimWatchdog>(config.timeout_ms, config.path);
      if (!dog->write_status(err)) return nullptr;  // proves the status file is writable
      return dog;
    }
  }
  err = "watchdog: unknown backend";
  return nullptr;
}

// --- sim ---

SimWatchdog::SimWatchdog(std::uint32_t timeout_ms, std::string status_file, NowMs now)
    : timeout_ms_(timeout_ms), file_(std::move(status_file)), now_(std::move(now)) {
  if (!now_) now_ = steady_now_ms;
  armed_at_ = now_();
}

bool SimWatchdog::feed(std::string& err) {
  if (!armed_) {
    err = "watchdog sim: stopped";
    return false;
  }
  if (fail_) {
    err = "watchdog sim: injected failure: " + std::string(std::strerror(EIO));
    return false;
  }
  last_feed_ = now_();
  ++feeds_;
  if (times_.size() >= kMaxRecordedFeeds) times_.pop_front();
  times_.push_back(last_feed_);
  return write_status(err);
}

bool SimWatchdog::stop(std::string& err) {
  armed_ = false;
  return write_status(err);
}

bool SimWatchdog::expired() const {
  if (!armed_) return false;
  std::uint64_t since = feeds_ ? last_feed_ : armed_at_;
  std::uint64_t now = now_();
  return now > since && now - since > timeout_ms_;
}

std::string SimWatchdog::describe() const {
  return "sim " + (file_.empty() ? std::string("(memory)") : file_) + " timeout " +
         std::to_string(timeout_ms_) + "ms";
}

bool SimWatchdog::write_status(std::string& err) const {
  if (file_.empty()) return true;
  std::string text = std::string(armed_ ? "armed" : "stopped") + " feeds=" +
                     std::to_string(feeds_) + " last_feed_ms=" + std::to_string(last_feed_) +
                     " timeout_ms=" + std::to_string(timeout_ms_) + "\n";
  // Sim only: temp + rename keeps readers from seeing a torn line; no fsync needed.
  const std::string tmp = file_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    err = "watchdog sim " + tmp + ": open: " + std::strerror(errno);
    return false;
  }
  ssize_t n = ::write(fd, text.data(), text.size());
  int e = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    ::unlink(tmp.c_str());
    err = "watchdog sim " + tmp + ": write: " + std::strerror(n < 0 ? e : EIO);
    return false;
  }
  if (::rename(tmp.c_str(), file_.c_str()) != 0) {
    e = errno;
    ::unlink(tmp.c_str());
    err = "watchdog sim " + file_ + ": rename: " + std::strerror(e);
    return false;
  }
  return true;
}

}  // namespace vigil::watchdog
