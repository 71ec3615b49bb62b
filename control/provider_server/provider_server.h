// ProviderServer: the reference provider on the network. Accepts appliances over mutual TLS
// (control/tls; the client certificate's CN is the appliance id), reads HTTP/1.1 requests with
// keep-alive and answers them from a ProviderStore. One thread per connection, at most
// max_connections at once (more wait in the listen backlog). Used by `vigil-provider serve` and
// by the upload benchmark.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "control/provider/provider_store.h"
#include "control/tls/socket.h"
#include "control/tls/tls_channel.h"

namespace vigil::provider {

struct ServerConfig {
  std::string data_dir;
  std::string pki_dir;             // ca.crt (device CA), server.crt, server.key
  std::string listen = "127.0.0.1";
  std::uint16_t port = 8443;       // 0: any free port (see port())
  unsigned max_connections = 256;
  std::uint32_t idle_timeout_ms = 30000;
  bool log_refusals = true;        // one stderr line per refused handshake
};

class ProviderServer {
 public:
  // Loads the certificates, opens the store and the listener, starts accepting. nullptr + err.
  static std::unique_ptr<ProviderServer> start(const ServerConfig& config, std::string& err);
  ~ProviderServer();  // stop()
  ProviderServer(const ProviderServer&) = delete;
  ProviderServer& operator=(const ProviderServer&) = delete;

  std::uint16_t port() const { return listener_.port(); }
  ProviderStore& store() { return *store_; }
  // Stops accepting, lets each connection finish its request, waits for them all.
  void stop();

 private:
  ProviderServer() = default;
  void accept_loop();
  void serve(tls::Socket sock, std::string peer);

  ServerConfig cfg_;
  std::unique_ptr<tls::TlsServer> tls_;
  std::unique_ptr<ProviderStore> store_;
  tls::TcpListener listener_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  unsigned active_ = 0;  // connections being served
  std::thread acceptor_;
};

}  // namespace vigil::provider
