// Uploader, EventBatcher, Backoff and the heartbeat document, against a fake Transport with an
// injected clock, sleep and random source.
#include <CppUTest/TestHarness.h>

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "control/spool/spool.h"
#include "control/uplink/backoff.h"
#include "control/uplink/event_batcher.h"
#include "control/uplink/heartbeat.h"
#include "control/uplink/transport.h"
#include "control/uplink/uploader.h"

using namespace vigil;
using namespace vigil::uplink;
using spool::RecordKind;
using Json = nlohmann::json;
using ms = std::chrono::milliseconds;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/vigil-uplink-test-XXXXXX";
    char* p = ::mkdtemp(tmpl);
    path = p ? p : "";
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::unique_ptr<spool::Spool> open_spool(const std::string& dir) {
  std::string err;
  auto s = spool::Spool::open(dir, {}, err);
  if (!s) FAIL(err.c_str());
  return s;
}

// Answers each request with the next scripted reply (default: 200 {"accepted":N}).
struct FakeTransport : Transport {
  struct Reply {
    bool ok = true;
    int status = 200;
    std::string error;
  };
  std::deque<Reply> script;
  std::vector<http::HttpRequest> requests;  // every attempt
  std::vector<http::HttpRequest> delivered; // those answered 2xx
  std::set<std::string> seen_keys;
  std::mutex mu;

  bool round_trip(const http::HttpRequest& req, http::HttpResponse& resp, std::string& error) override {
    std::lock_guard lk(mu);
    requests.push_back(req);
    Reply r;
    if (!script.empty()) {
      r = script.front();
      script.pop_front();
    }
    if (!r.ok) {
      error = r.error;
      return false;
    }
    resp.status = r.status;
    resp.reason = r.status < 300 ? "OK" : "Nope";
    const std::string key(find(req, "Idempotency-Key"));
    if (r.status / 100 == 2) {
      delivered.push_back(req);
      bool dup = !key.empty() && !seen_keys.insert(key).second;
      resp.body = dup ? R"({"accepted":0,"duplicate":true})" : R"({"accepted":1})";
    }
    return true;
  }
  static std::string_view find(const http::HttpRequest& req, std::string_view name) {
    for (const auto& h : req.headers)
      if (h.name == name) return h.value;
    return {};
  }
};

// A clock that only moves when the uploader sleeps.
struct FakeTime {
  std::chrono::steady_clock::time_point t{std::chrono::seconds(1000)};
  std::vector<ms> sleeps;
  UploaderEnv env(std::function<std::uint64_t(std::uint64_t)> rnd = [](std::uint64_t b) { return b; }) {
    UploaderEnv e;
    e.now = [this] { return t; };
    e.sleep = [this](ms d) {
      sleeps.push_back(d);
      t += d;
    };
    e.random_upto = std::move(rnd);
    e.unix_time_s = [] { return std::uint64_t{1700000000}; };
    return e;
  }
};

UploaderConfig quiet_config() {
  UploaderConfig c;
  c.backoff = {ms(100), ms(1000)};
  c.heartbeat_interval = ms(0);
  return c;
}

std::string eve(const char* type, int i) {
  return std::string("{\"event_type\":\"") + type + "\",\"n\":" + std::to_string(i) + "}";
}

}  // namespace

TEST_GROUP(Uplink) {
  TempDir tmp;
  std::string dir() const { return tmp.path + "/spool"; }
};

TEST(Uplink, BackoffGrowsAndIsCappedWithFullJitter) {
  Backoff b({ms(100), ms(1000)});
  auto top = [](std::uint64_t bound) { return bound; };
  const long expect[] = {100, 200, 400, 800, 1000, 1000, 1000};
  for (long e : expect) LONGS_EQUAL(e, b.next(top).count());
  b.reset();
  LONGS_EQUAL(100, b.ceiling().count());
  auto rnd = default_random();
  for (int i = 0; i < 200; ++i) {
    auto ceiling = b.ceiling();
    auto d = b.next(rnd);
    CHECK(d.count() >= 0 && d <= ceiling);
  }
  LONGS_EQUAL(1000, b.ceiling().count());  // no overflow after many failures
}

