// Non-blocking TCP sockets with poll()-bounded waits: connect, listen and accept for the TLS
// channel. Every wait has a deadline; nothing here blocks without one. A Socket owns its fd.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace vigil::tls {

using Clock = std::chrono::steady_clock;

// Owns one file descriptor (closed on destruction); movable, not copyable.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() { reset(); }
  Socket(Socket&& o) noexcept : fd_(o.release()) {}
  Socket& operator=(Socket&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.release();
    }
    return *this;
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    const int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset();

 private:
  int fd_ = -1;
};

enum class WaitStatus { ready, timeout, error };

// Waits until `fd` has one of `events` (POLLIN / POLLOUT) or the deadline passes. EINTR is
// retried with the remaining time.
WaitStatus wait_fd(int fd, short events, Clock::time_point deadline, std::string& err);

// Resolves host (numeric or a name, e.g. from /etc/hosts) and connects to the first address that
// answers within the timeout. Returns an invalid Socket and sets err ("connect to h:p failed:
// Connection refused", "... timed out after 3000 ms") on failure. The socket is non-blocking,
// with TCP_NODELAY.
Socket connect_tcp(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
                   std::string& err);

enum class AcceptStatus { accepted, timeout, error };

// A listening TCP socket. accept() may be called from several threads at once.
class TcpListener {
 public:
  // Binds host:port (port 0 = any free port; see port()) with SO_REUSEADDR and listens.
  bool open(const std::string& host, std::uint16_t port, int backlog, std::string& err);
  std::uint16_t port() const { return port_; }
  bool is_open() const { return sock_.valid(); }
  void close() { sock_.reset(); }

  // Waits up to `timeout` for a connection; the accepted socket is non-blocking with
  // TCP_NODELAY, and `peer` is "address:port".
  AcceptStatus accept(Socket& out, std::string& peer, std::chrono::milliseconds timeout,
                      std::string& err);

 private:
  Socket sock_;
  std::uint16_t port_ = 0;
};

}  // namespace vigil::tls
