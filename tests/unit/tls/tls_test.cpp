// TLS channel: a good mutual handshake, resumption, every refusal the issue lists (with its
// error text), and bounded timeouts. Loopback only; each test makes its own PKI.
#include <CppUTest/TestHarness.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "control/pki/pki.h"
#include "control/tls/tls_channel.h"
#include "tests/unit/tls/tls_test_util.h"

using namespace vigil;
using namespace std::chrono_literals;
using test::TestPki;
using test::TestTlsServer;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Expects the client's connect to fail and its error to contain `part`.
void expect_connect_fails(const tls::ClientOptions& o, const std::string& part) {
  std::string err;
  auto client = tls::TlsClient::create(o, err);
  CHECK_TEXT(client != nullptr, err.c_str());
  auto conn = client->connect(err);
  CHECK(conn == nullptr);
  CHECK_TEXT(contains(err, part), err.c_str());
}

std::string roundtrip(tls::TlsConnection& c, const std::string& msg) {
  std::string err;
  if (c.write_all(msg, err) != tls::IoStatus::ok) return "write: " + err;
  std::string got;
  while (got.size() < msg.size()) {
    char buf[256];
    std::size_t n = 0;
    if (c.read_some(buf, sizeof buf, n, err) != tls::IoStatus::ok) return "read: " + err;
    got.append(buf, n);
  }
  return got;
}

}  // namespace

TEST_GROUP(TlsChannel) {};

TEST(TlsChannel, MutualHandshakeAndEcho) {
  TestPki pki;
  CHECK_TEXT(pki.ok, pki.err.c_str());
  TestTlsServer server(pki.server_options(), test::echo_handler);
  CHECK_TEXT(server.ok(), server.error().c_str());

  std::string err;
  auto client = tls::TlsClient::create(pki.client_options(server.port()), err);
  CHECK_TEXT(client != nullptr, err.c_str());
  auto conn = client->connect(err);
  CHECK_TEXT(conn != nullptr, err.c_str());
  CHECK_FALSE(conn->resumed());
  STRCMP_EQUAL("provider.vigil.test", conn->peer_common_name().c_str());
  const std::string suite = conn->ciphersuite();
  CHECK_TEXT(contains(suite, "ECDHE") && (contains(suite, "GCM") || contains(suite, "CHACHA")),
             suite.c_str());
  STRCMP_EQUAL("hello over mutual TLS", roundtrip(*conn, "hello over mutual TLS").c_str());
  const std::string big(100000, 'x');
  CHECK(roundtrip(*conn, big) == big);

  auto out = server.wait_outcomes(1);
  LONGS_EQUAL(1, out.size());
  CHECK(out[0].ok);
  STRCMP_EQUAL("dev-1", out[0].peer_cn.c_str());
}

TEST(TlsChannel, AllowedSuitesAreEcdheAeadOnly) {
  for (const int id : tls::allowed_ciphersuites()) {
    const std::string name = mbedtls_ssl_get_ciphersuite_name(id);
    CHECK_TEXT(name.rfind("TLS-ECDHE-", 0) == 0, name.c_str());
    CHECK_TEXT(contains(name, "-GCM-") || contains(name, "CHACHA20-POLY1305"), name.c_str());
  }
  LONGS_EQUAL(6, tls::allowed_ciphersuites().size());
}

TEST(TlsChannel, SecondConnectionResumesSession) {
  TestPki pki;
  CHECK_TEXT(pki.ok, pki.err.c_str());
  TestTlsServer server(pki.server_options(), test::echo_handler);
  CHECK_TEXT(server.ok(), server.error().c_str());
  std::string err;
  auto client = tls::TlsClient::create(pki.client_options(server.port()), err);
  CHECK_TEXT(client != nullptr, err.c_str());

  auto first = client->connect(err);
  CHECK_TEXT(first != nullptr, err.c_str());
  CHECK_FALSE(first->resumed());
  CHECK(client->has_session());
  first->close();
  // The server files the session in its cache after sending its Finished, which can be after
  // the client is done: wait for it so the second ClientHello finds it.
  server.wait_outcomes(1);
  auto second = client->connect(err);
  CHECK_TEXT(second != nullptr, err.c_str());
  CHECK(second->resumed());
  STRCMP_EQUAL("ping", roundtrip(*second, "ping").c_str());

  auto out = server.wait_outcomes(2);
  LONGS_EQUAL(2, out.size());
  CHECK_FALSE(out[0].resumed);
  CHECK(out[1].resumed);
  // The appliance id survives resumption (the cache keeps the peer certificate).
  STRCMP_EQUAL("dev-1", out[1].peer_cn.c_str());

  client->forget_session();
  auto third = client->connect(err);
  CHECK_TEXT(third != nullptr, err.c_str());
  CHECK_FALSE(third->resumed());
}

