// The reference provider's handler and store: the protocol table, dedup, crash leftovers,
// isolation between appliances, conditional and range requests, concurrent use.
#include <CppUTest/TestHarness.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "control/provider/http_conditional.h"
#include "control/provider/provider_store.h"

using namespace vigil;
using namespace vigil::provider;
using http::HttpRequest;
using http::HttpResponse;
using Json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

fs::path make_temp_dir() {
  char tmpl[] = "/tmp/vigil-provider-test-XXXXXX";
  const char* d = mkdtemp(tmpl);
  CHECK(d != nullptr);
  return d;
}

HttpRequest request(std::string method, std::string target, std::string body = {},
                    std::vector<http::HttpHeader> headers = {}) {
  return HttpRequest{std::move(method), std::move(target), std::move(headers), std::move(body)};
}

HttpRequest events_post(std::string key, std::string body) {
  return request("POST", "/v1/events", std::move(body), {{"Idempotency-Key", std::move(key)}});
}

std::string pcap(char fill, std::size_t extra = 16) {
  std::string p("\xd4\xc3\xb2\xa1\x02\x00\x04\x00", 8);
  p.append(16, '\0');
  p.append(extra, fill);
  return p;
}

std::string error_of(const HttpResponse& r) {
  Json j = Json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("error")) return {};
  return j["error"].get<std::string>();
}

void write_file(const fs::path& p, const std::string& data) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << data;
}

}  // namespace

TEST_GROUP(Provider) {
  fs::path dir;
  void setup() override { dir = make_temp_dir(); }
  void teardown() override { fs::remove_all(dir); }
};

TEST(Provider, EventsAcceptedOnceByIdempotencyKey) {
  ProviderStore store(dir);
  HttpResponse r = store.handle("dev-1", events_post("k1", "{\"a\":1}\n{\"b\":2}\n"));
  LONGS_EQUAL(200, r.status);
  STRCMP_EQUAL("{\"accepted\":2}", r.body.c_str());
  STRCMP_EQUAL("application/json", std::string(r.header("content-type")).c_str());
  r = store.handle("dev-1", events_post("k1", "{\"a\":1}\n{\"b\":2}\n"));
  LONGS_EQUAL(200, r.status);
  STRCMP_EQUAL("{\"accepted\":0,\"duplicate\":true}", r.body.c_str());
  r = store.handle("dev-1", events_post("k2", "{\"c\":3}"));  // last '\n' missing: tolerated
  STRCMP_EQUAL("{\"accepted\":1}", r.body.c_str());
  std::vector<std::string> ev = store.events("dev-1");
  LONGS_EQUAL(3, ev.size());
  STRCMP_EQUAL("{\"a\":1}", ev[0].c_str());
  STRCMP_EQUAL("{\"c\":3}", ev[2].c_str());
  ProviderStats s = store.stats();
  LONGS_EQUAL(2, s.batches_accepted);
  LONGS_EQUAL(3, s.events_accepted);
  LONGS_EQUAL(1, s.duplicates_dropped);
  // The same key of another appliance is another key.
  LONGS_EQUAL(200, store.handle("dev-2", events_post("k1", "{}\n")).status);
  LONGS_EQUAL(1, store.events("dev-2").size());
  // On disk: one batch per file in events/, the key record in idempotency/.
  CHECK(fs::exists(dir / "appliances/dev-1/events/000000000001.jsonl"));
  CHECK(fs::exists(dir / "appliances/dev-1/events/000000000002.jsonl"));
  LONGS_EQUAL(2, std::distance(fs::directory_iterator(dir / "appliances/dev-1/idempotency"),
                               fs::directory_iterator()));
}

TEST(Provider, KeysSurviveARestart) {
  {
    ProviderStore store(dir);
    LONGS_EQUAL(200, store.handle("dev-1", events_post("k1", "{}\n")).status);
  }
  ProviderStore again(dir);
  HttpResponse r = again.handle("dev-1", events_post("k1", "{}\n"));
  STRCMP_EQUAL("{\"accepted\":0,\"duplicate\":true}", r.body.c_str());
  LONGS_EQUAL(200, again.handle("dev-1", events_post("k2", "{\"x\":1}\n")).status);
  // Sequence numbers continue after the restart.
  CHECK(fs::exists(dir / "appliances/dev-1/events/000000000002.jsonl"));
  LONGS_EQUAL(2, again.events("dev-1").size());
}

