#include "control/tls/tls_channel.h"

#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "control/tls/rng.h"
#include "control/tls/tls_error.h"

// The server shares one session cache between threads; it only locks itself when mbedTLS is
// built thread-aware (Debian's is).
#if !defined(MBEDTLS_THREADING_C)
#error "mbedTLS must be built with MBEDTLS_THREADING_C"
#endif

namespace vigil::tls {

namespace detail {

// Everything a mbedtls_ssl_config points at, kept together so connections can hold it alive.
struct ConfigBundle {
  X509Crt ca;
  X509Crt cert;
  PkContext key;
  SslCache cache;
  SslConfig conf;
  bool is_server = false;
};

}  // namespace detail

namespace {

using std::chrono::milliseconds;

constexpr int kCiphersuites[] = {
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    0,
};

// How long close() waits to hand close_notify to the kernel.
constexpr milliseconds kCloseNotifyTimeout{250};

bool load_ca(mbedtls_x509_crt* crt, const std::string& path, const char* what, std::string& err) {
  if (path.empty()) {
    err = std::string("no ") + what + " file configured";
    return false;
  }
  const int rc = mbedtls_x509_crt_parse_file(crt, path.c_str());
  if (rc != 0) {
    err = std::string("cannot load ") + what + " '" + path + "': " + mbedtls_error_text(rc);
    return false;
  }
  return true;
}

bool load_cert_and_key(detail::ConfigBundle& b, const std::string& cert_path,
                       const std::string& key_path, std::string& err) {
  if (!load_ca(b.cert.get(), cert_path, "certificate", err)) return false;
  if (key_path.empty()) {
    err = "no private key file configured for certificate '" + cert_path + "'";
    return false;
  }
  int rc = mbedtls_pk_parse_keyfile(b.key.get(), key_path.c_str(), nullptr);
  if (rc != 0) {
    err = "cannot load private key '" + key_path + "': " + mbedtls_error_text(rc);
    return false;
  }
  rc = mbedtls_pk_check_pair(&b.cert->pk, b.key.get());
  if (rc != 0) {
    err = "private key '" + key_path + "' does not match certificate '" + cert_path + "'";
    return false;
  }
  rc = mbedtls_ssl_conf_own_cert(b.conf.get(), b.cert.get(), b.key.get());
  if (rc != 0) {
    err = "cannot use certificate '" + cert_path + "': " + mbedtls_error_text(rc);
    return false;
  }
  return true;
}

// The policy shared by both ends (see the header).
bool apply_policy(detail::ConfigBundle& b, int endpoint, std::string& err) {
  const int rc = mbedtls_ssl_config_defaults(b.conf.get(), endpoint, MBEDTLS_SSL_TRANSPORT_STREAM,
                                             MBEDTLS_SSL_PRESET_DEFAULT);
  if (rc != 0) {
    err = "TLS configuration failed: " + mbedtls_error_text(rc);
    return false;
  }
  mbedtls_ssl_conf_rng(b.conf.get(), thread_random, nullptr);
  mbedtls_ssl_conf_authmode(b.conf.get(), MBEDTLS_SSL_VERIFY_REQUIRED);
  mbedtls_ssl_conf_min_version(b.conf.get(), MBEDTLS_SSL_MAJOR_VERSION_3,
                               MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_max_version(b.conf.get(), MBEDTLS_SSL_MAJOR_VERSION_3,
                               MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_ciphersuites(b.conf.get(), kCiphersuites);
  mbedtls_ssl_conf_renegotiation(b.conf.get(), MBEDTLS_SSL_RENEGOTIATION_DISABLED);
  mbedtls_ssl_conf_ca_chain(b.conf.get(), b.ca.get(), nullptr);
  return true;
}

std::string handshake_failure(const mbedtls_ssl_context* ssl, int rc) {
  const std::uint32_t flags = mbedtls_ssl_get_verify_result(ssl);
  const bool have_flags = flags != 0 && flags != static_cast<std::uint32_t>(-1);
  if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
    return "certificate verify failed: " +
           (have_flags ? verify_flags_text(flags) : "unknown reason");
  }
  std::string text = mbedtls_error_text(rc);
  if (have_flags) text += " (certificate: " + verify_flags_text(flags) + ")";
  return text;
}

}  // namespace

std::span<const int> allowed_ciphersuites() {
  return std::span<const int>(kCiphersuites, std::size(kCiphersuites) - 1);
}

// ---------------------------------------------------------------------------------------------
// TlsConnection

TlsConnection::TlsConnection(std::shared_ptr<const detail::ConfigBundle> config, Socket sock,
                             std::string peer, milliseconds io_timeout)
    : config_(std::move(config)),
      sock_(std::move(sock)),
      peer_(std::move(peer)),
      io_timeout_(io_timeout) {}

TlsConnection::~TlsConnection() { close(); }

int TlsConnection::bio_send(void* self, const unsigned char* buf, std::size_t len) {
  const int fd = static_cast<TlsConnection*>(self)->sock_.fd();
  for (;;) {
    const ssize_t n = ::send(fd, buf, len, MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return MBEDTLS_ERR_SSL_WANT_WRITE;
    if (errno == EPIPE || errno == ECONNRESET) return MBEDTLS_ERR_NET_CONN_RESET;
    return MBEDTLS_ERR_NET_SEND_FAILED;
  }
}

int TlsConnection::bio_recv(void* self, unsigned char* buf, std::size_t len) {
  const int fd = static_cast<TlsConnection*>(self)->sock_.fd();
  for (;;) {
    const ssize_t n = ::recv(fd, buf, len, 0);
    if (n >= 0) return static_cast<int>(n);  // 0 = EOF, which mbedTLS reports as CONN_EOF
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return MBEDTLS_ERR_SSL_WANT_READ;
    if (errno == ECONNRESET) return MBEDTLS_ERR_NET_CONN_RESET;
    return MBEDTLS_ERR_NET_RECV_FAILED;
  }
}

bool TlsConnection::setup(std::string& err) {
  const int rc = mbedtls_ssl_setup(ssl_.get(), config_->conf.get());
  if (rc != 0) {
    err = "TLS setup for " + peer_ + " failed: " + mbedtls_error_text(rc);
    return false;
  }
  mbedtls_ssl_set_bio(ssl_.get(), this, bio_send, bio_recv, nullptr);
  return true;
}

bool TlsConnection::handshake(milliseconds timeout, std::string& err) {
  const auto deadline = Clock::now() + timeout;
  // A full handshake passes through the server-certificate state on both ends; a resumed one
  // goes from ServerHello straight to ChangeCipherSpec. mbedTLS 2.28 has no accessor for this.
  bool full = false;
  while (ssl_->state != MBEDTLS_SSL_HANDSHAKE_OVER) {
    if (ssl_->state == MBEDTLS_SSL_SERVER_CERTIFICATE) full = true;
    const int rc = mbedtls_ssl_handshake_step(ssl_.get());
    if (rc == 0) continue;
    if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
      std::string werr;
      const WaitStatus w =
          wait_fd(sock_.fd(), rc == MBEDTLS_ERR_SSL_WANT_READ ? POLLIN : POLLOUT, deadline, werr);
      if (w == WaitStatus::ready) continue;
      err = "handshake with " + peer_ + " failed: " +
            (w == WaitStatus::timeout ? "timed out after " + std::to_string(timeout.count()) + " ms"
                                      : werr);
      return false;
    }
    err = "handshake with " + peer_ + " failed: " + handshake_failure(ssl_.get(), rc);
    return false;
  }
  resumed_ = !full;
  open_ = true;
  return true;
}

IoStatus TlsConnection::write_all(std::string_view data, std::string& err) {
  if (!open_) {
    err = "write to " + peer_ + " failed: connection is closed";
    return IoStatus::error;
  }
  const auto deadline = Clock::now() + io_timeout_;
  std::size_t done = 0;
  while (done < data.size()) {
    const int rc = mbedtls_ssl_write(
        ssl_.get(), reinterpret_cast<const unsigned char*>(data.data()) + done, data.size() - done);
    if (rc > 0) {
      done += static_cast<std::size_t>(rc);
      continue;
    }
    if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
      const IoStatus w = wait_for_tls(rc, deadline, "write to ", err);
      if (w == IoStatus::ok) continue;
      return w;
    }
    err = "write to " + peer_ + " failed: " + mbedtls_error_text(rc);
    open_ = false;
    return rc == MBEDTLS_ERR_NET_CONN_RESET ? IoStatus::closed : IoStatus::error;
  }
  return IoStatus::ok;
}

// mbedTLS asked for the socket to become readable or writable (`want`): waits for it until the
// deadline. ok when it did; otherwise err says "<what><peer> failed: ...".
IoStatus TlsConnection::wait_for_tls(int want, Clock::time_point deadline, const char* what,
                                     std::string& err) {
  std::string werr;
  const WaitStatus w =
      wait_fd(sock_.fd(), want == MBEDTLS_ERR_SSL_WANT_READ ? POLLIN : POLLOUT, deadline, werr);
  if (w == WaitStatus::ready) return IoStatus::ok;
  if (w == WaitStatus::timeout) {
    err = what + peer_ + " failed: timed out after " + std::to_string(io_timeout_.count()) + " ms";
    return IoStatus::timeout;
  }
  err = what + peer_ + " failed: " + werr;
  return IoStatus::error;
}

IoStatus TlsConnection::read_some(char* buf, std::size_t cap, std::size_t& got, std::string& err) {
  got = 0;
  if (!open_) {
    err = "read from " + peer_ + " failed: connection is closed";
    return IoStatus::error;
  }
  if (cap == 0) return IoStatus::ok;
  const auto deadline = Clock::now() + io_timeout_;
  for (;;) {
    const int rc = mbedtls_ssl_read(ssl_.get(), reinterpret_cast<unsigned char*>(buf), cap);
    if (rc > 0) {
      got = static_cast<std::size_t>(rc);
      return IoStatus::ok;
    }
    if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
      const IoStatus w = wait_for_tls(rc, deadline, "read from ", err);
      if (w == IoStatus::ok) continue;
      return w;
    }
    open_ = false;
    if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || rc == MBEDTLS_ERR_SSL_CONN_EOF ||
        rc == MBEDTLS_ERR_NET_CONN_RESET) {
      err = "read from " + peer_ + " failed: connection closed by peer";
      return IoStatus::closed;
    }
    err = "read from " + peer_ + " failed: " + mbedtls_error_text(rc);
    return IoStatus::error;
  }
}