TEST(Uplink, AllRecordsDeliveredAndRemovedAlertsFirst) {
  auto s = open_spool(dir());
  {
    EventBatcher batcher(*s, {10, 1 << 20}, "job-1");
    for (int i = 0; i < 25; ++i) batcher.add(eve("flow", i));
    for (int i = 0; i < 12; ++i) batcher.add(eve("alert", i));
    CHECK(s->append(RecordKind::flow_pcap, "flow:77", "pcapbytes", 77).stored());
    LONGS_EQUAL(37, batcher.counters().lines);
  }  // the destructor flushes the partial batches
  // events: 10, 10, (flush) 5; alerts: 10, (flush) 2; the pcap came between.
  LONGS_EQUAL(6, s->counters().records);

  FakeTransport tr;
  FakeTime ft;
  Uploader up(*s, tr, quiet_config(), ft.env());
  CHECK(up.drain(ft.t + std::chrono::seconds(10)));
  LONGS_EQUAL(6, tr.requests.size());
  // Both alert batches first, then the rest in creation order.
  STRCMP_EQUAL("POST", tr.requests[0].method.c_str());
  CHECK(FakeTransport::find(tr.requests[0], "Idempotency-Key").substr(0, 9) == "job-1:a0:");
  CHECK(FakeTransport::find(tr.requests[1], "Idempotency-Key").substr(0, 9) == "job-1:a1:");
  CHECK(FakeTransport::find(tr.requests[2], "Idempotency-Key").substr(0, 9) == "job-1:e0:");
  CHECK(FakeTransport::find(tr.requests[3], "Idempotency-Key").substr(0, 9) == "job-1:e1:");
  STRCMP_EQUAL("PUT", tr.requests[4].method.c_str());
  STRCMP_EQUAL("/v1/flows/77.pcap", tr.requests[4].target.c_str());
  STRCMP_EQUAL("pcapbytes", tr.requests[4].body.c_str());
  CHECK(FakeTransport::find(tr.requests[5], "Idempotency-Key").substr(0, 9) == "job-1:e2:");
  STRCMP_EQUAL("/v1/events", tr.requests[0].target.c_str());
  CHECK(tr.requests[0].body.find(eve("alert", 0) + "\n") == 0);
  LONGS_EQUAL(10, std::count(tr.requests[0].body.begin(), tr.requests[0].body.end(), '\n'));

  LONGS_EQUAL(0, s->counters().records);
  auto c = up.counters();
  LONGS_EQUAL(5, c.sent_batches);
  LONGS_EQUAL(37, c.sent_events);
  LONGS_EQUAL(1, c.sent_pcaps);
  LONGS_EQUAL(0, c.retries);
  CHECK(ft.sleeps.empty());
}

TEST(Uplink, AlertWrittenLaterStillGoesFirst) {
  auto s = open_spool(dir());
  s->append(RecordKind::event, "e1", eve("dns", 1) + "\n");
  s->append(RecordKind::event, "e2", eve("dns", 2) + "\n");
  s->append(RecordKind::alert, "a1", eve("alert", 1) + "\n");
  FakeTransport tr;
  FakeTime ft;
  Uploader up(*s, tr, quiet_config(), ft.env());
  CHECK(up.step().outcome == StepOutcome::sent);
  CHECK(FakeTransport::find(tr.requests[0], "Idempotency-Key") == "a1");
  s->append(RecordKind::alert, "a2", eve("alert", 2) + "\n");
  up.step();
  CHECK(FakeTransport::find(tr.requests[1], "Idempotency-Key") == "a2");
  up.step();
  CHECK(FakeTransport::find(tr.requests[2], "Idempotency-Key") == "e1");
  CHECK(up.step().outcome == StepOutcome::sent);
  CHECK(up.step().outcome == StepOutcome::idle);
}