TEST(Provider, EventsRefused) {
  ProviderLimits lim;
  lim.max_event_body = 64;
  ProviderStore store(dir, lim);
  HttpResponse r = store.handle("dev-1", request("POST", "/v1/events", "{}\n"));
  LONGS_EQUAL(400, r.status);
  STRCMP_CONTAINS("Idempotency-Key", error_of(r).c_str());
  LONGS_EQUAL(400, store.handle("dev-1", events_post("bad key", "{}\n")).status);
  LONGS_EQUAL(400, store.handle("dev-1", events_post("k/1", "{}\n")).status);
  LONGS_EQUAL(400, store.handle("dev-1", events_post(std::string(129, 'k'), "{}\n")).status);
  r = store.handle("dev-1", events_post("k", "{}\n{\"a\":\n"));
  LONGS_EQUAL(400, r.status);
  STRCMP_EQUAL("line 2 is not a JSON object", error_of(r).c_str());
  r = store.handle("dev-1", events_post("k", "{}\n[1]\n"));
  STRCMP_EQUAL("line 2 is not a JSON object", error_of(r).c_str());
  r = store.handle("dev-1", events_post("k", "{}\n\n{}\n"));
  STRCMP_EQUAL("line 2 is empty", error_of(r).c_str());
  r = store.handle("dev-1", events_post("k", ""));
  LONGS_EQUAL(400, r.status);
  r = store.handle("dev-1", events_post("k", "{\"a\":\"" + std::string(100, 'x') + "\"}\n"));
  LONGS_EQUAL(413, r.status);
  // Deep nesting is checked without recursion.
  r = store.handle("dev-1", events_post("k", std::string(60, '[')));
  LONGS_EQUAL(400, r.status);
  // Nothing refused was stored, and the refused key is still free.
  CHECK(store.events("dev-1").empty());
  LONGS_EQUAL(200, store.handle("dev-1", events_post("k", "{}\n")).status);
  LONGS_EQUAL(10, store.stats().client_errors);
}

TEST(Provider, CrashLeftoversAreCleanedAndUnlinkedBatchesRecovered) {
  {
    ProviderStore store(dir);
    LONGS_EQUAL(200, store.handle("dev-1", events_post("k1", "{\"n\":1}\n")).status);
    LONGS_EQUAL(200, store.handle("dev-1", events_post("k2", "{\"n\":2}\n")).status);
  }
  const fs::path app = dir / "appliances/dev-1";
  // A crash while writing: temporary files in every folder.
  write_file(app / "idempotency/.tmp.deadbeef", "{\"torn\":");
  write_file(app / "events/.tmp.000000000009.jsonl", "x");
  write_file(app / "flows/.tmp.7.pcap", "x");
  // A crash after the key record's rename but before its link into events/.
  CHECK(fs::remove(app / "events/000000000002.jsonl"));

  ProviderStore store(dir);
  std::vector<std::string> ev = store.events("dev-1");  // the first use recovers
  LONGS_EQUAL(2, ev.size());
  STRCMP_EQUAL("{\"n\":2}", ev[1].c_str());
  ProviderStats s = store.stats();
  LONGS_EQUAL(3, s.temp_files_removed);
  LONGS_EQUAL(1, s.batches_relinked);
  CHECK_FALSE(fs::exists(app / "idempotency/.tmp.deadbeef"));
  // The retry of k2 is a duplicate, and nothing was stored twice.
  STRCMP_EQUAL("{\"accepted\":0,\"duplicate\":true}",
               store.handle("dev-1", events_post("k2", "{\"n\":2}\n")).body.c_str());
  LONGS_EQUAL(2, store.events("dev-1").size());
}

