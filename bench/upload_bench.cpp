// Upload benchmark: the sustained rate of the uplink (spool -> mutual TLS -> provider) through one
// connection to a local provider, and the TLS handshakes it costs per batch (docs/benchmarks.md).
// Everything runs in this process on loopback: a development PKI in a temporary folder, the
// reference provider (ProviderServer) and the appliance side (Spool, EventBatcher, Uploader,
// ProviderClient), as `vigild replay --upload` uses them.
#include <CLI/CLI.hpp>

#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "control/channel/provider_client.h"
#include "control/pki/pki.h"
#include "control/provider_server/provider_server.h"
#include "control/spool/spool.h"
#include "control/uplink/event_batcher.h"
#include "control/uplink/uploader.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// An alert-sized EVE line (the real ones are 600-1,200 bytes), unique per index.
std::string eve_line(std::uint64_t i, std::size_t bytes) {
  std::string line = "{\"timestamp\":\"2026-11-29T00:00:00.000000+0000\",\"flow_id\":" +
                     std::to_string(1000000 + i) +
                     ",\"event_type\":\"flow\",\"src_ip\":\"192.0.2.1\",\"dest_ip\":\"198.51.100.2\","
                     "\"proto\":\"TCP\",\"pad\":\"";
  while (line.size() + 2 < bytes) line += 'x';
  return line + "\"}";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Vigil upload benchmark: spool -> mutual TLS -> local provider, one connection",
               "vigil-bench-upload"};
  std::uint64_t events = 200000;
  std::size_t line_bytes = 800, batch_events = 500;
  bool sync = true;
  app.add_option("--events", events, "EVE lines to upload");
  app.add_option("--line-bytes", line_bytes, "Bytes per EVE line")->check(CLI::Range(64, 65536));
  app.add_option("--batch-events", batch_events, "Lines per batch (upload.batch_events)");
  app.add_flag("--sync,!--no-sync", sync, "fsync the spool as the appliance does (default on)");
  CLI11_PARSE(app, argc, argv);

  char tmpl[] = "/tmp/vigil-bench-upload-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const fs::path dir = tmpl;
  int rc = 0;
  {
    std::string err;
    const std::string pki_dir = (dir / "pki").string();
    const auto validity = vigil::pki::valid_for_days(1);
    if (!vigil::pki::make_ca(pki_dir, "bench CA", validity, err) ||
        !vigil::pki::make_server_cert(pki_dir, "provider.vigil.test", {}, validity, err) ||
        !vigil::pki::make_device_cert(pki_dir, "bench-1", validity, err)) {
      std::fprintf(stderr, "pki: %s\n", err.c_str());
      return 1;
    }
    vigil::provider::ServerConfig sc;
    sc.data_dir = (dir / "provider").string();
    sc.pki_dir = pki_dir;
    sc.port = 0;
    auto server = vigil::provider::ProviderServer::start(sc, err);
    if (!server) {
      std::fprintf(stderr, "provider: %s\n", err.c_str());
      return 1;
    }
    vigil::spool::SpoolLimits limits;
    limits.max_bytes = 4ull << 30;
    limits.sync = sync;
    auto spool = vigil::spool::Spool::open((dir / "spool").string(), limits, err);
    if (!spool) {
      std::fprintf(stderr, "spool: %s\n", err.c_str());
      return 1;
    }
    // Spooling (the event thread's side, measured apart).
    const auto t0 = Clock::now();
    std::uint64_t body_bytes = 0;
    {
      vigil::uplink::EventBatcher batcher(*spool, {batch_events, 16u << 20}, "bench");
      for (std::uint64_t i = 0; i < events; ++i) {
        const std::string line = eve_line(i, line_bytes);
        body_bytes += line.size() + 1;
        batcher.add(line, false);
      }
    }
    const double spool_s = seconds(Clock::now() - t0);
    const std::uint64_t batches = spool->counters().records;

    vigil::tls::ClientOptions to;
    to.host = "127.0.0.1";
    to.port = server->port();
    to.server_name = "provider.vigil.test";
    const auto ca = vigil::pki::ca_paths(pki_dir);
    const auto dev = vigil::pki::device_paths(pki_dir, "bench-1");
    to.ca_file = ca.cert;
    to.cert_file = dev.cert;
    to.key_file = dev.key;
    auto client = vigil::channel::ProviderClient::create({to, 64u << 20}, err);
    if (!client) {
      std::fprintf(stderr, "client: %s\n", err.c_str());
      return 1;
    }
    vigil::uplink::UploaderConfig uc;
    uc.heartbeat_interval = std::chrono::milliseconds(0);
    vigil::uplink::Uploader uploader(*spool, *client, uc);
    const auto t1 = Clock::now();
    const bool drained = uploader.drain(Clock::now() + std::chrono::minutes(10));
    const double up_s = seconds(Clock::now() - t1);
    const auto c = uploader.counters();
    const auto& cc = client->counters();
    using PC = vigil::channel::ProviderClientCounter;
    const std::uint64_t hs = cc.get(PC::handshakes);
    std::printf("events: %llu lines of %zu bytes in %llu batches of %zu (%.1f MiB of EVE JSON); "
                "spool fsync %s\n",
                static_cast<unsigned long long>(events), line_bytes,
                static_cast<unsigned long long>(batches), batch_events, body_bytes / 1048576.0,
                sync ? "on" : "off");
    std::printf("spooling: %.3f s, %.0f events/s, %.1f MB/s\n", spool_s, events / spool_s,
                body_bytes / spool_s / 1e6);
    std::printf("upload:   %.3f s, %.0f events/s, %.1f MB/s, %.1f batches/s, %s\n", up_s,
                c.sent_events / up_s, c.sent_bytes / up_s / 1e6, c.sent_batches / up_s,
                drained ? "spool drained" : "NOT drained");
    std::printf("TLS: %llu connections, %llu handshakes (%llu resumed) for %llu batches: %.3f "
                "handshakes per batch after the first\n",
                static_cast<unsigned long long>(cc.get(PC::connections)),
                static_cast<unsigned long long>(hs),
                static_cast<unsigned long long>(cc.get(PC::resumed_handshakes)),
                static_cast<unsigned long long>(c.sent_batches),
                c.sent_batches > 1 ? static_cast<double>(hs - 1) / (c.sent_batches - 1) : 0.0);
    const auto ps = server->store().stats();
    std::printf("provider: %llu batches, %llu events stored, %llu retries on the appliance side\n",
                static_cast<unsigned long long>(ps.batches_accepted),
                static_cast<unsigned long long>(ps.events_accepted),
                static_cast<unsigned long long>(c.retries));
    if (!drained || ps.events_accepted != events) rc = 1;
    server->stop();
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return rc;
}
