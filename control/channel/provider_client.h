// ProviderClient: the uploader's Transport to the provider — HTTP/1.1 over the mutual-TLS
// channel (control/tls), keeping one connection open across requests.
//
// - Keep-alive: a connection is reused until the provider closes it ("Connection: close", a
//   close-delimited body, or closing it while idle). Before each request an idle connection is
//   checked without blocking; if the provider has closed it, a new one is made.
// - Reconnects resume the previous TLS session (an abbreviated handshake), counted apart.
// - A request on a reused connection that fails before any byte of a response arrives (the
//   provider closed it at the same moment) is retried once on a new connection when it is
//   idempotent: GET, HEAD, PUT, DELETE, OPTIONS, or any request with an Idempotency-Key.
// - Every step is bounded by the TLS options' timeouts; response size by max_response_body.
// - Adds Host (the server name) and frames the body (Content-Length) via http::write_request.
//
// Thread-safety: none; one uploader thread owns the client and reads its counters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "control/http/http_message.h"
#include "control/tls/tls_channel.h"
#include "control/uplink/transport.h"
#include "dataplane/common/counter_set.h"

namespace vigil::channel {

struct UplinkConfig;

// X(enumerator, "stats name")
#define VIGIL_PROVIDER_CLIENT_COUNTERS(X)                              \
  X(connections, "uplink.client.connections")               /* attempts (TCP + TLS) */ \
  X(handshakes, "uplink.client.handshakes")                 /* completed, incl. resumed */ \
  X(resumed_handshakes, "uplink.client.resumed_handshakes")                           \
  X(connect_failures, "uplink.client.connect_failures")                               \
  X(requests, "uplink.client.requests")                     /* sent on the wire */     \
  X(responses, "uplink.client.responses")                                              \
  X(retries, "uplink.client.retries")                       /* idempotent re-sends */  \
  X(stale_connections, "uplink.client.stale_connections")   /* found closed when idle */ \
  X(io_failures, "uplink.client.io_failures")               /* timeouts, resets */     \
  X(bad_responses, "uplink.client.bad_responses")           /* unparsable responses */ \
  X(bytes_sent, "uplink.client.bytes_sent")                 /* HTTP bytes, before TLS */ \
  X(bytes_received, "uplink.client.bytes_received")

enum class ProviderClientCounter : std::uint8_t {
  VIGIL_PROVIDER_CLIENT_COUNTERS(VIGIL_COUNTER_ENUM) count_
};
inline constexpr std::size_t kProviderClientCounterCount =
    static_cast<std::size_t>(ProviderClientCounter::count_);
using ProviderClientCounters = CounterSet<ProviderClientCounter, kProviderClientCounterCount>;
std::string_view provider_client_counter_name(ProviderClientCounter c);

struct ProviderClientOptions {
  tls::ClientOptions tls;                           // host, port, names, files, timeouts
  std::size_t max_response_body = 64 * 1024 * 1024;  // larger responses are refused
};

// The [provider] section of an upload config as client options.
ProviderClientOptions provider_client_options(const UplinkConfig& config);

class ProviderClient : public uplink::Transport {
 public:
  // Loads the certificates (see tls::TlsClient::create); does not connect yet.
  static std::unique_ptr<ProviderClient> create(const ProviderClientOptions& options,
                                                std::string& err);
  ~ProviderClient() override;

  // One request, one response (1xx interim responses skipped). false + error on a transport
  // failure: "connect to h:p failed: ...", "handshake with h:p failed: ...", "read from h:p
  // failed: timed out after N ms", "malformed response from h:p: ...". Any HTTP status is a
  // successful round trip.
  bool round_trip(const http::HttpRequest& req, http::HttpResponse& resp,
                  std::string& error) override;

  // Closes the connection (close_notify); the next request reconnects (resuming the session).
  void close();
  bool connected() const { return conn_ != nullptr; }
  const ProviderClientCounters& counters() const { return counters_; }

 private:
  enum class Exchange { ok, nothing_received, failed };

  explicit ProviderClient(const ProviderClientOptions& options) : options_(options) {}
  bool connect(std::string& error);
  Exchange exchange(const std::string& wire, std::string_view method, http::HttpResponse& resp,
                    std::string& error);

  ProviderClientOptions options_;
  std::unique_ptr<tls::TlsClient> tls_;
  std::unique_ptr<tls::TlsConnection> conn_;
  std::string pending_;  // bytes read past the last response (none expected)
  ProviderClientCounters counters_;
};

}  // namespace vigil::channel