TEST(Provider, RetryRepairsAMissingLinkWithoutRestart) {
  ProviderStore store(dir);
  LONGS_EQUAL(200, store.handle("dev-1", events_post("k1", "{\"n\":1}\n")).status);
  CHECK(fs::remove(dir / "appliances/dev-1/events/000000000001.jsonl"));
  HttpResponse r = store.handle("dev-1", events_post("k1", "{\"n\":1}\n"));
  STRCMP_EQUAL("{\"accepted\":0,\"duplicate\":true}", r.body.c_str());
  LONGS_EQUAL(1, store.events("dev-1").size());
  LONGS_EQUAL(1, store.stats().batches_relinked);
}

TEST(Provider, FlowsStoredAndIsolated) {
  ProviderStore store(dir);
  const std::string a = pcap('a'), b = pcap('b');
  HttpResponse r = store.handle("dev-a", request("PUT", "/v1/flows/42.pcap", a));
  LONGS_EQUAL(201, r.status);
  r = store.handle("dev-a", request("PUT", "/v1/flows/42.pcap", a, {{"Idempotency-Key", "f-42"}}));
  LONGS_EQUAL(200, r.status);
  STRCMP_CONTAINS("unchanged", r.body.c_str());
  r = store.handle("dev-a", request("GET", "/v1/flows/42.pcap"));
  LONGS_EQUAL(200, r.status);
  CHECK(r.body == a);
  STRCMP_EQUAL("application/vnd.tcpdump.pcap", std::string(r.header("Content-Type")).c_str());
  // Another appliance cannot read it, and its own PUT of the same id does not touch A's.
  LONGS_EQUAL(404, store.handle("dev-b", request("GET", "/v1/flows/42.pcap")).status);
  LONGS_EQUAL(201, store.handle("dev-b", request("PUT", "/v1/flows/42.pcap", b)).status);
  CHECK(store.handle("dev-a", request("GET", "/v1/flows/42.pcap")).body == a);
  CHECK(store.handle("dev-b", request("GET", "/v1/flows/42.pcap")).body == b);
  // PUT replaces.
  r = store.handle("dev-a", request("PUT", "/v1/flows/42.pcap", b));
  LONGS_EQUAL(200, r.status);
  STRCMP_CONTAINS("replaced", r.body.c_str());
  CHECK(store.handle("dev-a", request("GET", "/v1/flows/42.pcap")).body == b);
  LONGS_EQUAL(404, store.handle("dev-a", request("GET", "/v1/flows/43.pcap")).status);
  // Nanosecond pcap, big-endian magic.
  std::string ns = pcap('n');
  ns.replace(0, 4, "\xa1\xb2\x3c\x4d", 4);
  LONGS_EQUAL(201, store.handle("dev-a", request("PUT", "/v1/flows/1.pcap", ns)).status);
  CHECK(fs::exists(dir / "appliances/dev-a/flows/42.pcap"));
  ProviderStats s = store.stats();
  LONGS_EQUAL(3, s.flows_created);
  LONGS_EQUAL(1, s.flows_replaced);
  LONGS_EQUAL(1, s.flows_unchanged);
}

TEST(Provider, FlowsRefused) {
  ProviderLimits lim;
  lim.max_flow_body = 100;
  ProviderStore store(dir, lim);
  HttpResponse r = store.handle("dev-a", request("PUT", "/v1/flows/1.pcap", "not a pcap at all, long enough"));
  LONGS_EQUAL(400, r.status);
  STRCMP_CONTAINS("pcap", error_of(r).c_str());
  LONGS_EQUAL(400, store.handle("dev-a", request("PUT", "/v1/flows/1.pcap", "\xd4\xc3\xb2\xa1")).status);
  LONGS_EQUAL(413, store.handle("dev-a", request("PUT", "/v1/flows/1.pcap", pcap('x', 100))).status);
  LONGS_EQUAL(400, store.handle("dev-a", request("PUT", "/v1/flows/1.pcap", pcap('x'),
                                                 {{"Idempotency-Key", "a b"}})).status);
  // Traversal and every other malformed flow path.
  for (const char* target :
       {"/v1/flows/../../dev-b/flows/42.pcap", "/v1/flows/%2e%2e%2fdev-b%2fflows%2f42.pcap",
        "/v1/flows/..%2f42.pcap", "/v1/flows/42.pcap/..", "/v1/flows/42", "/v1/flows/.pcap",
        "/v1/flows/-1.pcap", "/v1/flows/4a.pcap", "/v1/flows/123456789012345678901.pcap",
        "/v1/flows/42.PCAP", "/v1/flows/", "/v1/flows/42.pcap%00"}) {
    r = store.handle("dev-a", request("GET", target));
    if (r.status != 400) FAIL(target);
    LONGS_EQUAL(400, store.handle("dev-a", request("PUT", target, pcap('x'))).status);
  }
  r = store.handle("dev-a", request("DELETE", "/v1/flows/1.pcap"));
  LONGS_EQUAL(405, r.status);
  STRCMP_EQUAL("GET, PUT", std::string(r.header("Allow")).c_str());
  // Nothing was written anywhere.
  CHECK_FALSE(fs::exists(dir / "appliances/dev-a"));
}

