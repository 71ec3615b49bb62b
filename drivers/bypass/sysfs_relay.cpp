// sysfs backend: one attribute file per bypass pair, written with a single write() (sysfs takes
// the value of one write call) and read back to confirm that the driver took it.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "drivers/bypass/bypass.h"

namespace vigil::bypass {
namespace {

constexpr std::size_t kMaxAttrBytes = 64;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' ||
                        s.back() == '\t' || s.back() == '\0'))
    s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

class SysfsRelay final : public BypassRelay {
 public:
  explicit SysfsRelay(const BypassConfig& c)
      : path_(c.path), on_(c.sysfs_engage_value), off_(c.sysfs_release_value) {}

  // Reads the attribute; false and `err` on an I/O error.
  bool read_value(std::string& value, std::string& err) const {
    int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      err = "bypass sysfs " + path_ + ": open for reading: " + std::strerror(errno);
      return false;
    }
    char buf[kMaxAttrBytes];
    ssize_t n;
    do {
      n = ::read(fd, buf, sizeof buf);
    } while (n < 0 && errno == EINTR);
    int e = errno;
    ::close(fd);
    if (n < 0) {
      err = "bypass sysfs " + path_ + ": read: " + std::strerror(e);
      return false;
    }
    value.assign(trim(std::string_view(buf, static_cast<std::size_t>(n))));
    return true;
  }

  bool engage(std::string& err) override { return set(on_, BypassState::bypassed, err); }
  bool release(std::string& err) override { return set(off_, BypassState::inspecting, err); }

  BypassState state() const override {
    std::string value, err;
    if (!read_value(value, err)) return BypassState::unknown;
    return to_state(value);
  }

  std::string describe() const override { return "sysfs " + path_; }

 private:
  BypassState to_state(std::string_view value) const {
    if (value == on_) return BypassState::bypassed;
    if (value == off_) return BypassState::inspecting;
    return BypassState::unknown;
  }

  bool set(const std::string& value, BypassState want, std::string& err) {
    // O_TRUNC: harmless on sysfs, and keeps a plain file standing in for the attribute exact.
    int fd = ::open(path_.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) {
      err = "bypass sysfs " + path_ + ": open for writing: " + std::strerror(errno);
      return false;
    }
    std::string line = value + "\n";
    ssize_t n;
    do {
      n = ::write(fd, line.data(), line.size());
    } while (n < 0 && errno == EINTR);
    int e = errno;
    if (::close(fd) != 0 && n >= 0) {
      n = -1;
      e = errno;
    }
    if (n < 0) {
      err = "bypass sysfs " + path_ + ": write \"" + value + "\": " + std::strerror(e);
      return false;
    }
    if (static_cast<std::size_t>(n) != line.size()) {
      err = "bypass sysfs " + path_ + ": short write of \"" + value + "\"";
      return false;
    }
    std::string back;
    if (!read_value(back, err)) return false;
    if (to_state(back) != want) {
      err = "bypass sysfs " + path_ + ": wrote \"" + value + "\" but reads back \"" + back + "\"";
      return false;
    }
    return true;
  }

  std::string path_, on_, off_;
};

}  // namespace

std::unique_ptr<BypassRelay> make_sysfs_relay(const BypassConfig& config, std::string& err) {
  if (config.path.empty()) {
    err = "bypass sysfs: no attribute path configured";
    return nullptr;
  }
  if (config.sysfs_engage_value.empty() || config.sysfs_release_value.empty() ||
      config.sysfs_engage_value == config.sysfs_release_value ||
      config.sysfs_engage_value.size() >= kMaxAttrBytes ||
      config.sysfs_release_value.size() >= kMaxAttrBytes) {
    err = "bypass sysfs " + config.path + ": engage and release values must differ, be non-empty "
          "and shorter than 64 bytes";
    return nullptr;
  }
  auto relay = std::make_unique<SysfsRelay>(config);
  std::string value;
  if (!relay->read_value(value, err)) return nullptr;
  return relay;
}

}  // namespace vigil::bypass
