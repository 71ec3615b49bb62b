#include "control/vigil-provider/serve_command.h"

#include <csignal>
#include <cstdio>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "control/http/http_parser.h"
#include "control/http/http_writer.h"
#include "control/pki/pki.h"
#include "control/provider/provider_store.h"
#include "control/tls/socket.h"
#include "control/tls/tls_channel.h"

namespace vigil::provider {

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

// Connections served at once, bounded; the accept loop waits for a free place.
class ConnectionSlots {
 public:
  explicit ConnectionSlots(unsigned max) : free_(max) {}
  bool take(std::chrono::milliseconds wait) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, wait, [&] { return free_ > 0; })) return false;
    --free_;
    ++active_;
    return true;
  }
  void give_back() {
    {
      std::lock_guard lock(mu_);
      ++free_;
      --active_;
    }
    cv_.notify_all();
  }
  // Every connection ends within its I/O timeouts, so this wait is bounded too.
  void wait_idle() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return active_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  unsigned free_, active_ = 0;
};

void log_line(const std::string& s) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::fprintf(stderr, "vigil-provider: %s\n", s.c_str());
}

// One appliance connection: handshake, then requests until it closes, errs or idles out.
void serve_connection(const tls::TlsServer& server, ProviderStore& store, tls::Socket sock,
                      const std::string& peer) {
  std::string err;
  std::unique_ptr<tls::TlsConnection> conn = server.handshake(std::move(sock), peer, err);
  if (!conn) {
    log_line("refused " + peer + ": " + err);
    return;
  }
  const std::string id = conn->peer_common_name();
  http::MessageParser parser(http::MessageKind::request);
  std::string pending;
  const http::ReadFn read = [&](std::span<char> buf) -> long {
    std::size_t got = 0;
    std::string rerr;
    switch (conn->read_some(buf.data(), buf.size(), got, rerr)) {
      case tls::IoStatus::ok: return static_cast<long>(got);
      case tls::IoStatus::closed: return 0;
      default: return -1;
    }
  };
  while (!g_stop.load()) {
    const http::ParseStatus st = http::read_message(parser, pending, read);
    if (st == http::ParseStatus::connection_closed || st == http::ParseStatus::read_failed) break;
    http::HttpResponse resp;
    bool close_after = false;
    if (st == http::ParseStatus::done) {
      const http::HttpRequest req = parser.take_request();
      resp = store.handle(id, req);
      close_after = !parser.keep_alive();
    } else {
      resp = error_response(http::status_for(st), parser.error_message());
      close_after = true;
    }
    if (close_after) resp.headers.push_back({"Connection", "close"});
    std::string wire;
    if (!http::write_response(resp, wire, &err) ||
        conn->write_all(wire, err) != tls::IoStatus::ok || close_after) {
      break;
    }
    parser.reset();
  }
  conn->close();
}

}  // namespace

int run_serve(const ServeOptions& opt) {
  std::string err;
  tls::ServerOptions so;
  const pki::CertPaths ca = pki::ca_paths(opt.pki_dir), srv = pki::server_paths(opt.pki_dir);
  so.ca_file = ca.cert;
  so.cert_file = srv.cert;
  so.key_file = srv.key;
  so.io_timeout_ms = opt.idle_timeout_ms;
  auto server = tls::TlsServer::create(so, err);
  if (!server) {
    std::fprintf(stderr, "vigil-provider: %s\n", err.c_str());
    return 2;
  }
  std::unique_ptr<ProviderStore> store;
  try {
    store = std::make_unique<ProviderStore>(opt.data_dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vigil-provider: %s\n", e.what());
    return 2;
  }
  tls::TcpListener listener;
  if (!listener.open(opt.listen, opt.port, 128, err)) {
    std::fprintf(stderr, "vigil-provider: %s\n", err.c_str());
    return 2;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGPIPE, SIG_IGN);
  std::printf("vigil-provider: listening on %s:%u, data in %s\n", opt.listen.c_str(),
              static_cast<unsigned>(listener.port()),
              std::filesystem::absolute(opt.data_dir).string().c_str());
  std::fflush(stdout);

  ConnectionSlots slots(opt.max_connections);
  while (!g_stop.load()) {
    if (!slots.take(std::chrono::milliseconds(200))) continue;
    tls::Socket sock;
    std::string peer;
    const tls::AcceptStatus st = listener.accept(sock, peer, std::chrono::milliseconds(200), err);
    if (st != tls::AcceptStatus::accepted) {
      slots.give_back();
      if (st == tls::AcceptStatus::error) log_line("accept: " + err);
      continue;
    }
    std::thread([&, s = std::move(sock), peer]() mutable {
      serve_connection(*server, *store, std::move(s), peer);
      slots.give_back();
    }).detach();
  }
  listener.close();
  // Connections notice the stop after their current request (or their idle timeout).
  slots.wait_idle();
  const ProviderStats s = store->stats();
  std::printf("vigil-provider: stopped; %llu requests, %llu event batches (%llu events), %llu "
              "duplicates dropped, %llu flow pcaps, %llu heartbeats\n",
              static_cast<unsigned long long>(s.requests),
              static_cast<unsigned long long>(s.batches_accepted),
              static_cast<unsigned long long>(s.events_accepted),
              static_cast<unsigned long long>(s.duplicates_dropped),
              static_cast<unsigned long long>(s.flows_created + s.flows_replaced),
              static_cast<unsigned long long>(s.heartbeats));
  return 0;
}

}  // namespace vigil::provider
