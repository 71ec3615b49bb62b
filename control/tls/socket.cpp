#include "control/tls/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace vigil::tls {

void Socket::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

namespace {

std::string errno_text(int e) { return std::strerror(e); }

bool make_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

void set_nodelay(int fd) {
  const int one = 1;
  // Requests and responses are small and sent whole; Nagle would only add latency.
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

std::string address_text(const sockaddr* sa) {
  char host[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
  } else if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

struct AddrInfoFree {
  void operator()(addrinfo* a) const { ::freeaddrinfo(a); }
};
using AddrInfoPtr = std::unique_ptr<addrinfo, AddrInfoFree>;

bool resolve(const std::string& host, std::uint16_t port, int flags, AddrInfoPtr& out,
             std::string& err) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = flags;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  const int rc =
      ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) {
    err = "cannot resolve '" + host + "': " + ::gai_strerror(rc);
    return false;
  }
  out.reset(res);
  return true;
}

}  // namespace

WaitStatus wait_fd(int fd, short events, Clock::time_point deadline, std::string& err) {
  for (;;) {
    const auto now = Clock::now();
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count();
    if (left <= 0) return WaitStatus::timeout;
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(left > 60'000 ? 60'000 : left));
    if (rc > 0) return WaitStatus::ready;  // including POLLERR/POLLHUP: the next call reports it
    if (rc == 0) continue;                 // re-check the deadline
    if (errno == EINTR) continue;
    err = "poll failed: " + errno_text(errno);
    return WaitStatus::error;
  }
}

Socket connect_tcp(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
                   std::string& err) {
  const std::string where = host + ":" + std::to_string(port);
  AddrInfoPtr addrs;
  std::string rerr;
  if (!resolve(host, port, 0, addrs, rerr)) {
    err = "connect to " + where + " failed: " + rerr;
    return Socket();
  }
  const auto deadline = Clock::now() + timeout;
  std::string last = "no address";
  for (const addrinfo* a = addrs.get(); a != nullptr; a = a->ai_next) {
    Socket s(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (!s.valid() || !make_nonblocking(s.fd())) {
      last = "socket: " + errno_text(errno);
      continue;
    }
    if (::connect(s.fd(), a->ai_addr, a->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last = errno_text(errno);
        continue;
      }
      std::string werr;
      const WaitStatus w = wait_fd(s.fd(), POLLOUT, deadline, werr);
      if (w == WaitStatus::timeout) {
        err = "connect to " + where + " failed: timed out after " +
              std::to_string(timeout.count()) + " ms";
        return Socket();
      }
      if (w == WaitStatus::error) {
        last = werr;
        continue;
      }
      int soerr = 0;
      socklen_t len = sizeof soerr;
      if (::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &soerr, &len) != 0) soerr = errno;
      if (soerr != 0) {
        last = errno_text(soerr);
        continue;
      }
    }
    set_nodelay(s.fd());
    return s;
  }
  err = "connect to " + where + " failed: " + last;
  return Socket();
}

bool TcpListener::open(const std::string& host, std::uint16_t port, int backlog, std::string& err) {
  const std::string where = (host.empty() ? "*" : host) + ":" + std::to_string(port);
  AddrInfoPtr addrs;
  std::string rerr;
  if (!resolve(host, port, AI_PASSIVE, addrs, rerr)) {
    err = "listen on " + where + " failed: " + rerr;
    return false;
  }
  std::string last = "no address";
  for (const addrinfo* a = addrs.get(); a != nullptr; a = a->ai_next) {
    Socket s(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (!s.valid()) {
      last = errno_text(errno);
      continue;
    }
    const int one = 1;
    (void)::setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(s.fd(), a->ai_addr, a->ai_addrlen) != 0 || ::listen(s.fd(), backlog) != 0 ||
        !make_nonblocking(s.fd())) {
      last = errno_text(errno);
      continue;
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    if (::getsockname(s.fd(), reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
      last = errno_text(errno);
      continue;
    }
    port_ = bound.ss_family == AF_INET6
                ? ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port)
                : ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
    sock_ = std::move(s);
    return true;
  }
  err = "listen on " + where + " failed: " + last;
  return false;
}

AcceptStatus TcpListener::accept(Socket& out, std::string& peer, std::chrono::milliseconds timeout,
                                 std::string& err) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    const int fd = ::accept4(sock_.fd(), reinterpret_cast<sockaddr*>(&addr), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      out = Socket(fd);
      set_nodelay(fd);
      peer = address_text(reinterpret_cast<const sockaddr*>(&addr));
      return AcceptStatus::accepted;
    }
    // Errors of the pending connection (it was reset before we took it) are not the
    // listener's: try again.
    if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      err = "accept failed: " + errno_text(errno);
      return AcceptStatus::error;
    }
    const WaitStatus w = wait_fd(sock_.fd(), POLLIN, deadline, err);
    if (w == WaitStatus::timeout) return AcceptStatus::timeout;
    if (w == WaitStatus::error) return AcceptStatus::error;
  }
}

}  // namespace vigil::tls
