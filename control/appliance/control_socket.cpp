#include "control/appliance/control_socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vigil::appliance {

namespace {
bool fill_address(const std::string& path, sockaddr_un& addr, std::string& err) {
  addr = {};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    err = "control socket path '" + path + "' is empty or longer than " +
          std::to_string(sizeof addr.sun_path - 1) + " bytes";
    return false;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return true;
}

// Reads until a newline or EOF, at most `cap` bytes, within `timeout_ms`.
bool read_line(int fd, std::string& out, std::size_t cap, int timeout_ms) {
  char buf[4096];
  while (out.size() < cap && out.find('\n') == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return !out.empty();
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return !out.empty();
    out.append(buf, static_cast<std::size_t>(n));
  }
  return true;
}

void write_all(int fd, const std::string& s) {
  std::size_t at = 0;
  while (at < s.size()) {
    const ssize_t n = ::send(fd, s.data() + at, s.size() - at, MSG_NOSIGNAL);
    if (n <= 0) return;
    at += static_cast<std::size_t>(n);
  }
}
}  // namespace

bool ControlSocket::open(const std::string& path, std::string& err) {
  sockaddr_un addr;
  if (!fill_address(path, addr, err)) return false;
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) {
    err = "control socket: " + std::string(std::strerror(errno));
    return false;
  }
  ::unlink(path.c_str());
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 8) != 0) {
    err = "control socket " + path + ": " + std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    return false;
  }
  path_ = path;
  return true;
}

ControlSocket::~ControlSocket() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
}

void ControlSocket::poll_once(int timeout_ms, const Handler& handler) {
  if (fd_ < 0) return;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return;
  const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (c < 0) return;
  std::string request;
  if (read_line(c, request, 4096, 200)) {
    while (!request.empty() && (request.back() == '\n' || request.back() == '\r')) request.pop_back();
    write_all(c, handler(request) + "\n");
  }
  ::close(c);
}

bool control_request(const std::string& path, const std::string& request, std::string& answer,
                     std::string& err) {
  sockaddr_un addr;
  if (!fill_address(path, addr, err)) return false;
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    err = "cannot reach vigild at " + path + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return false;
  }
  write_all(fd, request + "\n");
  ::shutdown(fd, SHUT_WR);
  answer.clear();
  read_line(fd, answer, 64u << 20, 5000);
  ::close(fd);
  if (answer.empty()) {
    err = "vigild at " + path + " gave no answer";
    return false;
  }
  while (!answer.empty() && answer.back() == '\n') answer.pop_back();
  return true;
}

}  // namespace vigil::appliance