TEST(Provider, ApplianceIdsValidated) {
  ProviderStore store(dir);
  for (const std::string& id : std::vector<std::string>{"", ".", "..", "a/b", "../x", "dev 1", "dév", std::string(65, 'a'),
                               std::string("a\0b", 3)}) {
    HttpResponse r = store.handle(id, events_post("k", "{}\n"));
    LONGS_EQUAL(403, r.status);
  }
  LONGS_EQUAL(200, store.handle(std::string(64, 'a'), events_post("k", "{}\n")).status);
  LONGS_EQUAL(200, store.handle("Dev_1.site-2", events_post("k", "{}\n")).status);
  // Only the two valid ids made folders.
  LONGS_EQUAL(2, std::distance(fs::directory_iterator(dir / "appliances"), fs::directory_iterator()));
  CHECK(store.events("..").empty());
}

TEST(Provider, RoutingAndMethods) {
  ProviderStore store(dir);
  LONGS_EQUAL(404, store.handle("d", request("GET", "/")).status);
  LONGS_EQUAL(404, store.handle("d", request("GET", "/v1/eventsx")).status);
  LONGS_EQUAL(404, store.handle("d", request("GET", "/v2/rules")).status);
  HttpResponse r = store.handle("d", request("GET", "/v1/events"));
  LONGS_EQUAL(405, r.status);
  STRCMP_EQUAL("POST", std::string(r.header("Allow")).c_str());
  LONGS_EQUAL(405, store.handle("d", request("POST", "/v1/rules")).status);
  LONGS_EQUAL(405, store.handle("d", request("GET", "/v1/heartbeat")).status);
  LONGS_EQUAL(405, store.handle("d", request("PUT", "/v1/firmware/1.0")).status);
  // A query string is ignored, not part of the path.
  LONGS_EQUAL(200, store.handle("d", request("POST", "/v1/events?x=1", "{}\n",
                                             {{"Idempotency-Key", "q"}})).status);
}

TEST(Provider, Heartbeats) {
  ProviderStore store(dir);
  HttpResponse r = store.handle("dev-1", request("POST", "/v1/heartbeat", "{\n  \"uptime\": 5\r\n}"));
  LONGS_EQUAL(200, r.status);
  STRCMP_EQUAL("{\"commands\":[]}", r.body.c_str());
  LONGS_EQUAL(400, store.handle("dev-1", request("POST", "/v1/heartbeat", "[1]")).status);
  LONGS_EQUAL(400, store.handle("dev-1", request("POST", "/v1/heartbeat", "{\"a\":")).status);
  // A torn append from a crash stays on its own line.
  {
    std::ofstream f(dir / "appliances/dev-1/heartbeats.jsonl", std::ios::app | std::ios::binary);
    f << "{\"torn";
  }
  LONGS_EQUAL(200, store.handle("dev-1", request("POST", "/v1/heartbeat", "{\"uptime\":6}")).status);
  std::vector<std::string> hb = store.heartbeats("dev-1");
  LONGS_EQUAL(3, hb.size());
  CHECK(Json::parse(hb[0])["uptime"] == 5);
  STRCMP_EQUAL("{\"torn", hb[1].c_str());
  STRCMP_EQUAL("{\"uptime\":6}", hb[2].c_str());
  LONGS_EQUAL(2, store.stats().heartbeats);
  ProviderLimits lim;
  lim.max_heartbeat_body = 10;
  ProviderStore small(dir, lim);
  LONGS_EQUAL(413, small.handle("dev-1", request("POST", "/v1/heartbeat", "{\"a\":\"0123456789\"}")).status);
}