TEST(Uplink, FailuresRetriedWithGrowingCappedBackoffThenDeliveredOnce) {
  auto s = open_spool(dir());
  s->append(RecordKind::alert, "only-key", eve("alert", 1) + "\n");
  FakeTransport tr;
  tr.script = {{false, 0, "connection refused"}, {true, 503, ""}, {false, 0, "timeout"},
               {true, 429, ""},                  {true, 500, ""}, {true, 408, ""},
               {false, 0, "handshake failed: x"}};
  FakeTime ft;
  Uploader up(*s, tr, quiet_config(), ft.env());
  CHECK(up.drain(ft.t + std::chrono::seconds(60)));
  LONGS_EQUAL(8, tr.requests.size());
  LONGS_EQUAL(1, tr.delivered.size());
  for (const auto& r : tr.requests) CHECK(FakeTransport::find(r, "Idempotency-Key") == "only-key");
  const long expect[] = {100, 200, 400, 800, 1000, 1000, 1000};
  LONGS_EQUAL(7, ft.sleeps.size());
  for (std::size_t i = 0; i < 7; ++i) LONGS_EQUAL(expect[i], ft.sleeps[i].count());
  auto c = up.counters();
  LONGS_EQUAL(7, c.retries);
  LONGS_EQUAL(3, c.transport_errors);
  LONGS_EQUAL(1, c.sent_batches);
  LONGS_EQUAL(0, c.permanent_failures);
  CHECK(c.last_error.find("handshake failed") != std::string::npos);
  LONGS_EQUAL(0, s->counters().records);

  // After a success the backoff starts over.
  s->append(RecordKind::event, "k2", eve("flow", 2) + "\n");
  tr.script = {{true, 502, ""}};
  CHECK(up.drain(ft.t + std::chrono::seconds(60)));
  LONGS_EQUAL(100, ft.sleeps.back().count());
}

TEST(Uplink, JitterStaysUnderTheCeiling) {
  auto s = open_spool(dir());
  s->append(RecordKind::event, "k", "{}\n");
  FakeTransport tr;
  for (int i = 0; i < 8; ++i) tr.script.push_back({true, 503, ""});
  FakeTime ft;
  Uploader up(*s, tr, quiet_config(), ft.env(default_random()));
  CHECK(up.drain(ft.t + std::chrono::seconds(60)));
  LONGS_EQUAL(8, ft.sleeps.size());
  const long ceil[] = {100, 200, 400, 800, 1000, 1000, 1000, 1000};
  for (std::size_t i = 0; i < 8; ++i) CHECK(ft.sleeps[i].count() <= ceil[i]);
}

TEST(Uplink, PermanentRejectionQuarantinesAndGoesOn) {
  auto s = open_spool(dir());
  s->append(RecordKind::event, "bad", "not json\n");
  s->append(RecordKind::flow_pcap, "flow:5", "nopcap", 5);
  s->append(RecordKind::event, "good", "{}\n");
  FakeTransport tr;
  tr.script = {{true, 400, ""}, {true, 413, ""}, {true, 200, ""}};
  FakeTime ft;
  Uploader up(*s, tr, quiet_config(), ft.env());
  CHECK(up.step().outcome == StepOutcome::rejected);
  CHECK(up.step().outcome == StepOutcome::rejected);
  CHECK(up.step().outcome == StepOutcome::sent);
  CHECK(up.step().outcome == StepOutcome::idle);
  CHECK(ft.sleeps.empty());
  auto c = up.counters();
  LONGS_EQUAL(2, c.permanent_failures);
  LONGS_EQUAL(0, c.retries);
  CHECK(c.last_error.find("413") != std::string::npos);
  auto sc = s->counters();
  LONGS_EQUAL(2, sc.rejected);
  LONGS_EQUAL(0, sc.records);
  LONGS_EQUAL(2, std::distance(fs::directory_iterator(dir() + "/quarantine"), fs::directory_iterator{}));
}

