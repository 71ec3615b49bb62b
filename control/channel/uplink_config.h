// The appliance's upload configuration (a TOML file): where the provider is, which certificates
// to use, the spool and the upload batching. Parsed once at start-up into a plain struct; every
// error names the file, the line and the field. Relative paths are resolved against the
// config file's folder. Unknown sections and keys are errors (a typo must not go unnoticed).
//
//   [provider]
//   host = "localhost"            # required
//   port = 8443
//   server_name = "provider.vigil.test"   # name verified in the server certificate; default host
//   ca = "pki/ca.crt"             # required: the provider CA (pinned)
//   cert = "pki/devices/dev-1.crt"  # required: device certificate
//   key = "pki/devices/dev-1.key"   # required: its key
//   connect_timeout_ms = 3000
//   io_timeout_ms = 10000
//   [spool]
//   dir = "spool"
//   max_bytes = 268435456
//   [upload]
//   batch_events = 500
//   batch_bytes = 1048576
//   backoff_initial_ms = 200
//   backoff_max_ms = 30000
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil::channel {

struct UplinkConfig {
  struct Provider {
    std::string host;
    std::uint16_t port = 8443;
    std::string server_name;  // defaults to host
    std::string ca, cert, key;
    std::uint32_t connect_timeout_ms = 3000;
    std::uint32_t io_timeout_ms = 10000;
  } provider;
  struct Spool {
    std::string dir;  // default "spool" next to the config file
    std::uint64_t max_bytes = 256ull * 1024 * 1024;
  } spool;
  struct Upload {
    std::uint32_t batch_events = 500;
    std::uint64_t batch_bytes = 1024 * 1024;  // at most 16 MiB, the provider's body limit
    std::uint32_t backoff_initial_ms = 200;
    std::uint32_t backoff_max_ms = 30000;
  } upload;
};

// Reads and parses `path`. false + err ("uplink.toml:7: [provider] port: expected an integer
// from 1 to 65535") on any problem.
bool load_uplink_config(const std::string& path, UplinkConfig& out, std::string& err);

// Parses TOML text; `path` is used in messages and to resolve relative paths.
bool parse_uplink_config(std::string_view text, const std::string& path, UplinkConfig& out,
                         std::string& err);

}  // namespace vigil::channel
