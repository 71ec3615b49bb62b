// `vigil-provider serve`: the provider side of the protocol (docs/uplink.md) over mutual TLS.
#pragma once

#include <cstdint>
#include <string>

namespace vigil::provider {

struct ServeOptions {
  std::string data_dir;            // events, flow pcaps, heartbeats per appliance; rules; firmware
  std::string pki_dir;             // ca.crt (device CA), server.crt, server.key (pki init layout)
  std::string listen = "127.0.0.1";
  std::uint16_t port = 8443;       // 0: any free port (printed on the first line)
  unsigned max_connections = 256;  // connections served at once; more wait in the backlog
  std::uint32_t idle_timeout_ms = 30000;
};

// Serves until SIGINT or SIGTERM; returns the exit code.
int run_serve(const ServeOptions& options);

}  // namespace vigil::provider