TEST(Uplink, CorruptRecordIsSkipped) {
  auto s = open_spool(dir());
  auto a = s->append(RecordKind::event, "a", "{\"a\":1}\n");
  s->append(RecordKind::event, "b", "{\"b\":1}\n");
  fs::resize_file(s->path_of(a.id), 60);
  FakeTransport tr;
  FakeTime ft;
  Uploader up(*s, tr, quiet_config(), ft.env());
  CHECK(up.drain(ft.t + std::chrono::seconds(1)));
  LONGS_EQUAL(1, tr.requests.size());
  CHECK(FakeTransport::find(tr.requests[0], "Idempotency-Key") == "b");
  LONGS_EQUAL(1, s->counters().quarantined);
}

TEST(Uplink, RecordsLeftAfterAStopAreSentByTheNextUploader) {
  std::set<std::string> keys;
  FakeTransport tr;
  {
    auto s = open_spool(dir());
    for (int i = 0; i < 5; ++i) s->append(RecordKind::event, "r" + std::to_string(i), eve("flow", i) + "\n");
    tr.script = {{true, 200, ""}, {true, 200, ""}, {false, 0, "connection reset"}};
    FakeTime ft;
    Uploader up(*s, tr, quiet_config(), ft.env());
    CHECK(up.step().outcome == StepOutcome::sent);
    CHECK(up.step().outcome == StepOutcome::sent);
    CHECK(up.step().outcome == StepOutcome::retry_later);
    // stop: the uploader and the spool go away with three records unsent
  }
  auto s = open_spool(dir());
  LONGS_EQUAL(3, s->counters().records);
  FakeTime ft;
  Uploader up(*s, tr, quiet_config(), ft.env());
  CHECK(up.drain(ft.t + std::chrono::seconds(5)));
  LONGS_EQUAL(5, tr.delivered.size());
  for (std::size_t i = 0; i < 5; ++i)
    CHECK(FakeTransport::find(tr.delivered[i], "Idempotency-Key") == "r" + std::to_string(i));
  LONGS_EQUAL(0, up.counters().duplicates);
}

TEST(Uplink, IdempotencyKeysAreStableAcrossRebatching) {
  auto keys_for = [](const std::string& d, const std::string& prefix, int changed_line) {
    auto s = open_spool(d);
    {
      EventBatcher b(*s, {4, 1 << 20}, prefix);
      for (int i = 0; i < 10; ++i) b.add(eve(i == changed_line ? "http" : "flow", i));
      for (int i = 0; i < 3; ++i) b.add(eve("alert", i), true);
    }
    std::vector<std::string> keys;
    for (const auto& info : s->list()) keys.push_back(info.key);
    return keys;
  };
  auto k1 = keys_for(tmp.path + "/s1", "job-7:replay", -1);
  auto k2 = keys_for(tmp.path + "/s2", "job-7:replay", -1);
  LONGS_EQUAL(4, k1.size());  // 4 + 4 + 2 events, 3 alerts
  CHECK(k1 == k2);
  std::set<std::string> unique(k1.begin(), k1.end());
  LONGS_EQUAL(k1.size(), unique.size());
  for (const auto& k : k1) CHECK(spool::valid_key(k));

  auto other_prefix = keys_for(tmp.path + "/s3", "job-8:replay", -1);
  for (std::size_t i = 0; i < k1.size(); ++i) CHECK(k1[i] != other_prefix[i]);
  // Changing line 5 changes the key of its batch (the second) and nothing else.
  auto changed = keys_for(tmp.path + "/s4", "job-7:replay", 5);
  CHECK(changed[0] == k1[0]);
  CHECK(changed[1] != k1[1]);
  CHECK(changed[2] == k1[2]);
  CHECK(changed[3] == k1[3]);

  // A replay sent twice: the provider sees the same keys and answers "duplicate".
  FakeTransport tr;
  for (const char* d : {"/s1", "/s2"}) {
    auto s = open_spool(tmp.path + d);
    FakeTime ft;
    Uploader up(*s, tr, quiet_config(), ft.env());
    CHECK(up.drain(ft.t + std::chrono::seconds(5)));
    if (std::string(d) == "/s2") LONGS_EQUAL(4, up.counters().duplicates);
  }
}

