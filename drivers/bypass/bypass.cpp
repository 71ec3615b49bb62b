// Backend names, the factory, the atomic file writer and the sim backend.
#include "drivers/bypass/bypass.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vigil::bypass {

std::string_view state_name(BypassState state) {
  switch (state) {
    case BypassState::inspecting: return "inspecting";
    case BypassState::bypassed: return "bypassed";
    case BypassState::unknown: break;
  }
  return "unknown";
}

std::string_view backend_name(BypassBackend backend) {
  switch (backend) {
    case BypassBackend::none: return "none";
    case BypassBackend::sim: return "sim";
    case BypassBackend::sysfs: return "sysfs";
    case BypassBackend::gpio: return "gpio";
  }
  return "none";
}

bool parse_backend(std::string_view text, BypassBackend& out) {
  for (auto b : {BypassBackend::none, BypassBackend::sim, BypassBackend::sysfs,
                 BypassBackend::gpio}) {
    if (text == backend_name(b)) {
      out = b;
      return true;
    }
  }
  return false;
}

std::unique_ptr<BypassRelay> make_bypass_relay(const BypassConfig& config, std::string& err) {
  err.clear();
  switch (config.backend) {
    case BypassBackend::none: return nullptr;
    case BypassBackend::sim: return SimBypassRelay::open(config.path, err);
    case BypassBackend::sysfs: return make_sysfs_relay(config, err);
    case BypassBackend::gpio: return make_gpio_relay(config, err);
  }
  err = "bypass: unknown backend";
  return nullptr;
}

namespace {

std::string errno_text(const std::string& what, const std::string& path, int e) {
  return what + " " + path + ": " + std::strerror(e);
}

bool write_all(int fd, std::string_view data) {
  std::size_t done = 0;
  int spins = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR && ++spins < 100) continue;
      return false;
    }
    if (n == 0) {
      errno = EIO;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

bool write_file_atomic(const std::string& path, std::string_view content, std::string& err) {
  if (path.empty()) {
    err = "write: empty path";
    return false;
  }
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    err = errno_text("open", tmp, errno);
    return false;
  }
  if (!write_all(fd, content) || ::fsync(fd) != 0) {
    int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    err = errno_text("write", tmp, e);
    return false;
  }
  if (::close(fd) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    err = errno_text("close", tmp, e);
    return false;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    err = errno_text("rename", path, e);
    return false;
  }
  // The rename is durable only once the directory entry is on disk.
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

// --- sim ---

namespace {

constexpr std::size_t kMaxStateFileBytes = 64;

bool parse_state_text(std::string_view text, BypassState& out) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r'))
    text.remove_suffix(1);
  if (text == "bypassed") {
    out = BypassState::bypassed;
    return true;
  }
  if (text == "inspecting") {
    out = BypassState::inspecting;
    return true;
  }
  return false;
}

}  // namespace

bool read_sim_state(const std::string& state_file, BypassState& out, std::string& err) {
  int fd = ::open(state_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    err = errno_text("bypass sim: open", state_file, errno);
    return false;
  }
  char buf[kMaxStateFileBytes];
  ssize_t n;
  do {
    n = ::read(fd, buf, sizeof buf);
  } while (n < 0 && errno == EINTR);
  int e = errno;
  ::close(fd);
  if (n < 0) {
    err = errno_text("bypass sim: read", state_file, e);
    return false;
  }
  if (!parse_state_text(std::string_view(buf, static_cast<std::size_t>(n)), out)) {
    err = "bypass sim: " + state_file + ": not a bypass state (want \"bypassed\" or \"inspecting\")";
    return false;
  }
  return true;
}

std::unique_ptr<SimBypassRelay> SimBypassRelay::open(const std::string& state_file,
                                                     std::string& err) {
  std::unique_ptr<SimBypassRelay> relay(new SimBypassRelay(state_file));
  if (state_file.empty()) return relay;
  if (::access(state_file.c_str(), F_OK) == 0) {
    if (!read_sim_state(state_file, relay->state_, err)) return nullptr;
    return relay;
  }
  if (!write_file_atomic(state_file, "inspecting\n", err)) {
    err = "bypass sim: " + err;
    return nullptr;
  }
  return relay;
}

bool SimBypassRelay::set(BypassState to, std::string& err) {
  if (fail_) {
    err = "bypass sim " + (file_.empty() ? std::string("(memory)") : file_) +
          ": injected failure: " + std::strerror(EIO);
    return false;
  }
  if (!file_.empty()) {
    std::string content(state_name(to));
    content += '\n';
    if (!write_file_atomic(file_, content, err)) {
      err = "bypass sim: " + err;
      return false;
    }
  }
  state_ = to;
  return true;
}

bool SimBypassRelay::engage(std::string& err) {
  if (!set(BypassState::bypassed, err)) return false;
  ++engages_;
  return true;
}

bool SimBypassRelay::release(std::string& err) {
  if (!set(BypassState::inspecting, err)) return false;
  ++releases_;
  return true;
}

std::string SimBypassRelay::describe() const {
  return file_.empty() ? std::string("sim (memory)") : "sim " + file_;
}

}  // namespace vigil::bypass
