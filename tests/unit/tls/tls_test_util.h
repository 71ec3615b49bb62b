// Test helpers shared by the tls and channel unit tests: a temporary folder, a development PKI
// made fresh per test, and a loopback TLS server running one thread per connection.
#pragma once

#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "control/pki/pki.h"
#include "control/tls/socket.h"
#include "control/tls/tls_channel.h"

namespace vigil::test {

// mkdtemp folder, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/vigil-tls-test-XXXXXX";
    const char* p = ::mkdtemp(tmpl);
    path_ = p ? p : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A provider CA with a server certificate (CN provider.vigil.test, DNS provider.vigil.test and
// localhost) and device "dev-1", in <tmp>/pki.
struct TestPki {
  TempDir tmp;
  std::string dir = tmp.path() + "/pki";
  bool ok = false;
  std::string err;

  TestPki() {
    const auto v = pki::valid_for_days(2);
    ok = pki::make_ca(dir, "Vigil test CA", v, err) &&
         pki::make_server_cert(dir, "provider.vigil.test", {"provider.vigil.test", "localhost"},
                               v, err) &&
         pki::make_device_cert(dir, "dev-1", v, err);
  }

  tls::ServerOptions server_options() const {
    tls::ServerOptions o;
    o.ca_file = pki::ca_paths(dir).cert;
    o.cert_file = pki::server_paths(dir).cert;
    o.key_file = pki::server_paths(dir).key;
    o.handshake_timeout_ms = 3000;
    o.io_timeout_ms = 3000;
    return o;
  }

  tls::ClientOptions client_options(std::uint16_t port) const {
    tls::ClientOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    o.server_name = "provider.vigil.test";
    o.ca_file = pki::ca_paths(dir).cert;
    o.cert_file = pki::device_paths(dir, "dev-1").cert;
    o.key_file = pki::device_paths(dir, "dev-1").key;
    o.connect_timeout_ms = 2000;
    o.handshake_timeout_ms = 3000;
    o.io_timeout_ms = 3000;
    return o;
  }
};

// Loopback TLS server: accepts on 127.0.0.1:<any port>, runs the handshake and then `handler`
// in a thread per connection. Records every handshake's outcome.
class TestTlsServer {
 public:
  using Handler = std::function<void(tls::TlsConnection&)>;

  struct Outcome {
    bool ok = false;
    std::string error;   // handshake error
    std::string peer_cn;
    bool resumed = false;
  };

  TestTlsServer(const tls::ServerOptions& options, Handler handler)
      : handler_(std::move(handler)) {
    server_ = tls::TlsServer::create(options, error_);
    if (!server_ || !listener_.open("127.0.0.1", 0, 64, error_)) return;
    thread_ = std::thread([this] { accept_loop(); });
  }

  ~TestTlsServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    std::vector<std::thread> conns;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      conns.swap(connections_);
    }
    for (auto& t : conns) t.join();
  }

  bool ok() const { return server_ != nullptr && listener_.is_open(); }
  const std::string& error() const { return error_; }
  std::uint16_t port() const { return listener_.port(); }

  // Waits (bounded) until `n` handshakes finished; returns a copy of the outcomes so far.
  std::vector<Outcome> wait_outcomes(std::size_t n, std::chrono::milliseconds timeout =
                                                        std::chrono::milliseconds(5000)) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, timeout, [&] { return outcomes_.size() >= n; });
    return outcomes_;
  }

  // Stops accepting; connections already open keep running until their handler returns.
  void stop_accepting() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    listener_.close();
  }

 private:
  void accept_loop() {
    while (!stop_) {
      tls::Socket sock;
      std::string peer, err;
      if (listener_.accept(sock, peer, std::chrono::milliseconds(50), err) !=
          tls::AcceptStatus::accepted) {
        continue;
      }
      std::lock_guard<std::mutex> lock(mutex_);
      connections_.emplace_back([this, s = std::move(sock), peer]() mutable {
        std::string herr;
        auto conn = server_->handshake(std::move(s), peer, herr);
        Outcome o;
        o.ok = conn != nullptr;
        o.error = herr;
        if (conn) {
          o.peer_cn = conn->peer_common_name();
          o.resumed = conn->resumed();
        }
        {
          std::lock_guard<std::mutex> l(mutex_);
          outcomes_.push_back(o);
        }
        cv_.notify_all();
        if (conn && handler_) handler_(*conn);
      });
    }
  }

  Handler handler_;
  std::unique_ptr<tls::TlsServer> server_;
  tls::TcpListener listener_;
  std::string error_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::thread> connections_;
  std::vector<Outcome> outcomes_;
};

// Handler: echoes everything back until the peer closes or 3 s of silence.
inline void echo_handler(tls::TlsConnection& c) {
  char buf[4096];
  for (;;) {
    std::size_t n = 0;
    std::string err;
    if (c.read_some(buf, sizeof buf, n, err) != tls::IoStatus::ok) return;
    if (c.write_all(std::string_view(buf, n), err) != tls::IoStatus::ok) return;
  }
}

}  // namespace vigil::test
