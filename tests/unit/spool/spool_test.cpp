// Spool: durable records, ordering across restarts, quarantine of bad records, bounded size with
// flow records evicted before alerts, and crash consistency under SIGKILL.
#include <CppUTest/TestHarness.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "control/spool/spool.h"

using namespace vigil::spool;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/vigil-spool-test-XXXXXX";
    char* p = ::mkdtemp(tmpl);
    path = p ? p : "";
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string spool() const { return path + "/spool"; }
};

std::unique_ptr<Spool> open_spool(const std::string& dir, SpoolLimits limits = {}) {
  std::string err;
  auto s = Spool::open(dir, limits, err);
  if (!s) FAIL(err.c_str());
  return s;
}

std::string payload_for(std::uint64_t n) {
  // Deterministic content of varying length, so a torn or mixed record cannot look right.
  std::string p = "{\"n\":" + std::to_string(n) + ",\"pad\":\"";
  p.append(static_cast<std::size_t>(n * 37 % 3000), static_cast<char>('a' + n % 26));
  p += "\"}\n";
  return p;
}

void flip_byte(const std::string& path, std::size_t offset_from_end) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(0, std::ios::end);
  auto size = static_cast<std::size_t>(f.tellg());
  f.seekp(static_cast<std::streamoff>(size - 1 - offset_from_end));
  char c = 0;
  f.seekg(static_cast<std::streamoff>(size - 1 - offset_from_end));
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(static_cast<std::streamoff>(size - 1 - offset_from_end));
  f.write(&c, 1);
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << content;
}