TEST(TlsChannel, ManyClientsAtOnce) {
  TestPki pki;
  CHECK_TEXT(pki.ok, pki.err.c_str());
  TestTlsServer server(pki.server_options(), test::echo_handler);
  CHECK_TEXT(server.ok(), server.error().c_str());
  constexpr int kClients = 8;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      std::string err;
      auto client = tls::TlsClient::create(pki.client_options(server.port()), err);
      if (!client) return;
      for (int round = 0; round < 2; ++round) {
        auto conn = client->connect(err);
        const std::string msg = "client " + std::to_string(i) + " round " + std::to_string(round);
        if (conn && roundtrip(*conn, msg) == msg) ++good;
      }
    });
  }
  for (auto& t : threads) t.join();
  LONGS_EQUAL(2 * kClients, good.load());
}

TEST(TlsChannel, ClientRefusesUnknownCa) {
  TestPki pki;
  TestPki other;
  CHECK_TEXT(pki.ok && other.ok, (pki.err + other.err).c_str());
  TestTlsServer server(pki.server_options(), test::echo_handler);
  CHECK_TEXT(server.ok(), server.error().c_str());
  auto o = pki.client_options(server.port());
  o.ca_file = pki::ca_paths(other.dir).cert;
  expect_connect_fails(o, "handshake with 127.0.0.1:" + std::to_string(server.port()) +
                              " failed: certificate verify failed: The certificate is not "
                              "correctly signed by the trusted CA");
}

TEST(TlsChannel, ClientRefusesExpiredServerCertificate) {
  TestPki pki;
  CHECK_TEXT(pki.ok, pki.err.c_str());
  const auto now = std::chrono::system_clock::now();
  std::string err;
  CHECK_TEXT(pki::make_server_cert(pki.dir, "provider.vigil.test", {"provider.vigil.test"},
                                   {now - 48h, now - 24h}, err),
             err.c_str());
  TestTlsServer server(pki.server_options(), test::echo_handler);
  CHECK_TEXT(server.ok(), server.error().c_str());
  expect_connect_fails(pki.client_options(server.port()),
                       "certificate verify failed: The certificate validity has expired");
}

TEST(TlsChannel, ClientRefusesNotYetValidServerCertificate) {
  TestPki pki;
  CHECK_TEXT(pki.ok, pki.err.c_str());
  const auto now = std::chrono::system_clock::now();
  std::string err;
  CHECK_TEXT(pki::make_server_cert(pki.dir, "provider.vigil.test", {"provider.vigil.test"},
                                   {now + 24h, now + 48h}, err),
             err.c_str());
  TestTlsServer server(pki.server_options(), test::echo_handler);
  CHECK_TEXT(server.ok(), server.error().c_str());
  expect_connect_fails(pki.client_options(server.port()),
                       "certificate verify failed: The certificate validity starts in the future");
}

TEST(TlsChannel, ClientRefusesWrongHostname) {
  TestPki pki;
  CHECK_TEXT(pki.ok, pki.err.c_str());
  TestTlsServer server(pki.server_options(), test::echo_handler);
  CHECK_TEXT(server.ok(), server.error().c_str());
  auto o = pki.client_options(server.port());
  o.server_name = "other.vigil.test";
  expect_connect_fails(o, "certificate verify failed: The certificate Common Name (CN) does not "
                          "match with the expected CN");
  // Without a server name, the host is the name checked: 127.0.0.1 is not in the certificate.
  o.server_name.clear();
  expect_connect_fails(o, "does not match with the expected CN");
}

TEST(TlsChannel, ServerRefusesClientWithoutCertificate) {
  TestPki pki;
  CHECK_TEXT(pki.ok, pki.err.c_str());
  TestTlsServer server(pki.server_options(), test::echo_handler);
  CHECK_TEXT(server.ok(), server.error().c_str());
  auto o = pki.client_options(server.port());
  o.cert_file.clear();
  o.key_file.clear();
  expect_connect_fails(o, "handshake with 127.0.0.1:");
  auto out = server.wait_outcomes(1);
  LONGS_EQUAL(1, out.size());
  CHECK_FALSE(out[0].ok);
  CHECK_TEXT(contains(out[0].error, "No client certification received from the client"),
             out[0].error.c_str());
}

