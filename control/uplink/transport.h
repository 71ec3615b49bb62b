// Transport: how the uploader reaches the provider (docs/uplink.md). One request in, one response
// out. The production implementation is channel::ProviderClient (mutual TLS, keep-alive); tests
// use a fake. The caller sets method, target, body and the protocol headers (Idempotency-Key,
// Content-Type); the transport adds the framing headers (Host, Content-Length, Connection).
// Not required to be thread-safe: one uploader thread owns its transport.
#pragma once

#include <string>

#include "control/http/http_message.h"

namespace vigil::uplink {

class Transport {
 public:
  virtual ~Transport() = default;
  // One request, one response, or false with an error string (connection refused, handshake
  // failed: <reason>, timeout, malformed response ...). Transport errors are retried by the caller.
  virtual bool round_trip(const http::HttpRequest& req, http::HttpResponse& resp,
                          std::string& error) = 0;
};

}  // namespace vigil::uplink