bool TlsConnection::peer_may_have_closed() {
  if (!open_) return true;
  if (mbedtls_ssl_get_bytes_avail(ssl_.get()) > 0) return true;
  pollfd p{sock_.fd(), POLLIN, 0};
  int rc;
  do {
    rc = ::poll(&p, 1, 0);
  } while (rc < 0 && errno == EINTR);
  return rc != 0;  // readable (data or EOF), hung up, or poll failed
}

void TlsConnection::close() {
  if (open_) {
    open_ = false;
    const auto deadline = Clock::now() + kCloseNotifyTimeout;
    for (;;) {
      const int rc = mbedtls_ssl_close_notify(ssl_.get());
      if (rc != MBEDTLS_ERR_SSL_WANT_WRITE && rc != MBEDTLS_ERR_SSL_WANT_READ) break;
      std::string werr;
      if (wait_fd(sock_.fd(), POLLOUT, deadline, werr) != WaitStatus::ready) break;
    }
  }
  sock_.reset();
}

std::string TlsConnection::peer_common_name() const {
  const mbedtls_x509_crt* crt = mbedtls_ssl_get_peer_cert(ssl_.get());
  if (crt == nullptr) return {};
  for (const mbedtls_x509_name* n = &crt->subject; n != nullptr; n = n->next) {
    if (n->oid.p != nullptr && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
      return std::string(reinterpret_cast<const char*>(n->val.p), n->val.len);
    }
  }
  return {};
}

