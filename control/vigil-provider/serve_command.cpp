#include "control/vigil-provider/serve_command.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "control/provider_server/provider_server.h"

namespace vigil::provider {

namespace {
std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }
}  // namespace

int run_serve(const ServeOptions& opt) {
  ServerConfig cfg;
  cfg.data_dir = opt.data_dir;
  cfg.pki_dir = opt.pki_dir;
  cfg.listen = opt.listen;
  cfg.port = opt.port;
  cfg.max_connections = opt.max_connections;
  cfg.idle_timeout_ms = opt.idle_timeout_ms;
  std::signal(SIGPIPE, SIG_IGN);
  std::string err;
  auto server = ProviderServer::start(cfg, err);
  if (!server) {
    std::fprintf(stderr, "vigil-provider: %s\n", err.c_str());
    return 2;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::printf("vigil-provider: listening on %s:%u, data in %s\n", opt.listen.c_str(),
              static_cast<unsigned>(server->port()),
              std::filesystem::absolute(opt.data_dir).string().c_str());
  std::fflush(stdout);
  while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server->stop();
  const ProviderStats s = server->store().stats();
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