std::size_t count_files(const std::string& dir) {
  std::size_t n = 0;
  for (auto& e : fs::directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

}  // namespace

TEST_GROUP(Spool) {
  TempDir tmp;
};

TEST(Spool, RoundTrip) {
  auto s = open_spool(tmp.spool());
  auto a = s->append(RecordKind::event, "job:e0", "{\"event_type\":\"flow\"}\n");
  auto b = s->append(RecordKind::alert, "job:a0", "{\"event_type\":\"alert\"}\n");
  auto c = s->append(RecordKind::flow_pcap, "flow:42", std::string("\xd4\xc3\xb2\xa1pcap", 8), 42);
  CHECK(a.status == AppendStatus::stored);
  CHECK(b.stored() && c.stored());
  CHECK(a.id < b.id && b.id < c.id);

  auto all = s->list();
  LONGS_EQUAL(3, all.size());
  CHECK(all[0].kind == RecordKind::event);
  CHECK(all[1].kind == RecordKind::alert);
  CHECK(all[2].kind == RecordKind::flow_pcap);
  LONGS_EQUAL(42, all[2].flow_id);

  Record r;
  std::string err;
  CHECK(s->read(c.id, r, err) == ReadStatus::ok);
  STRCMP_EQUAL("flow:42", r.info.key.c_str());
  LONGS_EQUAL(8, r.payload.size());
  CHECK(r.payload == std::string("\xd4\xc3\xb2\xa1pcap", 8));

  auto oldest_alert = s->oldest({RecordKind::alert});
  CHECK(oldest_alert && oldest_alert->id == b.id);
  auto oldest_other = s->read_oldest({RecordKind::event, RecordKind::flow_pcap});
  CHECK(oldest_other && oldest_other->info.id == a.id);
  STRCMP_EQUAL("{\"event_type\":\"flow\"}\n", oldest_other->payload.c_str());

  CHECK(s->remove(a.id));
  CHECK_FALSE(s->remove(a.id));
  CHECK(s->read(a.id, r, err) == ReadStatus::not_found);
  auto cn = s->counters();
  LONGS_EQUAL(2, cn.records);
  LONGS_EQUAL(3, cn.appended);
  LONGS_EQUAL(1, cn.removed);
  LONGS_EQUAL(1, cn.records_by_kind[kind_index(RecordKind::alert)]);
  LONGS_EQUAL(0, cn.quarantined);
  CHECK(!fs::exists(s->path_of(a.id)));
}

TEST(Spool, EmptyPayloadAndKeyRules) {
  auto s = open_spool(tmp.spool());
  CHECK(s->append(RecordKind::event, "k", "").stored());
  CHECK(s->append(RecordKind::event, "", "x").status == AppendStatus::dropped_invalid);
  CHECK(s->append(RecordKind::event, "bad key", "x").status == AppendStatus::dropped_invalid);
  CHECK(s->append(RecordKind::event, std::string(129, 'k'), "x").status ==
        AppendStatus::dropped_invalid);
  CHECK(s->append(RecordKind::event, std::string(128, 'k'), "x").stored());
  LONGS_EQUAL(3, s->counters().dropped[kind_index(RecordKind::event)]);
  auto r = s->read_oldest({RecordKind::event});
  CHECK(r && r->payload.empty());
}

TEST(Spool, SecondOpenOfTheSameDirectoryIsRefused) {
  auto s = open_spool(tmp.spool());
  std::string err;
  CHECK(Spool::open(tmp.spool(), {}, err) == nullptr);
  CHECK(err.find("in use") != std::string::npos);
}

TEST(Spool, RestartResumesInOrder) {
  std::vector<RecordId> ids;
  {
    auto s = open_spool(tmp.spool());
    for (int i = 0; i < 10; ++i)
      ids.push_back(s->append(i % 3 == 0 ? RecordKind::alert : RecordKind::event,
                              "k" + std::to_string(i), payload_for(i)).id);
    CHECK(s->remove(ids[0]));
    CHECK(s->remove(ids[5]));
  }
  auto s = open_spool(tmp.spool());
  auto all = s->list();
  LONGS_EQUAL(8, all.size());
  std::size_t j = 0;
  for (int i = 0; i < 10; ++i) {
    if (i == 0 || i == 5) continue;
    LONGS_EQUAL(ids[i], all[j].id);
    STRCMP_EQUAL(("k" + std::to_string(i)).c_str(), all[j].key.c_str());
    ++j;
  }
  // New records go behind the old ones, even behind removed ones.
  auto n = s->append(RecordKind::event, "new", "x");
  CHECK(n.id > ids[9]);
  for (int i = 1; i < 10; ++i) {
    if (i == 5) continue;
    auto r = s->read_oldest({RecordKind::alert, RecordKind::event});
    CHECK(r.has_value());
    CHECK(r->payload == payload_for(i));
    s->remove(r->info.id);
  }
  auto last = s->read_oldest({RecordKind::alert, RecordKind::event});
  CHECK(last && last->info.key == "new");
  LONGS_EQUAL(0, s->counters().quarantined);
}

TEST(Spool, SequencesKeepGrowingAfterTheSpoolEmptied) {
  RecordId last;
  {
    auto s = open_spool(tmp.spool());
    last = s->append(RecordKind::event, "a", "1").id;
    s->remove(last);
  }
  auto s = open_spool(tmp.spool());
  CHECK(s->append(RecordKind::event, "b", "2").id > last);
}

TEST(Spool, CorruptRecordsAreQuarantinedAndDoNotBlockTheOthers) {
  std::vector<RecordId> ids;
  {
    auto s = open_spool(tmp.spool());
    for (int i = 0; i < 8; ++i)
      ids.push_back(s->append(RecordKind::event, "k" + std::to_string(i), payload_for(i + 1)).id);
  }
  // 1: payload byte flipped (found at read); 2: truncated; 3: zero length; 4: header byte
  // flipped (found at open); garbage under a record name and under an unknown name.
  flip_byte(tmp.spool() + "/" + record_file_name(ids[1]), 3);
  fs::resize_file(tmp.spool() + "/" + record_file_name(ids[2]), 70);
  fs::resize_file(tmp.spool() + "/" + record_file_name(ids[3]), 0);
  {
    std::fstream f(tmp.spool() + "/" + record_file_name(ids[4]),
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('\x7f');
  }
  write_file(tmp.spool() + "/" + record_file_name(ids[7] + 5), "garbage garbage garbage garbage "
                                                              "garbage garbage garbage garbage");
  write_file(tmp.spool() + "/notes.txt", "not a record");

  auto s = open_spool(tmp.spool());
  // Bad headers, sizes and foreign files are found by the scan.
  LONGS_EQUAL(5, s->counters().quarantined);
  LONGS_EQUAL(5, s->list().size());

  std::vector<int> seen;
  while (auto r = s->read_oldest({RecordKind::event})) {
    for (int i = 0; i < 8; ++i)
      if (r->info.id == ids[i]) {
        CHECK(r->payload == payload_for(i + 1));
        seen.push_back(i);
      }
    s->remove(r->info.id);
  }
  LONGS_EQUAL(4, seen.size());
  LONGS_EQUAL(0, seen[0]);
  LONGS_EQUAL(5, seen[1]);
  LONGS_EQUAL(6, seen[2]);
  LONGS_EQUAL(7, seen[3]);
  auto c = s->counters();
  LONGS_EQUAL(6, c.quarantined);  // + the payload flip, found when read
  LONGS_EQUAL(0, c.records);
  LONGS_EQUAL(6, count_files(tmp.spool() + "/quarantine"));
  CHECK(fs::exists(tmp.spool() + "/quarantine/" + record_file_name(ids[1])));
  CHECK(fs::exists(tmp.spool() + "/quarantine/notes.txt"));
  CHECK(s->last_error().find("quarantined") != std::string::npos);
}

TEST(Spool, CorruptionWhileOpenIsFoundOnRead) {
  auto s = open_spool(tmp.spool());
  auto a = s->append(RecordKind::alert, "a", payload_for(3));
  auto b = s->append(RecordKind::alert, "b", payload_for(4));
  auto c = s->append(RecordKind::alert, "c", payload_for(5));
  flip_byte(s->path_of(a.id), 0);
  fs::resize_file(s->path_of(b.id), 10);
  auto r = s->read_oldest({RecordKind::alert});
  CHECK(r && r->info.id == c.id);
  LONGS_EQUAL(2, s->counters().quarantined);
  // A record file deleted behind the spool's back is skipped and counted as missing.
  auto d = s->append(RecordKind::alert, "d", "x");
  fs::remove(s->path_of(c.id));
  Record out;
  std::string err;
  CHECK(s->read(c.id, out, err) == ReadStatus::not_found);
  LONGS_EQUAL(1, s->counters().missing);
  auto next = s->read_oldest({RecordKind::alert});
  CHECK(next && next->info.id == d.id);
}

TEST(Spool, TempLeftoversAreIgnoredAndCleaned) {
  {
    auto s = open_spool(tmp.spool());
    s->append(RecordKind::event, "k1", "one");
  }
  write_file(tmp.spool() + "/" + record_file_name(99) + ".tmp", "half a rec");
  write_file(tmp.spool() + "/spool.state.tmp", "half a state");
  auto s = open_spool(tmp.spool());
  auto c = s->counters();
  LONGS_EQUAL(1, c.records);
  LONGS_EQUAL(2, c.temp_cleaned);
  LONGS_EQUAL(0, c.quarantined);
  CHECK(!fs::exists(tmp.spool() + "/" + record_file_name(99) + ".tmp"));
  auto r = s->read_oldest({RecordKind::event});
  CHECK(r && r->payload == "one");
}

TEST(Spool, FullSpoolDropsFlowsFirstThenEventsThenAlerts) {
  // Each record is 56 + 2 (key) + 142 = 200 bytes; room for 10.
  SpoolLimits lim;
  lim.max_bytes = 2000;
  auto s = open_spool(tmp.spool(), lim);
  const std::string body(142, 'x');
  int n = 0;
  auto key = [&n] { return "k" + std::to_string(n++ % 10); };
  for (int i = 0; i < 3; ++i) CHECK(s->append(RecordKind::flow_pcap, key(), body, 7).stored());
  for (int i = 0; i < 3; ++i) CHECK(s->append(RecordKind::event, key(), body).stored());
  for (int i = 0; i < 4; ++i) CHECK(s->append(RecordKind::alert, key(), body).stored());
  LONGS_EQUAL(2000, s->counters().bytes);

  // A flow pcap may only evict flow pcaps (oldest first).
  auto first_pcap = s->oldest({RecordKind::flow_pcap})->id;
  auto r = s->append(RecordKind::flow_pcap, key(), body, 8);
  CHECK(r.status == AppendStatus::stored_after_evicting);
  LONGS_EQUAL(1, r.evicted);
  CHECK(s->oldest({RecordKind::flow_pcap})->id != first_pcap);

  // Alerts push out all pcaps, then events, then the oldest alerts.
  for (int i = 0; i < 3; ++i) CHECK(s->append(RecordKind::alert, key(), body).stored());
  auto c = s->counters();
  LONGS_EQUAL(0, c.records_by_kind[kind_index(RecordKind::flow_pcap)]);
  LONGS_EQUAL(3, c.records_by_kind[kind_index(RecordKind::event)]);
  LONGS_EQUAL(4, c.evicted[kind_index(RecordKind::flow_pcap)]);
  for (int i = 0; i < 3; ++i) CHECK(s->append(RecordKind::alert, key(), body).stored());
  c = s->counters();
  LONGS_EQUAL(0, c.records_by_kind[kind_index(RecordKind::event)]);
  LONGS_EQUAL(3, c.evicted[kind_index(RecordKind::event)]);
  LONGS_EQUAL(10, c.records_by_kind[kind_index(RecordKind::alert)]);
  auto oldest_alert = s->oldest({RecordKind::alert})->id;
  CHECK(s->append(RecordKind::alert, key(), body).status == AppendStatus::stored_after_evicting);
  CHECK(s->oldest({RecordKind::alert})->id > oldest_alert);
  LONGS_EQUAL(1, s->counters().evicted[kind_index(RecordKind::alert)]);

  // With only alerts stored, an event or a pcap has nowhere to go: dropped, counted.
  CHECK(s->append(RecordKind::event, key(), body).status == AppendStatus::dropped_full);
  CHECK(s->append(RecordKind::flow_pcap, key(), body, 9).status == AppendStatus::dropped_full);
  c = s->counters();
  LONGS_EQUAL(1, c.dropped[kind_index(RecordKind::event)]);
  LONGS_EQUAL(1, c.dropped[kind_index(RecordKind::flow_pcap)]);
  LONGS_EQUAL(0, c.dropped[kind_index(RecordKind::alert)]);
  LONGS_EQUAL(5, c.lost(RecordKind::flow_pcap));
  CHECK(c.bytes <= 2000);
  LONGS_EQUAL(10, count_files(tmp.spool()) - 2);  // minus .lock and spool.state
}

TEST(Spool, RecordBiggerThanTheSpoolIsRefusedAndCounted) {
  SpoolLimits lim;
  lim.max_bytes = 1000;
  {
    auto s = open_spool(tmp.spool(), lim);
    CHECK(s->append(RecordKind::event, "small", "x").stored());
    auto r = s->append(RecordKind::alert, "big", std::string(1000, 'y'));
    CHECK(r.status == AppendStatus::dropped_too_big);
    CHECK(!r.error.empty());
    LONGS_EQUAL(1, s->counters().dropped[kind_index(RecordKind::alert)]);
    LONGS_EQUAL(1, s->counters().records);  // nothing evicted for a hopeless record
  }
  // Drop counts survive a restart (the heartbeat keeps reporting them).
  auto s = open_spool(tmp.spool(), lim);
  LONGS_EQUAL(1, s->counters().dropped[kind_index(RecordKind::alert)]);
  LONGS_EQUAL(1, s->counters().records);
}

TEST(Spool, CountersSurviveRestartAndBadStateFileIsIgnored) {
  SpoolLimits lim;
  lim.max_bytes = 300;
  {
    auto s = open_spool(tmp.spool(), lim);
    s->append(RecordKind::flow_pcap, "p", std::string(150, 'p'), 1);
    s->append(RecordKind::alert, "a", std::string(150, 'a'));  // evicts the pcap
    auto e = s->append(RecordKind::event, "e", std::string(10, 'e'));
    CHECK(s->reject(e.id, "provider answered 400"));
  }
  {
    auto s = open_spool(tmp.spool(), lim);
    auto c = s->counters();
    LONGS_EQUAL(1, c.evicted[kind_index(RecordKind::flow_pcap)]);
    LONGS_EQUAL(1, c.rejected);
    LONGS_EQUAL(0, c.quarantined);
    LONGS_EQUAL(1, c.records);
  }
  write_file(tmp.spool() + "/spool.state", "vigil-spool-state 1\nrejected 99\ncrc 00000000\n");
  auto s = open_spool(tmp.spool(), lim);
  LONGS_EQUAL(0, s->counters().rejected);
  CHECK(s->last_error().find("checksum") != std::string::npos);
}

TEST(Spool, QuarantineIsBounded) {
  SpoolLimits lim;
  lim.max_quarantine_files = 3;
  auto s = open_spool(tmp.spool(), lim);
  for (int i = 0; i < 6; ++i) {
    auto r = s->append(RecordKind::event, "k" + std::to_string(i), "x");
    s->reject(r.id, "test");
  }
  LONGS_EQUAL(3, count_files(tmp.spool() + "/quarantine"));
  LONGS_EQUAL(6, s->counters().rejected);
}

TEST(Spool, ProducerAndConsumerThreads) {
  auto s = open_spool(tmp.spool());
  constexpr int kN = 300;
  std::thread producer([&] {
    for (int i = 0; i < kN; ++i) s->append(RecordKind::event, "k" + std::to_string(i), payload_for(i));
  });
  int next = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (next < kN && std::chrono::steady_clock::now() < deadline) {
    auto r = s->read_oldest({RecordKind::event});
    if (!r) {
      std::this_thread::yield();
      continue;
    }
    CHECK(r->info.key == "k" + std::to_string(next));
    CHECK(r->payload == payload_for(next));
    CHECK(s->remove(r->info.id));
    ++next;
  }
  producer.join();
  LONGS_EQUAL(kN, next);
  LONGS_EQUAL(0, s->counters().records);
}

// A child appends records in a loop and is SIGKILLed at random instants; after each kill, every
// record the spool shows must be complete and valid (no quarantine), in order, and leftovers of
// the interrupted append must be gone.
TEST(Spool, CrashSimulationSigkillAtRandomInstants) {
  std::mt19937 rng(12345);
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t next_n = 0;  // the child continues numbering where the survivors end
  int rounds = 0;
  while (rounds < 12 && std::chrono::steady_clock::now() - start < std::chrono::seconds(6)) {
    ++rounds;
    pid_t pid = ::fork();
    if (pid == 0) {
      std::string err;
      SpoolLimits lim;
      lim.max_bytes = 2u << 20;  // small enough that eviction runs too
      auto s = Spool::open(tmp.spool(), lim, err);
      if (!s) ::_exit(2);
      for (std::uint64_t n = next_n;; ++n) {
        auto kind = n % 5 == 0 ? RecordKind::alert : n % 5 == 1 ? RecordKind::flow_pcap : RecordKind::event;
        s->append(kind, "n" + std::to_string(n), payload_for(n), n);
      }
    }
    CHECK(pid > 0);
    std::this_thread::sleep_for(std::chrono::microseconds(2000 + rng() % 40000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status));

    auto s = open_spool(tmp.spool(), SpoolLimits{2u << 20, 256, true});
    auto c = s->counters();
    LONGS_EQUAL(0, c.quarantined);
    RecordId prev = 0;
    for (const auto& info : s->list()) {
      CHECK(info.id > prev);
      prev = info.id;
      Record r;
      std::string err;
      CHECK(s->read(info.id, r, err) == ReadStatus::ok);
      const std::uint64_t n = std::stoull(info.key.substr(1));
      CHECK(r.payload == payload_for(n));
      CHECK(info.flow_id == n);
      next_n = std::max(next_n, n + 1);
    }
    for (auto& e : fs::directory_iterator(tmp.spool()))
      CHECK(e.path().extension() != ".tmp");
  }
  CHECK(rounds >= 3);
  CHECK(next_n > 0);  // the children did get records in
}