std::string TlsConnection::ciphersuite() const {
  const char* name = mbedtls_ssl_get_ciphersuite(ssl_.get());
  return name ? name : "";
}

// ---------------------------------------------------------------------------------------------
// TlsClient

TlsClient::~TlsClient() = default;

std::unique_ptr<TlsClient> TlsClient::create(const ClientOptions& options, std::string& err) {
  if (options.host.empty() || options.port == 0) {
    err = "TLS client: host and port are required";
    return nullptr;
  }
  auto bundle = std::make_shared<detail::ConfigBundle>();
  if (!apply_policy(*bundle, MBEDTLS_SSL_IS_CLIENT, err)) return nullptr;
  if (!load_ca(bundle->ca.get(), options.ca_file, "CA certificate", err)) return nullptr;
  if (!options.cert_file.empty() || !options.key_file.empty()) {
    if (!load_cert_and_key(*bundle, options.cert_file, options.key_file, err)) return nullptr;
  }
  auto client = std::unique_ptr<TlsClient>(new TlsClient());
  client->options_ = options;
  if (client->options_.server_name.empty()) client->options_.server_name = options.host;
  client->config_ = std::move(bundle);
  return client;
}

std::unique_ptr<TlsConnection> TlsClient::connect(std::string& err) {
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  Socket sock =
      connect_tcp(options_.host, options_.port, milliseconds(options_.connect_timeout_ms), err);
  if (!sock.valid()) return nullptr;
  std::unique_ptr<TlsConnection> c(
      new TlsConnection(config_, std::move(sock), where, milliseconds(options_.io_timeout_ms)));
  if (!c->setup(err)) return nullptr;
  // Always set: it is both the SNI and the name the certificate is verified against.
  int rc = mbedtls_ssl_set_hostname(c->ssl_.get(), options_.server_name.c_str());
  if (rc != 0) {
    err = "TLS setup for " + where + " failed: server name '" + options_.server_name +
          "': " + mbedtls_error_text(rc);
    return nullptr;
  }
  if (options_.resume_sessions) {
    std::lock_guard<std::mutex> lock(session_mutex_);
    // A session the server no longer knows just leads to a full handshake.
    if (have_session_) (void)mbedtls_ssl_set_session(c->ssl_.get(), session_.get());
  }
  if (!c->handshake(milliseconds(options_.handshake_timeout_ms), err)) {
    forget_session();
    return nullptr;
  }
  if (options_.resume_sessions) {
    std::lock_guard<std::mutex> lock(session_mutex_);
    have_session_ = mbedtls_ssl_get_session(c->ssl_.get(), session_.get()) == 0;
  }
  return c;
}

