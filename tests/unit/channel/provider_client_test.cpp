// ProviderClient against a small loopback TLS server speaking HTTP/1.1: keep-alive reuse,
// reconnects (with session resumption), the single idempotent retry, and failures.
#include "control/channel/provider_client.h"

#include <CppUTest/TestHarness.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "control/http/http_parser.h"
#include "control/http/http_writer.h"
#include "tests/unit/tls/tls_test_util.h"

using namespace vigil;
using namespace std::chrono_literals;
using channel::ProviderClient;
using C = channel::ProviderClientCounter;

namespace {

struct Reply {
  std::string bytes;         // raw response bytes; empty = close without answering
  bool close_after = false;  // close the connection after sending
};

// Serves HTTP on each TLS connection: script(index of the request on this connection, request).
class HttpScriptServer {
 public:
  using Script = std::function<Reply(int, const http::HttpRequest&)>;

  HttpScriptServer(const test::TestPki& pki, Script script)
      : script_(std::move(script)),
        server_(pki.server_options(), [this](tls::TlsConnection& c) { serve(c); }) {}

  test::TestTlsServer& tls() { return server_; }
  std::vector<http::HttpRequest> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

 private:
  void serve(tls::TlsConnection& c) {
    http::MessageParser parser(http::MessageKind::request);
    std::string pending;
    const http::ReadFn read = [&](std::span<char> buf) -> long {
      std::size_t got = 0;
      std::string err;
      const tls::IoStatus s = c.read_some(buf.data(), buf.size(), got, err);
      if (s == tls::IoStatus::ok) return static_cast<long>(got);
      return s == tls::IoStatus::closed ? 0 : -1;
    };
    for (int index = 0;; ++index) {
      if (http::read_message(parser, pending, read) != http::ParseStatus::done) return;
      http::HttpRequest req = parser.take_request();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        requests_.push_back(req);
      }
      const Reply r = script_(index, req);
      if (r.bytes.empty()) return;
      std::string err;
      if (c.write_all(r.bytes, err) != tls::IoStatus::ok || r.close_after) return;
    }
  }

  Script script_;
  std::mutex mutex_;
  std::vector<http::HttpRequest> requests_;
  test::TestTlsServer server_;  // last: its threads use the members above
};

std::string response(int status, const std::string& body, bool close = false) {
  http::HttpResponse r;
  r.status = status;
  r.body = body;
  if (close) r.headers.push_back({"Connection", "close"});
  std::string out;
  http::write_response(r, out);
  return out;
}

std::unique_ptr<ProviderClient> make_client(const test::TestPki& pki, std::uint16_t port,
                                            std::uint32_t io_timeout_ms = 3000) {
  channel::ProviderClientOptions o;
  o.tls = pki.client_options(port);
  o.tls.io_timeout_ms = io_timeout_ms;
  std::string err;
  auto c = ProviderClient::create(o, err);
  CHECK_TEXT(c != nullptr, err.c_str());
  return c;
}

http::HttpRequest get(const std::string& target) {
  http::HttpRequest r;
  r.method = "GET";
  r.target = target;
  return r;
}