TEST(Provider, RulesWithETag) {
  ProviderStore store(dir);
  LONGS_EQUAL(404, store.handle("d", request("GET", "/v1/rules")).status);
  write_file(dir / "rules/bundle", "alert tcp any any -> any any (sid:1;)\n");
  HttpResponse r = store.handle("d", request("GET", "/v1/rules"));
  LONGS_EQUAL(200, r.status);
  STRCMP_EQUAL("alert tcp any any -> any any (sid:1;)\n", r.body.c_str());
  const std::string etag(r.header("ETag"));
  LONGS_EQUAL(66, etag.size());
  CHECK(etag.front() == '"' && etag.back() == '"');
  r = store.handle("d", request("GET", "/v1/rules", "", {{"If-None-Match", etag}}));
  LONGS_EQUAL(304, r.status);
  CHECK(r.body.empty());
  STRCMP_EQUAL(etag.c_str(), std::string(r.header("ETag")).c_str());
  LONGS_EQUAL(304, store.handle("d", request("GET", "/v1/rules", "", {{"If-None-Match", "\"x\", W/" + etag}})).status);
  LONGS_EQUAL(304, store.handle("d", request("GET", "/v1/rules", "", {{"If-None-Match", "*"}})).status);
  LONGS_EQUAL(200, store.handle("d", request("GET", "/v1/rules", "", {{"If-None-Match", "\"old\""}})).status);
  // A new bundle has a new tag.
  write_file(dir / "rules/bundle", "new\n");
  r = store.handle("d", request("GET", "/v1/rules", "", {{"If-None-Match", etag}}));
  LONGS_EQUAL(200, r.status);
  CHECK(std::string(r.header("ETag")) != etag);
  ProviderStats s = store.stats();
  LONGS_EQUAL(3, s.rules_served);
  LONGS_EQUAL(3, s.rules_not_modified);
}

TEST(Provider, FirmwareRanges) {
  ProviderStore store(dir);
  write_file(dir / "firmware/1.2.3", "0123456789");
  auto get = [&](std::string range) {
    std::vector<http::HttpHeader> h;
    if (!range.empty()) h.push_back({"Range", range});
    return store.handle("d", request("GET", "/v1/firmware/1.2.3", "", h));
  };
  HttpResponse r = get("");
  LONGS_EQUAL(200, r.status);
  STRCMP_EQUAL("0123456789", r.body.c_str());
  STRCMP_EQUAL("bytes", std::string(r.header("Accept-Ranges")).c_str());
  r = get("bytes=2-5");
  LONGS_EQUAL(206, r.status);
  STRCMP_EQUAL("2345", r.body.c_str());
  STRCMP_EQUAL("bytes 2-5/10", std::string(r.header("Content-Range")).c_str());
  r = get("bytes=8-");
  STRCMP_EQUAL("89", r.body.c_str());
  r = get("bytes=7-100");
  STRCMP_EQUAL("789", r.body.c_str());
  STRCMP_EQUAL("bytes 7-9/10", std::string(r.header("Content-Range")).c_str());
  r = get("bytes=-3");
  STRCMP_EQUAL("789", r.body.c_str());
  r = get("bytes=-30");
  STRCMP_EQUAL("0123456789", r.body.c_str());
  LONGS_EQUAL(206, r.status);
  r = get("bytes=10-20");
  LONGS_EQUAL(416, r.status);
  STRCMP_EQUAL("bytes */10", std::string(r.header("Content-Range")).c_str());
  LONGS_EQUAL(416, get("bytes=99999999999999999999999-").status);
  LONGS_EQUAL(416, get("bytes=-0").status);
  LONGS_EQUAL(200, get("bytes=5-2").status);       // invalid: ignored
  LONGS_EQUAL(200, get("bytes=0-1,3-4").status);   // several ranges: ignored
  LONGS_EQUAL(200, get("items=0-1").status);
  LONGS_EQUAL(404, store.handle("d", request("GET", "/v1/firmware/9.9")).status);
  for (const char* t : {"/v1/firmware/..", "/v1/firmware/.hidden", "/v1/firmware/../rules/bundle",
                        "/v1/firmware/%2e%2e", "/v1/firmware/"})
    LONGS_EQUAL(400, store.handle("d", request("GET", t)).status);
  fs::create_directories(dir / "firmware/dir");
  LONGS_EQUAL(404, store.handle("d", request("GET", "/v1/firmware/dir")).status);
  write_file(dir / "firmware/empty", "");
  LONGS_EQUAL(200, store.handle("d", request("GET", "/v1/firmware/empty")).status);
}

