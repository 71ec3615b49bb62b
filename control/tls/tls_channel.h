// TLS 1.2 channel on mbedTLS 2.28 for the provider link: a client (the appliance) and a server
// (the reference provider), both with mutual authentication.
//
// Policy, fixed here so no caller can weaken it: TLS 1.2 only; ECDHE (ECDSA or RSA) with
// AES-128/256-GCM or ChaCha20-Poly1305 only; MBEDTLS_SSL_VERIFY_REQUIRED on both sides. The client
// trusts exactly one CA (the provider CA, pinned) and always verifies the server name
// (mbedtls_ssl_set_hostname; 2.28 does not check it otherwise). The server requires a client
// certificate chaining to its device CA. Randomness comes from one CTR-DRBG per thread (rng.h).
//
// Every network step is bounded: connect, handshake, each read and each write have timeouts.
// Errors are one line naming the step and the peer, with mbedTLS's text and, for certificate
// verification failures, the verification flags, e.g. "handshake with localhost:8443 failed:
// certificate verify failed: The certificate validity has expired".
//
// Thread-safety: TlsClient::connect and TlsServer::handshake may be called from many threads at
// once (shared read-only configuration; the server's session cache and the client's saved
// session are locked). A TlsConnection belongs to one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "control/tls/mbedtls_raii.h"
#include "control/tls/socket.h"

namespace vigil::tls {

// The permitted ciphersuites (mbedTLS ids), zero-terminated as mbedtls_ssl_conf_ciphersuites
// wants; the span excludes the terminator.
std::span<const int> allowed_ciphersuites();

struct ClientOptions {
  std::string host;             // where to connect (name or address)
  std::uint16_t port = 0;
  std::string server_name;      // name the server certificate must carry; empty = host
  std::string ca_file;          // PEM: the provider CA, the only trust anchor
  std::string cert_file;        // PEM: this device's certificate (subject CN = appliance id)
  std::string key_file;         // PEM: its private key. cert and key both empty = no client
                                // certificate, which servers refuse (only useful in tests)
  std::uint32_t connect_timeout_ms = 3000;
  std::uint32_t handshake_timeout_ms = 10000;
  std::uint32_t io_timeout_ms = 10000;  // each read (until some bytes arrive) and each write
  bool resume_sessions = true;          // offer the last session on the next connect
};

struct ServerOptions {
  std::string ca_file;    // PEM: device CA; client certificates must chain to it
  std::string cert_file;  // PEM: server certificate
  std::string key_file;   // PEM: its private key
  std::uint32_t handshake_timeout_ms = 10000;
  std::uint32_t io_timeout_ms = 30000;
  int session_cache_entries = 4096;     // resumable sessions kept (mbedtls_ssl_cache)
  int session_cache_timeout_s = 3600;
};

enum class IoStatus {
  ok,       // data moved
  closed,   // the peer closed the connection (close_notify, EOF or reset)
  timeout,  // nothing moved within the I/O timeout
  error,    // anything else; err says what
};

namespace detail {
struct ConfigBundle;
}

// One established TLS connection (handshake done). Owns its socket and mbedTLS context; the
// destructor sends close_notify (bounded) and closes the socket.
class TlsConnection {
 public:
  ~TlsConnection();
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  // Writes all of `data` within the I/O timeout.
  IoStatus write_all(std::string_view data, std::string& err);
  // Reads what is available (at least one byte, waiting up to the I/O timeout) into buf.
  IoStatus read_some(char* buf, std::size_t cap, std::size_t& got, std::string& err);
  // Without blocking: true when the peer has closed or sent something nobody asked for, so the
  // connection must not carry another request.
  bool peer_may_have_closed();
  // Sends close_notify (bounded by a short timeout) and closes the socket; idempotent.
  void close();

  bool resumed() const { return resumed_; }       // the handshake resumed an earlier session
  std::string peer_common_name() const;           // subject CN of the peer's certificate
  std::string ciphersuite() const;                // negotiated suite's name
  const std::string& peer() const { return peer_; }  // "host:port" for messages
  void set_io_timeout(std::chrono::milliseconds t) { io_timeout_ = t; }
  bool is_open() const { return open_; }

 private:
  friend class TlsClient;
  friend class TlsServer;
  TlsConnection(std::shared_ptr<const detail::ConfigBundle> config, Socket sock, std::string peer,
                std::chrono::milliseconds io_timeout);
  bool setup(std::string& err);
  bool handshake(std::chrono::milliseconds timeout, std::string& err);
  IoStatus wait_for_tls(int want, Clock::time_point deadline, const char* what, std::string& err);
  // After a failed server handshake: shutdown(SHUT_WR), read until the peer closes or `limit`.
  void linger_close(std::chrono::milliseconds limit);
  static int bio_send(void* self, const unsigned char* buf, std::size_t len);
  static int bio_recv(void* self, unsigned char* buf, std::size_t len);

  std::shared_ptr<const detail::ConfigBundle> config_;  // outlives ssl_, which points into it
  Socket sock_;
  SslContext ssl_;
  std::string peer_;
  std::chrono::milliseconds io_timeout_;
  bool open_ = false;
  bool resumed_ = false;
};

class TlsClient {
 public:
  // Loads the CA, certificate and key and builds the configuration. nullptr + err on failure
  // ("cannot load CA certificate 'x': ...", "key 'k' does not match certificate 'c'").
  static std::unique_ptr<TlsClient> create(const ClientOptions& options, std::string& err);
  ~TlsClient();

  // TCP connect + handshake, offering the saved session (resumption) when there is one; on
  // success saves the new session for the next connect. nullptr + err on failure.
  std::unique_ptr<TlsConnection> connect(std::string& err);
  void forget_session();
  bool has_session();  // a session is saved for resumption
  const ClientOptions& options() const { return options_; }

  // The mbedTLS configuration, for tests that must misbehave (offer a forbidden ciphersuite).
  // Changing it while connections exist is undefined.
  mbedtls_ssl_config* raw_config_for_tests();

 private:
  TlsClient() = default;
  ClientOptions options_;
  std::shared_ptr<detail::ConfigBundle> config_;
  std::mutex session_mutex_;
  SslSession session_;
  bool have_session_ = false;
};

class TlsServer {
 public:
  static std::unique_ptr<TlsServer> create(const ServerOptions& options, std::string& err);
  ~TlsServer();

  // Runs the server handshake on an accepted socket within the handshake timeout. `peer` names
  // the client in messages. nullptr + err on failure. Thread-safe.
  std::unique_ptr<TlsConnection> handshake(Socket sock, const std::string& peer,
                                           std::string& err) const;
  const ServerOptions& options() const { return options_; }

 private:
  TlsServer() = default;
  ServerOptions options_;
  std::shared_ptr<detail::ConfigBundle> config_;
};

}  // namespace vigil::tls