TEST(Uplink, BatcherLimitsAndInvalidLines) {
  auto s = open_spool(dir());
  EventBatcher b(*s, {100, 64}, "bad prefix/with:chars");
  STRCMP_EQUAL("bad_prefix_with:chars", b.key_prefix().c_str());
  CHECK_FALSE(b.add("", false));
  CHECK_FALSE(b.add("{\"a\":\n1}", false));
  CHECK(b.add(std::string(40, 'x') + "\n", false));
  CHECK(b.add(std::string(40, 'y'), false));  // would pass 64 bytes: the first batch closes
  CHECK(b.add(std::string(200, 'z'), false)); // too long for a batch: goes alone
  b.flush();
  LONGS_EQUAL(2, b.counters().invalid_lines);
  auto all = s->list();
  LONGS_EQUAL(3, all.size());
  LONGS_EQUAL(41, all[0].payload_bytes);
  LONGS_EQUAL(41, all[1].payload_bytes);
  LONGS_EQUAL(201, all[2].payload_bytes);
  CHECK(EventBatcher::is_alert_line(eve("alert", 1)));
  CHECK_FALSE(EventBatcher::is_alert_line(eve("flow", 1)));
  EventBatcher long_one(*s, {}, std::string(200, 'p'));
  LONGS_EQUAL(kMaxKeyPrefix, long_one.key_prefix().size());
  CHECK(spool::valid_key(EventBatcher::make_key(long_one.key_prefix(), RecordKind::alert, ~0ull, "body")));
}

TEST(Uplink, HeartbeatDocumentAndSchedule) {
  auto s = open_spool(dir());
  s->append(RecordKind::event, "e1", "{}\n");
  FakeTransport tr;
  FakeTime ft;
  UploaderConfig cfg = quiet_config();
  cfg.heartbeat_interval = ms(5000);
  Uploader up(*s, tr, cfg, ft.env());
  up.set_heartbeat_source([] {
    HeartbeatInput in;
    in.versions = {{"vigild", "0.1.0"}};
    in.uptime_s = 42;
    in.ruleset_hash = "abc123";
    in.ports["port0"] = {{"rx_packets", 10}, {"rx_dropped", 1}};
    in.workers["worker0"] = {{"pkts", 9}};
    return in;
  });
  CHECK(up.step().outcome == StepOutcome::sent);  // the heartbeat is due at start
  STRCMP_EQUAL("/v1/heartbeat", tr.requests[0].target.c_str());
  Json hb = Json::parse(tr.requests[0].body);
  STRCMP_EQUAL("heartbeat", hb["type"].get<std::string>().c_str());
  STRCMP_EQUAL("0.1.0", hb["versions"]["vigild"].get<std::string>().c_str());
  LONGS_EQUAL(42, hb["uptime_s"].get<long>());
  STRCMP_EQUAL("abc123", hb["ruleset"]["hash"].get<std::string>().c_str());
  LONGS_EQUAL(10, hb["ports"]["port0"]["rx_packets"].get<long>());
  LONGS_EQUAL(9, hb["workers"]["worker0"]["pkts"].get<long>());
  LONGS_EQUAL(1, hb["spool"]["records"].get<long>());
  CHECK(hb["spool"]["bytes"].get<long>() > 0);
  LONGS_EQUAL(0, hb["drops"]["total"].get<long>());
  LONGS_EQUAL(1700000000, hb["time_unix_s"].get<long>());
  CHECK(hb["upload"].contains("sent_batches"));

  CHECK(up.step().outcome == StepOutcome::sent);  // the record
  STRCMP_EQUAL("/v1/events", tr.requests[1].target.c_str());
  CHECK(up.step().outcome == StepOutcome::idle);
  ft.t += ms(5000);
  CHECK(up.step().outcome == StepOutcome::sent);
  STRCMP_EQUAL("/v1/heartbeat", tr.requests[2].target.c_str());
  hb = Json::parse(tr.requests[2].body);
  LONGS_EQUAL(1, hb["upload"]["sent_batches"].get<long>());
  LONGS_EQUAL(0, hb["spool"]["records"].get<long>());
  LONGS_EQUAL(1, hb["upload"]["heartbeats_sent"].get<long>());  // the document predates its ack
  LONGS_EQUAL(2, up.counters().heartbeats_sent);
}