TEST(Provider, ConcurrentHandles) {
  ProviderStore store(dir);
  constexpr int kThreads = 8, kBatches = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string app = "dev-" + std::to_string(t % 4);  // two threads per appliance
      for (int i = 0; i < kBatches; ++i) {
        // Both threads of an appliance send the same keys: each batch is stored exactly once.
        const std::string key = "k-" + std::to_string(i);
        HttpResponse r = store.handle(app, events_post(key, "{\"i\":" + std::to_string(i) + "}\n"));
        if (r.status != 200) ++failures;
        const std::string flow = "/v1/flows/" + std::to_string(t) + ".pcap";
        if (store.handle(app, request("PUT", flow, pcap(static_cast<char>('a' + t)))).status >= 300)
          ++failures;
        if (store.handle(app, request("POST", "/v1/heartbeat", "{\"t\":1}")).status != 200)
          ++failures;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  LONGS_EQUAL(0, failures.load());
  for (int a = 0; a < 4; ++a) {
    const std::string app = "dev-" + std::to_string(a);
    LONGS_EQUAL(kBatches, store.events(app).size());
    LONGS_EQUAL(2 * kBatches, store.heartbeats(app).size());
  }
  ProviderStats s = store.stats();
  LONGS_EQUAL(4 * kBatches, s.batches_accepted);
  LONGS_EQUAL(4 * kBatches, s.duplicates_dropped);
}

TEST(Provider, ErrorResponseIsJson) {
  HttpResponse r = error_response(400, "bad \"quote\"\n");
  LONGS_EQUAL(400, r.status);
  STRCMP_EQUAL("bad \"quote\"\n", error_of(r).c_str());
}

TEST_GROUP(HttpConditional){};

TEST(HttpConditional, IfNoneMatch) {
  CHECK(if_none_match_matches("\"a\"", "\"a\""));
  CHECK(if_none_match_matches(" \"b\" , W/\"a\" ", "\"a\""));
  CHECK(if_none_match_matches("*", "\"a\""));
  CHECK_FALSE(if_none_match_matches("\"ab\"", "\"a\""));
  CHECK_FALSE(if_none_match_matches("a", "\"a\""));
  CHECK_FALSE(if_none_match_matches(",,", "\"a\""));
}

TEST(HttpConditional, ByteRanges) {
  std::uint64_t f = 0, l = 0;
  CHECK(parse_byte_range("bytes=0-0", 1, f, l) == RangeResult::satisfiable);
  CHECK(f == 0 && l == 0);
  CHECK(parse_byte_range("Bytes=3-", 10, f, l) == RangeResult::satisfiable);
  CHECK(f == 3 && l == 9);
  CHECK(parse_byte_range("bytes=0-", 0, f, l) == RangeResult::unsatisfiable);
  CHECK(parse_byte_range("bytes=-5", 0, f, l) == RangeResult::unsatisfiable);
  CHECK(parse_byte_range("bytes=0-18446744073709551615", 10, f, l) == RangeResult::satisfiable);
  CHECK(l == 9);
  CHECK(parse_byte_range("bytes=-18446744073709551616", 10, f, l) == RangeResult::satisfiable);
  CHECK(f == 0);
  CHECK(parse_byte_range("bytes=a-b", 10, f, l) == RangeResult::none);
  CHECK(parse_byte_range("bytes=-", 10, f, l) == RangeResult::none);
  CHECK(parse_byte_range("bytes=1", 10, f, l) == RangeResult::none);
  CHECK(parse_byte_range("bytes=+1-2", 10, f, l) == RangeResult::none);
  CHECK(parse_byte_range("bytes", 10, f, l) == RangeResult::none);
}
