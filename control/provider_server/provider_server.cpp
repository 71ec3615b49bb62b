#include "control/provider_server/provider_server.h"

#include <cstdio>

#include "control/http/http_parser.h"
#include "control/http/http_writer.h"
#include "control/pki/pki.h"

namespace vigil::provider {

std::unique_ptr<ProviderServer> ProviderServer::start(const ServerConfig& config, std::string& err) {
  std::unique_ptr<ProviderServer> s(new ProviderServer());
  s->cfg_ = config;
  tls::ServerOptions so;
  const pki::CertPaths ca = pki::ca_paths(config.pki_dir), srv = pki::server_paths(config.pki_dir);
  so.ca_file = ca.cert;
  so.cert_file = srv.cert;
  so.key_file = srv.key;
  so.io_timeout_ms = config.idle_timeout_ms;
  s->tls_ = tls::TlsServer::create(so, err);
  if (!s->tls_) return nullptr;
  try {
    s->store_ = std::make_unique<ProviderStore>(config.data_dir);
  } catch (const std::exception& e) {
    err = e.what();
    return nullptr;
  }
  if (!s->listener_.open(config.listen, config.port, 128, err)) return nullptr;
  s->acceptor_ = std::thread([raw = s.get()] { raw->accept_loop(); });
  return s;
}

ProviderServer::~ProviderServer() { stop(); }

void ProviderServer::stop() {
  stop_.store(true);
  if (acceptor_.joinable()) acceptor_.join();
  listener_.close();
  // Every connection ends within its I/O timeouts, so this wait is bounded.
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return active_ == 0; });
}

void ProviderServer::accept_loop() {
  while (!stop_.load()) {
    {
      std::unique_lock lock(mu_);
      if (!cv_.wait_for(lock, std::chrono::milliseconds(200),
                        [&] { return active_ < cfg_.max_connections; })) {
        continue;
      }
    }
    tls::Socket sock;
    std::string peer, err;
    const tls::AcceptStatus st = listener_.accept(sock, peer, std::chrono::milliseconds(200), err);
    if (st == tls::AcceptStatus::error) {
      std::fprintf(stderr, "vigil-provider: accept: %s\n", err.c_str());
      continue;
    }
    if (st != tls::AcceptStatus::accepted) continue;
    {
      std::lock_guard lock(mu_);
      ++active_;
    }
    std::thread([this, s = std::move(sock), peer]() mutable {
      serve(std::move(s), peer);
      {
        std::lock_guard lock(mu_);
        --active_;
      }
      cv_.notify_all();
    }).detach();
  }
}

void ProviderServer::serve(tls::Socket sock, std::string peer) {
  std::string err;
  std::unique_ptr<tls::TlsConnection> conn = tls_->handshake(std::move(sock), peer, err);
  if (!conn) {
    if (cfg_.log_refusals) std::fprintf(stderr, "vigil-provider: refused %s: %s\n", peer.c_str(), err.c_str());
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
  while (!stop_.load()) {
    const http::ParseStatus st = http::read_message(parser, pending, read);
    if (st == http::ParseStatus::connection_closed || st == http::ParseStatus::read_failed) break;
    http::HttpResponse resp;
    bool close_after = false;
    if (st == http::ParseStatus::done) {
      const http::HttpRequest req = parser.take_request();
      resp = store_->handle(id, req);
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

}  // namespace vigil::provider