TEST(Uplink, HeartbeatReportsDrops) {
  spool::SpoolCounters c;
  c.dropped[spool::kind_index(RecordKind::flow_pcap)] = 3;
  c.evicted[spool::kind_index(RecordKind::event)] = 2;
  c.evicted[spool::kind_index(RecordKind::alert)] = 1;
  c.quarantined = 4;
  UploadCounters u;
  u.last_error = "x";
  Json hb = heartbeat_document({}, c, 1000, u, 5);
  LONGS_EQUAL(3, hb["drops"]["flow_pcap"]["dropped"].get<long>());
  LONGS_EQUAL(2, hb["drops"]["event"]["total"].get<long>());
  LONGS_EQUAL(1, hb["drops"]["alert"]["evicted"].get<long>());
  LONGS_EQUAL(6, hb["drops"]["total"].get<long>());
  LONGS_EQUAL(4, hb["spool"]["quarantined"].get<long>());
  LONGS_EQUAL(1000, hb["spool"]["max_bytes"].get<long>());
  STRCMP_EQUAL("x", hb["upload"]["last_error"].get<std::string>().c_str());
}

TEST(Uplink, FailedHeartbeatIsRetriedWithBackoffAndDoesNotStarveRecords) {
  auto s = open_spool(dir());
  FakeTransport tr;
  tr.script = {{true, 503, ""}, {true, 400, ""}};
  FakeTime ft;
  UploaderConfig cfg = quiet_config();
  cfg.heartbeat_interval = ms(5000);
  Uploader up(*s, tr, cfg, ft.env());
  StepResult r = up.step();
  CHECK(r.outcome == StepOutcome::retry_later);
  LONGS_EQUAL(100, r.delay.count());
  ft.t += r.delay;
  CHECK(up.step().outcome == StepOutcome::rejected);  // 400: wait for the next interval
  s->append(RecordKind::event, "e", "{}\n");
  CHECK(up.step().outcome == StepOutcome::sent);
  STRCMP_EQUAL("/v1/events", tr.requests.back().target.c_str());
  LONGS_EQUAL(2, up.counters().heartbeat_failures);
}

TEST(Uplink, DrainGivesUpAtTheDeadline) {
  auto s = open_spool(dir());
  s->append(RecordKind::event, "e", "{}\n");
  FakeTransport tr;
  for (int i = 0; i < 1000; ++i) tr.script.push_back({false, 0, "connection refused"});
  FakeTime ft;
  Uploader up(*s, tr, quiet_config(), ft.env());
  const auto deadline = ft.t + std::chrono::seconds(5);
  CHECK_FALSE(up.drain(deadline));
  CHECK(ft.t <= deadline);
  LONGS_EQUAL(1, s->counters().records);
  CHECK(up.counters().retries >= 5);
}

TEST(Uplink, RunThreadUploadsWhatTheProducerSpoolsAndStops) {
  auto s = open_spool(dir());
  FakeTransport tr;
  UploaderConfig cfg = quiet_config();
  cfg.idle_poll = ms(2000);  // wake() must make this irrelevant
  Uploader up(*s, tr, cfg);
  std::jthread th([&up](std::stop_token st) { up.run(st); });
  {
    EventBatcher b(*s, {5, 1 << 20}, "live");
    b.set_on_stored([&up] { up.wake(); });
    for (int i = 0; i < 20; ++i) b.add(eve(i % 4 == 0 ? "alert" : "tls", i));
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lk(tr.mu);
      if (tr.delivered.size() == 4 && s->counters().records == 0) break;
    }
    std::this_thread::sleep_for(ms(5));
  }
  const auto t0 = std::chrono::steady_clock::now();
  th.request_stop();
  th.join();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1));  // the stop ends the wait
  LONGS_EQUAL(0, s->counters().records);
  LONGS_EQUAL(20, up.counters().sent_events);
}