void TlsClient::forget_session() {
  std::lock_guard<std::mutex> lock(session_mutex_);
  mbedtls_ssl_session_free(session_.get());
  mbedtls_ssl_session_init(session_.get());
  have_session_ = false;
}

bool TlsClient::has_session() {
  std::lock_guard<std::mutex> lock(session_mutex_);
  return have_session_;
}

mbedtls_ssl_config* TlsClient::raw_config_for_tests() { return config_->conf.get(); }

// ---------------------------------------------------------------------------------------------
// TlsServer

TlsServer::~TlsServer() = default;

std::unique_ptr<TlsServer> TlsServer::create(const ServerOptions& options, std::string& err) {
  auto bundle = std::make_shared<detail::ConfigBundle>();
  bundle->is_server = true;
  if (!apply_policy(*bundle, MBEDTLS_SSL_IS_SERVER, err)) return nullptr;
  if (!load_ca(bundle->ca.get(), options.ca_file, "device CA certificate", err)) return nullptr;
  if (!load_cert_and_key(*bundle, options.cert_file, options.key_file, err)) return nullptr;
  // mbedtls_ssl_cache locks itself: Debian builds mbedTLS with MBEDTLS_THREADING_C (pthread).
  mbedtls_ssl_cache_set_max_entries(bundle->cache.get(), options.session_cache_entries);
  mbedtls_ssl_cache_set_timeout(bundle->cache.get(), options.session_cache_timeout_s);
  mbedtls_ssl_conf_session_cache(bundle->conf.get(), bundle->cache.get(), mbedtls_ssl_cache_get,
                                 mbedtls_ssl_cache_set);
  auto server = std::unique_ptr<TlsServer>(new TlsServer());
  server->options_ = options;
  server->config_ = std::move(bundle);
  return server;
}

std::unique_ptr<TlsConnection> TlsServer::handshake(Socket sock, const std::string& peer,
                                                    std::string& err) const {
  std::unique_ptr<TlsConnection> c(
      new TlsConnection(config_, std::move(sock), peer, milliseconds(options_.io_timeout_ms)));
  if (!c->setup(err)) return nullptr;
  if (!c->handshake(milliseconds(options_.handshake_timeout_ms), err)) {
    // mbedTLS has sent its alert (bad certificate, unknown CA, ...). Closing with the client's
    // bytes unread would reset the connection and the client could lose the alert: stop
    // sending, read what is left for a moment, then close, so the client learns why.
    c->linger_close(milliseconds(200));
    return nullptr;
  }
  return c;
}

void TlsConnection::linger_close(milliseconds limit) {
  open_ = false;
  if (!sock_.valid()) return;
  ::shutdown(sock_.fd(), SHUT_WR);
  const auto deadline = Clock::now() + limit;
  char buf[4096];
  for (;;) {
    std::string werr;
    if (wait_fd(sock_.fd(), POLLIN, deadline, werr) != WaitStatus::ready) break;
    const ssize_t n = ::recv(sock_.fd(), buf, sizeof buf, 0);
    if (n <= 0) break;  // the client closed too (or failed): done
  }
  sock_.reset();
}

}  // namespace vigil::tls