TEST(TlsChannel, ServerRefusesDeviceOfAnotherCa) {
  TestPki pki;
  TestPki foreign;
  CHECK_TEXT(pki.ok && foreign.ok, (pki.err + foreign.err).c_str());
  TestTlsServer server(pki.server_options(), test::echo_handler);
  CHECK_TEXT(server.ok(), server.error().c_str());
  auto o = pki.client_options(server.port());
  o.cert_file = pki::device_paths(foreign.dir, "dev-1").cert;
  o.key_file = pki::device_paths(foreign.dir, "dev-1").key;
  expect_connect_fails(o, "handshake with 127.0.0.1:");
  auto out = server.wait_outcomes(1);
  LONGS_EQUAL(1, out.size());
  CHECK_FALSE(out[0].ok);
  CHECK_TEXT(contains(out[0].error, "certificate verify failed: The certificate is not correctly "
                                    "signed by the trusted CA"),
             out[0].error.c_str());
}

TEST(TlsChannel, ServerRefusesForbiddenCiphersuite) {
  TestPki pki;
  CHECK_TEXT(pki.ok, pki.err.c_str());
  TestTlsServer server(pki.server_options(), test::echo_handler);
  CHECK_TEXT(server.ok(), server.error().c_str());
  std::string err;
  auto client = tls::TlsClient::create(pki.client_options(server.port()), err);
  CHECK_TEXT(client != nullptr, err.c_str());
  // CBC with HMAC: a suite the policy excludes; the client offers nothing else.
  static const int kCbcOnly[] = {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, 0};
  mbedtls_ssl_conf_ciphersuites(client->raw_config_for_tests(), kCbcOnly);
  auto conn = client->connect(err);
  CHECK(conn == nullptr);
  auto out = server.wait_outcomes(1);
  LONGS_EQUAL(1, out.size());
  CHECK_FALSE(out[0].ok);
  CHECK_TEXT(contains(out[0].error, "no ciphersuites in common"), out[0].error.c_str());
}

TEST(TlsChannel, ConnectRefusedNamesTheStep) {
  tls::TcpListener l;
  std::string err;
  CHECK_TEXT(l.open("127.0.0.1", 0, 1, err), err.c_str());
  const std::uint16_t port = l.port();
  l.close();  // nothing listens there any more
  tls::Socket s = tls::connect_tcp("127.0.0.1", port, 1000ms, err);
  CHECK_FALSE(s.valid());
  CHECK_TEXT(contains(err, "connect to 127.0.0.1:" + std::to_string(port) +
                               " failed: Connection refused"),
             err.c_str());
}

TEST(TlsChannel, HandshakeTimesOutAgainstSilentPeer) {
  TestPki pki;
  CHECK_TEXT(pki.ok, pki.err.c_str());
  // Listens (the kernel completes the TCP handshake) but never accepts nor answers.
  tls::TcpListener silent;
  std::string err;
  CHECK_TEXT(silent.open("127.0.0.1", 0, 4, err), err.c_str());
  auto o = pki.client_options(silent.port());
  o.handshake_timeout_ms = 300;
  auto client = tls::TlsClient::create(o, err);
  CHECK_TEXT(client != nullptr, err.c_str());
  const auto t0 = std::chrono::steady_clock::now();
  auto conn = client->connect(err);
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(conn == nullptr);
  CHECK_TEXT(contains(err, "handshake with 127.0.0.1:" + std::to_string(silent.port()) +
                               " failed: timed out after 300 ms"),
             err.c_str());
  CHECK(took >= 250ms && took < 2s);
}

TEST(TlsChannel, ServerHandshakeTimesOutAgainstSilentClient) {
  TestPki pki;
  CHECK_TEXT(pki.ok, pki.err.c_str());
  auto so = pki.server_options();
  so.handshake_timeout_ms = 200;
  TestTlsServer server(so, test::echo_handler);
  CHECK_TEXT(server.ok(), server.error().c_str());
  std::string err;
  tls::Socket s = tls::connect_tcp("127.0.0.1", server.port(), 1000ms, err);
  CHECK_TEXT(s.valid(), err.c_str());
  auto out = server.wait_outcomes(1, 3000ms);
  LONGS_EQUAL(1, out.size());
  CHECK_TEXT(contains(out[0].error, "timed out after 200 ms"), out[0].error.c_str());
}