http::HttpRequest post(const std::string& target, const std::string& body,
                       const std::string& key = "") {
  http::HttpRequest r;
  r.method = "POST";
  r.target = target;
  r.body = body;
  if (!key.empty()) r.headers.push_back({"Idempotency-Key", key});
  return r;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_GROUP(ProviderClient) {
  test::TestPki pki;
  void setup() override { CHECK_TEXT(pki.ok, pki.err.c_str()); }
};

TEST(ProviderClient, KeepAliveReusesOneConnection) {
  HttpScriptServer server(pki, [](int i, const http::HttpRequest& req) {
    return Reply{response(
        200, "{\"n\":" + std::to_string(i) + ",\"len\":" + std::to_string(req.body.size()) + "}")};
  });
  CHECK_TEXT(server.tls().ok(), server.tls().error().c_str());
  auto client = make_client(pki, server.tls().port());
  constexpr int kRequests = 20;
  for (int i = 0; i < kRequests; ++i) {
    http::HttpResponse resp;
    std::string err;
    const auto req =
        i % 2 ? get("/v1/rules") : post("/v1/events", "{\"a\":1}\n", "k" + std::to_string(i));
    CHECK_TEXT(client->round_trip(req, resp, err), err.c_str());
    LONGS_EQUAL(200, resp.status);
    const std::string want =
        "{\"n\":" + std::to_string(i) + ",\"len\":" + std::to_string(req.body.size()) + "}";
    STRCMP_EQUAL(want.c_str(), resp.body.c_str());
  }
  const auto& k = client->counters();
  LONGS_EQUAL(1, k.get(C::connections));
  LONGS_EQUAL(1, k.get(C::handshakes));
  LONGS_EQUAL(0, k.get(C::resumed_handshakes));
  LONGS_EQUAL(kRequests, k.get(C::requests));
  LONGS_EQUAL(kRequests, k.get(C::responses));
  CHECK(k.get(C::bytes_sent) > 20u * kRequests);
  CHECK(k.get(C::bytes_received) > 20u * kRequests);
  LONGS_EQUAL(1, server.tls().wait_outcomes(1).size());
  // The transport adds Host (server name and port) and frames the body.
  const auto seen = server.requests();
  LONGS_EQUAL(kRequests, seen.size());
  const std::string host = "provider.vigil.test:" + std::to_string(server.tls().port());
  STRCMP_EQUAL(host.c_str(), std::string(seen[0].header("Host")).c_str());
  STRCMP_EQUAL("k0", std::string(seen[0].header("Idempotency-Key")).c_str());
  STRCMP_EQUAL("{\"a\":1}\n", seen[0].body.c_str());
}

TEST(ProviderClient, ReconnectsWithResumptionAfterConnectionClose) {
  // Every second response says "Connection: close".
  HttpScriptServer server(pki, [](int i, const http::HttpRequest&) {
    return Reply{response(200, "ok", i == 1), i == 1};
  });
  CHECK_TEXT(server.tls().ok(), server.tls().error().c_str());
  auto client = make_client(pki, server.tls().port());
  for (int i = 0; i < 6; ++i) {
    http::HttpResponse resp;
    std::string err;
    CHECK_TEXT(client->round_trip(get("/v1/rules"), resp, err), err.c_str());
    LONGS_EQUAL(200, resp.status);
  }
  const auto& k = client->counters();
  LONGS_EQUAL(3, k.get(C::handshakes));
  LONGS_EQUAL(2, k.get(C::resumed_handshakes));
  LONGS_EQUAL(0, k.get(C::retries));
  const auto out = server.tls().wait_outcomes(3);
  LONGS_EQUAL(3, out.size());
  CHECK(out[2].resumed);
  STRCMP_EQUAL("dev-1", out[2].peer_cn.c_str());
}

TEST(ProviderClient, ReconnectsWhenServerClosedIdleConnection) {
  // Answers once, then closes the idle connection (close_notify) without saying so.
  HttpScriptServer server(pki, [](int, const http::HttpRequest&) {
    return Reply{response(200, "ok"), true};
  });
  CHECK_TEXT(server.tls().ok(), server.tls().error().c_str());
  auto client = make_client(pki, server.tls().port());
  http::HttpResponse resp;
  std::string err;
  CHECK_TEXT(client->round_trip(get("/a"), resp, err), err.c_str());
  server.tls().wait_outcomes(1);
  std::this_thread::sleep_for(100ms);  // let the close_notify arrive
  CHECK_TEXT(client->round_trip(post("/v1/heartbeat", "{}"), resp, err), err.c_str());
  LONGS_EQUAL(200, resp.status);
  const auto& k = client->counters();
  LONGS_EQUAL(1, k.get(C::stale_connections));
  LONGS_EQUAL(2, k.get(C::handshakes));
  LONGS_EQUAL(1, k.get(C::resumed_handshakes));
  LONGS_EQUAL(0, k.get(C::retries));
}

TEST(ProviderClient, RetriesIdempotentRequestOnceWhenReusedConnectionDies) {
  // The second request on a connection is read and then the connection is closed unanswered,
  // as when the provider closes an idle connection just as the request arrives.
  HttpScriptServer server(pki, [](int i, const http::HttpRequest&) {
    return i == 0 ? Reply{response(200, "first")} : Reply{};
  });
  CHECK_TEXT(server.tls().ok(), server.tls().error().c_str());
  auto client = make_client(pki, server.tls().port());
  http::HttpResponse resp;
  std::string err;
  CHECK_TEXT(client->round_trip(get("/1"), resp, err), err.c_str());
  // Idempotent (Idempotency-Key): retried on a new connection, answered there.
  CHECK_TEXT(client->round_trip(post("/v1/events", "{}\n", "batch-7"), resp, err), err.c_str());
  STRCMP_EQUAL("first", resp.body.c_str());
  LONGS_EQUAL(1, client->counters().get(C::retries));
  LONGS_EQUAL(2, client->counters().get(C::handshakes));
  LONGS_EQUAL(1, client->counters().get(C::resumed_handshakes));
  // Not idempotent (POST without a key): not retried, the caller decides.
  CHECK_FALSE(client->round_trip(post("/v1/heartbeat", "{}"), resp, err));
  CHECK_TEXT(contains(err, "closed by the provider before a response"), err.c_str());
  LONGS_EQUAL(1, client->counters().get(C::retries));
  CHECK_FALSE(client->connected());
  // Next request: a new connection again.
  CHECK_TEXT(client->round_trip(get("/2"), resp, err), err.c_str());
  LONGS_EQUAL(3, client->counters().get(C::handshakes));
}

TEST(ProviderClient, InterimAndChunkedResponses) {
  HttpScriptServer server(pki, [](int, const http::HttpRequest&) {
    return Reply{
        "HTTP/1.1 100 Continue\r\n\r\n"
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n "
        "world\r\n0\r\n\r\n"};
  });
  CHECK_TEXT(server.tls().ok(), server.tls().error().c_str());
  auto client = make_client(pki, server.tls().port());
  for (int i = 0; i < 2; ++i) {
    http::HttpResponse resp;
    std::string err;
    CHECK_TEXT(client->round_trip(get("/x"), resp, err), err.c_str());
    LONGS_EQUAL(200, resp.status);
    STRCMP_EQUAL("hello world", resp.body.c_str());
  }
  LONGS_EQUAL(1, client->counters().get(C::handshakes));
}

TEST(ProviderClient, EndlessInterimResponsesAreRefused) {
  HttpScriptServer server(pki, [](int, const http::HttpRequest&) {
    std::string many;
    for (int i = 0; i < 20; ++i) many += "HTTP/1.1 100 Continue\r\n\r\n";
    return Reply{many};
  });
  CHECK_TEXT(server.tls().ok(), server.tls().error().c_str());
  auto client = make_client(pki, server.tls().port());
  http::HttpResponse resp;
  std::string err;
  CHECK_FALSE(client->round_trip(get("/x"), resp, err));
  CHECK_TEXT(contains(err, "more than 8 interim (1xx) responses"), err.c_str());
}

TEST(ProviderClient, MalformedResponseIsAnError) {
  HttpScriptServer server(pki, [](int, const http::HttpRequest&) {
    return Reply{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"};
  });
  CHECK_TEXT(server.tls().ok(), server.tls().error().c_str());
  auto client = make_client(pki, server.tls().port());
  http::HttpResponse resp;
  std::string err;
  CHECK_FALSE(client->round_trip(get("/x"), resp, err));
  CHECK_TEXT(contains(err, "malformed response from 127.0.0.1:"), err.c_str());
  LONGS_EQUAL(1, client->counters().get(C::bad_responses));
  CHECK_FALSE(client->connected());
}

TEST(ProviderClient, ResponseTimeoutIsBounded) {
  std::atomic<bool> release{false};
  HttpScriptServer server(pki, [&](int, const http::HttpRequest&) {
    for (int i = 0; i < 200 && !release; ++i) std::this_thread::sleep_for(10ms);
    return Reply{};
  });
  CHECK_TEXT(server.tls().ok(), server.tls().error().c_str());
  auto client = make_client(pki, server.tls().port(), 200);
  http::HttpResponse resp;
  std::string err;
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(client->round_trip(get("/slow"), resp, err));
  const auto took = std::chrono::steady_clock::now() - t0;
  release = true;
  CHECK_TEXT(contains(err, "timed out after 200 ms"), err.c_str());
  CHECK(took < 2s);
  LONGS_EQUAL(0, client->counters().get(C::retries));  // a fresh connection is never retried
}

TEST(ProviderClient, ConnectFailureIsReported) {
  tls::TcpListener l;
  std::string err;
  CHECK(l.open("127.0.0.1", 0, 1, err));
  const auto port = l.port();
  l.close();
  auto client = make_client(pki, port);
  http::HttpResponse resp;
  CHECK_FALSE(client->round_trip(get("/"), resp, err));
  CHECK_TEXT(contains(err, "connect to 127.0.0.1:" + std::to_string(port) + " failed"),
             err.c_str());
  LONGS_EQUAL(1, client->counters().get(C::connect_failures));
  LONGS_EQUAL(0, client->counters().get(C::handshakes));
}

TEST(ProviderClient, HandshakeRefusalIsReported) {
  HttpScriptServer server(pki,
                          [](int, const http::HttpRequest&) { return Reply{response(200, "")}; });
  CHECK_TEXT(server.tls().ok(), server.tls().error().c_str());
  channel::ProviderClientOptions o;
  o.tls = pki.client_options(server.tls().port());
  o.tls.server_name = "wrong.vigil.test";
  std::string err;
  auto client = ProviderClient::create(o, err);
  CHECK_TEXT(client != nullptr, err.c_str());
  http::HttpResponse resp;
  CHECK_FALSE(client->round_trip(get("/"), resp, err));
  CHECK_TEXT(contains(err, "handshake with 127.0.0.1:" + std::to_string(server.tls().port()) +
                               " failed: certificate verify failed"),
             err.c_str());
}

TEST(ProviderClient, RequiresDeviceCertificate) {
  channel::ProviderClientOptions o;
  o.tls = pki.client_options(443);
  o.tls.cert_file.clear();
  std::string err;
  CHECK(ProviderClient::create(o, err) == nullptr);
  CHECK_TEXT(contains(err, "device certificate and key are required"), err.c_str());
}

TEST(ProviderClient, RefusesInjectedHeader) {
  auto client = make_client(pki, 443);
  http::HttpRequest req = get("/");
  req.headers.push_back({"X-Bad", "a\r\nInjected: 1"});
  http::HttpResponse resp;
  std::string err;
  CHECK_FALSE(client->round_trip(req, resp, err));
  CHECK_TEXT(contains(err, "request not sent"), err.c_str());
  LONGS_EQUAL(0, client->counters().get(C::connections));
}

TEST(ProviderClient, CounterNames) {
  STRCMP_EQUAL("uplink.client.resumed_handshakes",
               std::string(channel::provider_client_counter_name(C::resumed_handshakes)).c_str());
  STRCMP_EQUAL("uplink.client.bytes_received",
               std::string(channel::provider_client_counter_name(C::bytes_received)).c_str());
}
