#include "control/channel/provider_client.h"

#include <array>
#include <cctype>

#include "control/channel/uplink_config.h"
#include "control/http/http_parser.h"
#include "control/http/http_writer.h"

namespace vigil::channel {

namespace {

using C = ProviderClientCounter;

constexpr std::string_view kCounterNames[] = {VIGIL_PROVIDER_CLIENT_COUNTERS(VIGIL_COUNTER_NAME)};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Sending it twice has the effect of sending it once (RFC 9110 9.2.2), or the provider drops
// the duplicate by its Idempotency-Key.
bool idempotent(const http::HttpRequest& req) {
  for (std::string_view m : {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}) {
    if (req.method == m) return true;
  }
  return !req.header("Idempotency-Key").empty();
}

}  // namespace

std::string_view provider_client_counter_name(ProviderClientCounter c) {
  return counter_name(kCounterNames, static_cast<std::size_t>(c), "uplink.client.unknown");
}

ProviderClientOptions provider_client_options(const UplinkConfig& config) {
  ProviderClientOptions o;
  o.tls.host = config.provider.host;
  o.tls.port = config.provider.port;
  o.tls.server_name = config.provider.server_name;
  o.tls.ca_file = config.provider.ca;
  o.tls.cert_file = config.provider.cert;
  o.tls.key_file = config.provider.key;
  o.tls.connect_timeout_ms = config.provider.connect_timeout_ms;
  o.tls.handshake_timeout_ms = config.provider.io_timeout_ms;
  o.tls.io_timeout_ms = config.provider.io_timeout_ms;
  return o;
}

std::unique_ptr<ProviderClient> ProviderClient::create(const ProviderClientOptions& options,
                                                       std::string& err) {
  if (options.tls.cert_file.empty() || options.tls.key_file.empty()) {
    err = "provider client: a device certificate and key are required";
    return nullptr;
  }
  std::unique_ptr<ProviderClient> c(new ProviderClient(options));
  c->tls_ = tls::TlsClient::create(options.tls, err);
  if (!c->tls_) return nullptr;
  return c;
}

ProviderClient::~ProviderClient() = default;

void ProviderClient::close() {
  conn_.reset();  // the destructor sends close_notify
  pending_.clear();
}

bool ProviderClient::connect(std::string& error) {
  counters_.add(C::connections);
  conn_ = tls_->connect(error);
  if (!conn_) {
    counters_.add(C::connect_failures);
    return false;
  }
  counters_.add(C::handshakes);
  if (conn_->resumed()) counters_.add(C::resumed_handshakes);
  pending_.clear();
  return true;
}

ProviderClient::Exchange ProviderClient::exchange(const std::string& wire, std::string_view method,
                                                  http::HttpResponse& resp, std::string& error) {
  const tls::IoStatus ws = conn_->write_all(wire, error);
  if (ws != tls::IoStatus::ok) {
    counters_.add(C::io_failures);
    // A closed or reset connection: nothing of a response can have arrived. A timeout is a
    // provider too slow to read, which a second attempt right away would not help.
    return ws == tls::IoStatus::timeout ? Exchange::failed : Exchange::nothing_received;
  }
  counters_.add(C::requests);
  counters_.add(C::bytes_sent, wire.size());

  http::ParserLimits limits;
  limits.max_body = options_.max_response_body;
  http::MessageParser parser(http::MessageKind::response, limits);
  tls::IoStatus rs = tls::IoStatus::ok;
  std::string read_error;
  const http::ReadFn read = [&](std::span<char> buf) -> long {
    std::size_t got = 0;
    rs = conn_->read_some(buf.data(), buf.size(), got, read_error);
    if (rs == tls::IoStatus::ok) {
      counters_.add(C::bytes_received, got);
      return static_cast<long>(got);
    }
    return rs == tls::IoStatus::closed ? 0 : -1;
  };
  // A peer sending interim responses forever must not hold the uploader forever.
  constexpr int kMaxInterimResponses = 8;
  for (int interim = 0;; ++interim) {
    if (interim > kMaxInterimResponses) {
      counters_.add(C::bad_responses);
      error = "malformed response from " + conn_->peer() + ": more than " +
              std::to_string(kMaxInterimResponses) + " interim (1xx) responses";
      return Exchange::failed;
    }
    parser.expect_response_to(method);
    const http::ParseStatus st = http::read_message(parser, pending_, read);
    if (st == http::ParseStatus::done) {
      const bool keep = parser.keep_alive();
      resp = parser.take_response();
      // 1xx answers are interim: the final response follows on the same connection.
      if (resp.status >= 100 && resp.status < 200) continue;
      counters_.add(C::responses);
      // Bytes after the response were never asked for: do not guess what they are.
      if (!keep || !pending_.empty()) close();
      return Exchange::ok;
    }
    if (st == http::ParseStatus::read_failed) {
      counters_.add(C::io_failures);
      error = read_error;
      return Exchange::failed;
    }
    if (st == http::ParseStatus::connection_closed) {
      counters_.add(C::io_failures);
      error = "connection to " + conn_->peer() + " closed by the provider before a response";
      return Exchange::nothing_received;
    }
    counters_.add(C::bad_responses);
    error = "malformed response from " + conn_->peer() + ": " + parser.error_message();
    return Exchange::failed;
  }
}

bool ProviderClient::round_trip(const http::HttpRequest& req, http::HttpResponse& resp,
                                std::string& error) {
  resp = http::HttpResponse{};
  http::HttpRequest framed = req;
  if (framed.header("Host").empty()) {
    std::string host =
        options_.tls.server_name.empty() ? options_.tls.host : options_.tls.server_name;
    if (options_.tls.port != 443) host += ":" + std::to_string(options_.tls.port);
    framed.headers.push_back({"Host", host});
  }
  // The transport owns the framing headers; a caller's Connection header must not close or
  // upgrade the connection behind its back.
  std::erase_if(framed.headers,
                [](const http::HttpHeader& h) { return iequals(h.name, "Connection"); });
  std::string wire;
  std::string werr;
  if (!http::write_request(framed, wire, &werr)) {
    error = "request not sent: " + werr;
    return false;
  }
  const bool may_retry = idempotent(req);
  for (int attempt = 0;; ++attempt) {
    if (conn_ && conn_->peer_may_have_closed()) {
      counters_.add(C::stale_connections);
      close();
    }
    const bool reused = conn_ != nullptr;
    if (!reused && !connect(error)) return false;
    const Exchange e = exchange(wire, req.method, resp, error);
    if (e == Exchange::ok) return true;
    close();
    resp = http::HttpResponse{};
    // Only a reused connection can have been closed by the provider while idle; a fresh one
    // failing is a real failure for the caller to back off from.
    if (!(reused && may_retry && e == Exchange::nothing_received) || attempt > 0) return false;
    counters_.add(C::retries);
  }
}

}  // namespace vigil::channel