TEST(TlsChannel, ReadTimesOut) {
  TestPki pki;
  CHECK_TEXT(pki.ok, pki.err.c_str());
  // Handshakes, then stays silent until the client goes away.
  TestTlsServer server(pki.server_options(), [](tls::TlsConnection& c) {
    char b[16];
    std::size_t n;
    std::string e;
    (void)c.read_some(b, sizeof b, n, e);
  });
  CHECK_TEXT(server.ok(), server.error().c_str());
  auto o = pki.client_options(server.port());
  o.io_timeout_ms = 200;
  std::string err;
  auto client = tls::TlsClient::create(o, err);
  auto conn = client->connect(err);
  CHECK_TEXT(conn != nullptr, err.c_str());
  char buf[16];
  std::size_t n = 0;
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(conn->read_some(buf, sizeof buf, n, err) == tls::IoStatus::timeout);
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK_TEXT(contains(err, "read from 127.0.0.1:" + std::to_string(server.port()) +
                               " failed: timed out after 200 ms"),
             err.c_str());
  CHECK(took >= 150ms && took < 2s);
}

TEST(TlsChannel, WriteTimesOutWhenPeerDoesNotRead) {
  TestPki pki;
  CHECK_TEXT(pki.ok, pki.err.c_str());
  std::atomic<bool> release{false};
  TestTlsServer server(pki.server_options(), [&](tls::TlsConnection&) {
    for (int i = 0; i < 300 && !release; ++i) std::this_thread::sleep_for(10ms);
  });
  CHECK_TEXT(server.ok(), server.error().c_str());
  auto o = pki.client_options(server.port());
  o.io_timeout_ms = 200;
  std::string err;
  auto client = tls::TlsClient::create(o, err);
  auto conn = client->connect(err);
  CHECK_TEXT(conn != nullptr, err.c_str());
  // Far more than the loopback socket buffers hold.
  const std::string big(64 * 1024 * 1024, 'w');
  const auto t0 = std::chrono::steady_clock::now();
  const tls::IoStatus st = conn->write_all(big, err);
  const auto took = std::chrono::steady_clock::now() - t0;
  release = true;
  CHECK(st == tls::IoStatus::timeout);
  CHECK_TEXT(contains(err, "write to 127.0.0.1:" + std::to_string(server.port()) +
                               " failed: timed out after 200 ms"),
             err.c_str());
  CHECK(took < 3s);
}

TEST(TlsChannel, ConnectTimesOutWhenBacklogIsFull) {
  // A listener that never accepts, with its accept queue full: Linux drops further SYNs, so the
  // next connect stays pending until our timeout.
  tls::TcpListener l;
  std::string err;
  CHECK_TEXT(l.open("127.0.0.1", 0, 0, err), err.c_str());
  std::vector<tls::Socket> fillers;
  bool timed_out = false;
  for (int i = 0; i < 8 && !timed_out; ++i) {
    tls::Socket s = tls::connect_tcp("127.0.0.1", l.port(), 200ms, err);
    if (s.valid()) {
      fillers.push_back(std::move(s));
      continue;
    }
    timed_out = true;
    CHECK_TEXT(contains(err, "connect to 127.0.0.1:" + std::to_string(l.port()) +
                                 " failed: timed out after 200 ms"),
               err.c_str());
  }
  CHECK_TEXT(timed_out, "every connect succeeded");
}

TEST(TlsChannel, PeerCloseIsReportedAndDetected) {
  TestPki pki;
  CHECK_TEXT(pki.ok, pki.err.c_str());
  TestTlsServer server(pki.server_options(), [](tls::TlsConnection& c) { c.close(); });
  CHECK_TEXT(server.ok(), server.error().c_str());
  std::string err;
  auto client = tls::TlsClient::create(pki.client_options(server.port()), err);
  auto conn = client->connect(err);
  CHECK_TEXT(conn != nullptr, err.c_str());
  server.wait_outcomes(1);
  // Bounded wait for the close_notify to arrive.
  for (int i = 0; i < 200 && !conn->peer_may_have_closed(); ++i) std::this_thread::sleep_for(5ms);
  CHECK(conn->peer_may_have_closed());
  char buf[16];
  std::size_t n = 0;
  CHECK(conn->read_some(buf, sizeof buf, n, err) == tls::IoStatus::closed);
  CHECK_FALSE(conn->is_open());
}

TEST(TlsChannel, BadConfigurationIsNamed) {
  TestPki pki;
  CHECK_TEXT(pki.ok, pki.err.c_str());
  auto o = pki.client_options(443);
  o.ca_file = pki.dir + "/missing.crt";
  std::string err;
  CHECK(tls::TlsClient::create(o, err) == nullptr);
  CHECK_TEXT(contains(err, "cannot load CA certificate '" + o.ca_file + "'"), err.c_str());
  o = pki.client_options(443);
  o.key_file = pki::server_paths(pki.dir).key;
  CHECK(tls::TlsClient::create(o, err) == nullptr);
  CHECK_TEXT(contains(err, "does not match certificate"), err.c_str());
}
