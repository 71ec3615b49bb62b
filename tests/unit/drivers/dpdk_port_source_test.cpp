// DpdkPortSource over net_pcap vdevs on the sim board's EAL arguments (no hugepages, no PCI, no
// shared files), checked against the pcap source reading the same files. The EAL is initialised
// once for the whole executable, with one vdev per test file; each port is read by one test.
#include <CppUTest/TestHarness.h>

#include <pcap/pcap.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <algorithm>
#include <string>
#include <vector>

#include "drivers/dpdk/dpdk_eal.h"
#include "drivers/dpdk/dpdk_port_source.h"
#include "drivers/pcap/pcap_file_source.h"
#include "tests/unit/drivers/capture_files.h"

using vigil::LinkType;
using vigil::PacketView;
using vigil::dpdk::DpdkPortOptions;
using vigil::dpdk::DpdkPortSource;
using vigil::test::Received;
using vigil::test::TestPacket;

namespace {

constexpr std::uint64_t kSecond = 1'000'000'000ULL;
constexpr std::uint64_t kEpoch = 1'700'000'000ULL * kSecond;
constexpr std::uint32_t kMbufDataRoom = 2048;  // RTE_MBUF_DEFAULT_DATAROOM: what fits unchained

// One net_pcap vdev per file, in this order.
enum Vdev : std::size_t {
  kMixed,      // Ethernet, microseconds, 150 packets of sizes around the mbuf size and jumbos
  kAlpha,      // Ethernet, 40 packets  } read side by side as two ports
  kBeta,       // raw IP, 25 packets    }
  kNano,       // nanosecond timestamps
  kTruncated,  // 4 complete packets and a cut one
  kSnapped,    // snaplen 128, wire length 1514
  kJumbos,     // 6 jumbo frames and a 30000-byte packet, read with a small linearisation arena
  kEmpty,      // a header and no packet
  kHeld,       // 100 small packets, for mbuf accounting
  kBadRecord,  // 2 good records, one whose captured length libpcap refuses, 2 more good ones
  kStall,      // 3 packets, replayed as if the file had more: the empty-poll safety net ends it
  kVdevCount,
};

struct SimBoard {
  vigil::test::TempDir dir;
  std::vector<std::string> files;
  std::vector<std::vector<TestPacket>> packets;
  std::vector<vigil::dpdk::ReplayFile> replay;
  std::shared_ptr<vigil::dpdk::Eal> eal;
  std::string err;

  SimBoard() {
    files.resize(kVdevCount);
    packets.resize(kVdevCount);
    auto add = [&](Vdev v, const std::string& name, int dlt, std::uint32_t snaplen, bool nano,
                   std::vector<TestPacket> p) {
      files[v] = dir.file(name);
      packets[v] = std::move(p);
      if (!vigil::test::write_pcap(files[v], dlt, snaplen, nano, packets[v])) {
        err = "cannot write " + files[v];
      }
    };
    add(kMixed, "mixed.pcap", DLT_EN10MB, 65535, false,
        vigil::test::make_packets(150, {60, 1514, 9000, 64, 200, 2048, 2049, 4000}, 21,
                                  kEpoch + 5'000, 1'003'000));
    add(kAlpha, "alpha.pcap", DLT_EN10MB, 65535, false,
        vigil::test::make_packets(40, {60, 700, 1514}, 22, kEpoch, 10'000));
    add(kBeta, "beta.pcap", DLT_RAW, 65535, false,
        vigil::test::make_packets(25, {40, 576, 1500}, 23, kEpoch + 3'000, 7'000));
    add(kNano, "nano.pcap", DLT_EN10MB, 65535, true,
        vigil::test::make_packets(9, {60, 3000}, 24, kEpoch + 123'456'789, 1'000'000'001));
    add(kSnapped, "snapped.pcap", DLT_EN10MB, 128, false,
        vigil::test::make_packets(5, {1514, 100}, 26, kEpoch, 1000));
    add(kJumbos, "jumbos.pcap", DLT_EN10MB, 65535, false,
        vigil::test::make_packets(7, {9000, 9000, 9000, 30000, 9000, 9000, 9000}, 27, kEpoch,
                                  1000));
    add(kEmpty, "empty.pcap", DLT_EN10MB, 65535, false, {});
    add(kHeld, "held.pcap", DLT_EN10MB, 65535, false,
        vigil::test::make_packets(100, {60}, 28, kEpoch, 1000));
    // The truncated file is written by hand: 4 complete records and 30 bytes of the 5th.
    files[kTruncated] = dir.file("truncated.pcap");
    packets[kTruncated] = vigil::test::make_packets(5, {200}, 25, kEpoch, 1000);
    auto cut = vigil::test::pcap_bytes(1, 65535, packets[kTruncated]);
    cut.resize(cut.size() - 170);
    packets[kTruncated].pop_back();
    if (!vigil::test::write_bytes(files[kTruncated], cut)) err = "cannot write truncated.pcap";
    files[kBadRecord] = dir.file("bad-record.pcap");
    packets[kBadRecord] = vigil::test::make_packets(5, {60}, 29, kEpoch, 1000);
    auto bad = vigil::test::pcap_bytes(1, 65535, packets[kBadRecord]);
    const std::size_t caplen_at = 24 + 2 * (16 + 60) + 8;  // third record's captured length
    bad[caplen_at + 2] = 0x10;                            // 60 + 0x100000: over any snaplen
    if (!vigil::test::write_bytes(files[kBadRecord], bad)) err = "cannot write bad-record.pcap";
    add(kStall, "stall.pcap", DLT_EN10MB, 65535, false,
        vigil::test::make_packets(3, {60}, 30, kEpoch, 1000));
    if (!err.empty()) return;

    // Checked before the EAL sees them, as the replay command does.
    for (const std::string& f : files) {
      auto checked = vigil::dpdk::check_replay_file(f, err);
      if (!checked) return;
      replay.push_back(*checked);
    }
    vigil::dpdk::SimEalOptions options;
    options.rx_pcaps = files;
    options.memory_mb = 256;
    eal = vigil::dpdk::Eal::init(vigil::dpdk::sim_eal_args(options), err);
  }
};

SimBoard& board() {
  static SimBoard b;
  return b;
}

std::unique_ptr<DpdkPortSource> open_replay(Vdev v, std::uint16_t port_index,
                                            const DpdkPortOptions& options = {}) {
  std::string err;
  auto src = DpdkPortSource::open_pcap_replay(board().eal, board().replay[v], v, port_index,
                                              options, err);
  CHECK_TEXT(src != nullptr, err.c_str());
  return src;
}

Received copy_view(const PacketView& v) {
  Received r;
  r.bytes.assign(v.data, v.data + v.caplen);
  r.caplen = v.caplen;
  r.wire_len = v.wire_len;
  r.ts_ns = v.ts_ns;
  r.port = v.port;
  r.link_type = v.link_type;
  return r;
}

// Views of single-segment mbufs must point into the mbuf's own buffer; chained ones into the
// source's linearisation arena (outside every segment).
void check_zero_copy(const PacketView& v) {
  const auto* m = static_cast<const rte_mbuf*>(v.handle);
  CHECK(m != nullptr);
  const auto* buf = static_cast<const std::uint8_t*>(m->buf_addr);
  const bool inside = v.data >= buf && v.data + v.caplen <= buf + m->buf_len;
  if (m->nb_segs == 1) {
    CHECK(v.data == rte_pktmbuf_mtod(m, const std::uint8_t*));
    CHECK(inside);
  } else {
    CHECK_FALSE(inside);
    CHECK(m->pkt_len > kMbufDataRoom);
  }
  // A replay restores the record's original length, which is never below what the mbuf holds.
  CHECK(v.wire_len >= m->pkt_len || m->nb_segs > 1);
}

struct Drained {
  std::vector<Received> packets;
  bool done_early = false;  // done() turned true before the last packet was delivered
};

Drained drain(vigil::PacketSource& src, std::size_t burst, std::size_t expected) {
  Drained out;
  std::vector<PacketView> views(burst);
  for (int polls = 0; polls < 100000 && !src.done(); ++polls) {
    const std::size_t n = src.rx_burst(views);
    for (std::size_t i = 0; i < n; ++i) {
      if (views[i].handle != nullptr) check_zero_copy(views[i]);
      out.packets.push_back(copy_view(views[i]));
    }
    src.release_burst();
    if (src.done() && out.packets.size() < expected) out.done_early = true;
  }
  return out;
}

std::vector<Received> read_with_pcap_source(const std::string& path, std::uint16_t port,
                                            std::string* error = nullptr) {
  std::string err;
  auto src = vigil::open_pcap_file(path, port, err);
  CHECK_TEXT(src != nullptr, err.c_str());
  auto got = drain(*src, 32, 0).packets;
  if (error != nullptr) *error = src->error();
  return got;
}

void check_same(const std::vector<Received>& expected, const std::vector<Received>& got) {
  UNSIGNED_LONGS_EQUAL(expected.size(), got.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    UNSIGNED_LONGS_EQUAL(expected[i].caplen, got[i].caplen);
    UNSIGNED_LONGS_EQUAL(expected[i].wire_len, got[i].wire_len);
    UNSIGNED_LONGLONGS_EQUAL(expected[i].ts_ns, got[i].ts_ns);
    UNSIGNED_LONGS_EQUAL(expected[i].port, got[i].port);
    CHECK(expected[i].link_type == got[i].link_type);
    CHECK(expected[i].bytes == got[i].bytes);
  }
}

std::size_t mbufs_in_use(std::uint16_t eth_port) {
  const std::string name = "vigil_rx_" + std::to_string(eth_port);
  const rte_mempool* pool = rte_mempool_lookup(name.c_str());
  CHECK_TEXT(pool != nullptr, name.c_str());
  return rte_mempool_in_use_count(pool);
}

}  // namespace

TEST_GROUP(DpdkPortSource) {
  void setup() override { CHECK_TEXT(board().eal != nullptr, board().err.c_str()); }
};

TEST(DpdkPortSource, DeliversTheSamePacketsAsThePcapSource) {
  const auto& expected_packets = board().packets[kMixed];
  auto src = open_replay(kMixed, 4);
  CHECK(src->clock() == DpdkPortSource::Clock::pmd_microseconds);
  vigil::SourceProgress p = src->progress();
  CHECK(p.unit == vigil::SourceProgress::Unit::packets);
  UNSIGNED_LONGLONGS_EQUAL(150, p.total);
  UNSIGNED_LONGLONGS_EQUAL(0, p.consumed);
  STRCMP_EQUAL(board().files[kMixed].c_str(), std::string(p.name).c_str());

  const Drained got = drain(*src, 32, expected_packets.size());
  CHECK_FALSE(got.done_early);
  CHECK(src->done());
  STRCMP_EQUAL("", src->error().c_str());
  check_same(read_with_pcap_source(board().files[kMixed], 4), got.packets);

  p = src->progress();
  UNSIGNED_LONGLONGS_EQUAL(150, p.packets);
  DOUBLES_EQUAL(1.0, p.fraction(), 1e-9);
  const vigil::dpdk::DpdkPortStats stats = src->stats();
  const auto chained = std::count_if(expected_packets.begin(), expected_packets.end(),
                                     [](const TestPacket& t) { return t.bytes.size() > kMbufDataRoom; });
  CHECK(chained > 0);
  UNSIGNED_LONGLONGS_EQUAL(static_cast<std::uint64_t>(chained), stats.linearised);
  UNSIGNED_LONGLONGS_EQUAL(0, stats.cut);
  UNSIGNED_LONGLONGS_EQUAL(150, stats.rx_packets);
  UNSIGNED_LONGLONGS_EQUAL(0, stats.rx_errors);
  UNSIGNED_LONGLONGS_EQUAL(0, stats.rx_nombuf);
  UNSIGNED_LONGS_EQUAL(0, mbufs_in_use(src->eth_port()));
}

TEST(DpdkPortSource, TwoFilesAreTwoPorts) {
  auto alpha = open_replay(kAlpha, 0);
  auto beta = open_replay(kBeta, 1);
  std::vector<Received> from_alpha;
  std::vector<Received> from_beta;
  std::vector<PacketView> views(8);
  for (int polls = 0; polls < 10000 && !(alpha->done() && beta->done()); ++polls) {
    for (auto* src : {alpha.get(), beta.get()}) {
      const std::size_t n = src->rx_burst(views);
      for (std::size_t i = 0; i < n; ++i) {
        (views[i].port == 0 ? from_alpha : from_beta).push_back(copy_view(views[i]));
      }
      src->release_burst();
    }
  }
  check_same(read_with_pcap_source(board().files[kAlpha], 0), from_alpha);
  check_same(read_with_pcap_source(board().files[kBeta], 1), from_beta);
  CHECK(from_beta.front().link_type == LinkType::raw);
  CHECK(from_alpha.front().link_type == LinkType::ethernet);
}

TEST(DpdkPortSource, NanosecondFileKeepsItsNanoseconds) {
  // net_pcap 22.11 stamps mbufs in microseconds; the replay restores the record's nanoseconds.
  auto src = open_replay(kNano, 0);
  const Drained got = drain(*src, 32, 9);
  auto expected = read_with_pcap_source(board().files[kNano], 0);
  UNSIGNED_LONGLONGS_EQUAL(kEpoch + 123'456'789, expected[0].ts_ns);
  check_same(expected, got.packets);
  UNSIGNED_LONGLONGS_EQUAL(0, src->stats().record_mismatch);
}

TEST(DpdkPortSource, TruncatedFileDeliversTheCompletePacketsThenTheError) {
  auto src = open_replay(kTruncated, 0);
  const Drained got = drain(*src, 32, 4);
  CHECK_FALSE(got.done_early);
  CHECK(src->done());
  std::string pcap_error;
  check_same(read_with_pcap_source(board().files[kTruncated], 0, &pcap_error), got.packets);
  CHECK(pcap_error.find(": truncated after 4 complete packets (") != std::string::npos);
  STRCMP_EQUAL(pcap_error.c_str(), src->error().c_str());
  PacketView v;
  UNSIGNED_LONGS_EQUAL(0, src->rx_burst({&v, 1}));
}

TEST(DpdkPortSource, SnappedPacketsKeepTheirWireLength) {
  // net_pcap sets pkt_len to the captured length; the replay restores the record's length.
  auto src = open_replay(kSnapped, 0);
  const Drained got = drain(*src, 32, 5);
  auto expected = read_with_pcap_source(board().files[kSnapped], 0);
  UNSIGNED_LONGS_EQUAL(1514, expected[0].wire_len);
  UNSIGNED_LONGS_EQUAL(128, expected[0].caplen);
  check_same(expected, got.packets);
  UNSIGNED_LONGLONGS_EQUAL(0, src->stats().record_mismatch);
}

TEST(DpdkPortSource, ChainedPacketsAreLinearisedIntoABoundedArena) {
  DpdkPortOptions options;
  options.linear_arena_bytes = 20000;  // two 9000-byte frames per burst; the 30000-byte one is cut
  auto src = open_replay(kJumbos, 0, options);
  std::vector<PacketView> views(32);
  const std::size_t first = src->rx_burst(views);
  UNSIGNED_LONGS_EQUAL(2, first);
  std::vector<Received> got;
  for (std::size_t i = 0; i < first; ++i) got.push_back(copy_view(views[i]));
  auto rest = drain(*src, 32, 5).packets;
  got.insert(got.end(), rest.begin(), rest.end());

  auto expected = read_with_pcap_source(board().files[kJumbos], 0);
  UNSIGNED_LONGS_EQUAL(30000, expected[3].caplen);
  expected[3].bytes.resize(20000);
  expected[3].caplen = 20000;
  check_same(expected, got);
  const vigil::dpdk::DpdkPortStats stats = src->stats();
  UNSIGNED_LONGLONGS_EQUAL(7, stats.linearised);
  UNSIGNED_LONGLONGS_EQUAL(1, stats.cut);
}

TEST(DpdkPortSource, BadRecordEndsTheReplayWhereThePcapSourceStops) {
  auto src = open_replay(kBadRecord, 0);
  const Drained got = drain(*src, 32, 2);
  std::string pcap_error;
  check_same(read_with_pcap_source(board().files[kBadRecord], 0, &pcap_error), got.packets);
  UNSIGNED_LONGS_EQUAL(2, got.packets.size());
  CHECK(pcap_error.find(": bad packet record after 2 complete packets (") != std::string::npos);
  STRCMP_EQUAL(pcap_error.c_str(), src->error().c_str());
  UNSIGNED_LONGLONGS_EQUAL(1, src->stats().rx_errors);
}

TEST(DpdkPortSource, PortThatStopsDeliveringEndsWithAnError) {
  vigil::dpdk::ReplayFile claimed = board().replay[kStall];
  claimed.scan.packets += 2;  // the port will never deliver these
  std::string err;
  auto src = DpdkPortSource::open_pcap_replay(board().eal, claimed, kStall, 0, {}, err);
  CHECK_TEXT(src != nullptr, err.c_str());
  std::vector<PacketView> views(32);
  std::size_t delivered = 0;
  std::uint32_t polls = 0;
  for (; polls < 10 * DpdkPortSource::kMaxEmptyPolls && !src->done(); ++polls) {
    delivered += src->rx_burst(views);
  }
  CHECK(src->done());
  UNSIGNED_LONGS_EQUAL(3, delivered);
  CHECK(polls > DpdkPortSource::kMaxEmptyPolls);
  STRCMP_EQUAL((board().files[kStall] + ": the DPDK port stopped after 3 of 5 packets").c_str(),
               src->error().c_str());
}

TEST(DpdkPortSource, HeaderOnlyFileIsDoneAtOnce) {
  auto src = open_replay(kEmpty, 0);
  CHECK(src->done());
  STRCMP_EQUAL("", src->error().c_str());
  PacketView v;
  UNSIGNED_LONGS_EQUAL(0, src->rx_burst({&v, 1}));
}

TEST(DpdkPortSource, BurstMbufsAreFreedOnReleaseOnNextBurstAndOnClose) {
  auto src = open_replay(kHeld, 0);
  const std::uint16_t eth_port = src->eth_port();
  std::string err;
  CHECK(DpdkPortSource::open_pcap_replay(board().eal, board().replay[kHeld], kHeld, 1, {}, err) ==
        nullptr);
  STRCMP_EQUAL(("DPDK port " + std::to_string(eth_port) + " (net_pcap" + std::to_string(kHeld) +
                "): already used by another source")
                   .c_str(),
               err.c_str());
  std::vector<PacketView> views(32);
  UNSIGNED_LONGS_EQUAL(32, src->rx_burst(views));
  UNSIGNED_LONGS_EQUAL(32, mbufs_in_use(eth_port));
  UNSIGNED_LONGS_EQUAL(32, src->rx_burst(views));  // no release_burst(): rx_burst() releases
  UNSIGNED_LONGS_EQUAL(32, mbufs_in_use(eth_port));
  src->release_burst();
  UNSIGNED_LONGS_EQUAL(0, mbufs_in_use(eth_port));
  UNSIGNED_LONGS_EQUAL(32, src->rx_burst(views));
  src.reset();  // a held burst goes back with the port; the mempool goes too
  const std::string name = "vigil_rx_" + std::to_string(eth_port);
  CHECK(rte_mempool_lookup(name.c_str()) == nullptr);
}

TEST(DpdkPortSource, PortMissingFromTheEalArgumentsIsAnError) {
  std::string err;
  auto src = DpdkPortSource::open_pcap_replay(board().eal, board().replay[kMixed], 99, 0, {}, err);
  CHECK(src == nullptr);
  STRCMP_EQUAL((board().files[kMixed] + ": no DPDK port net_pcap99 (the EAL arguments must list "
                                        "this file)")
                   .c_str(),
               err.c_str());
}

TEST(DpdkPortSource, EalIsInitialisedOncePerProcess) {
  std::string err;
  vigil::dpdk::SimEalOptions options;
  auto again = vigil::dpdk::Eal::init(vigil::dpdk::sim_eal_args(options), err);
  CHECK(again == nullptr);
  STRCMP_EQUAL("the DPDK EAL is already initialised in this process; DPDK allows one "
               "initialisation per process",
               err.c_str());
}

TEST_GROUP(ReplayFileCheck) {
  vigil::test::TempDir dir;

  void same_error_as_pcap_source(const std::string& path) {
    std::string pcap_err;
    CHECK(vigil::open_pcap_file(path, 0, pcap_err) == nullptr);
    std::string err;
    CHECK_FALSE(vigil::dpdk::check_replay_file(path, err).has_value());
    CHECK(!err.empty());
    STRCMP_EQUAL(pcap_err.c_str(), err.c_str());
  }
};

TEST(ReplayFileCheck, GivesThePcapSourceErrors) {
  same_error_as_pcap_source(dir.file("missing.pcap"));
  const std::string junk = dir.file("junk.pcap");
  CHECK(vigil::test::write_bytes(junk, {'n', 'o', 'p', 'e', 0, 0, 0, 0}));
  same_error_as_pcap_source(junk);
  const std::string empty = dir.file("empty.pcap");
  CHECK(vigil::test::write_bytes(empty, {}));
  same_error_as_pcap_source(empty);
  const std::string header = dir.file("header.pcap");
  auto bytes = vigil::test::pcap_bytes(1, 65535, {});
  bytes.resize(20);
  CHECK(vigil::test::write_bytes(header, bytes));
  same_error_as_pcap_source(header);
  const std::string wifi = dir.file("wifi.pcap");
  CHECK(vigil::test::write_pcap(wifi, DLT_IEEE802_11, 65535, false, {}));
  same_error_as_pcap_source(wifi);
}

TEST(ReplayFileCheck, CountsPacketsAndKeepsTheTruncationError) {
  const std::string path = dir.file("cut.pcap");
  auto bytes = vigil::test::pcap_bytes(1, 65535, vigil::test::make_packets(3, {90}, 31, kEpoch, 1));
  bytes.resize(bytes.size() - 1);
  CHECK(vigil::test::write_bytes(path, bytes));
  std::string err;
  auto file = vigil::dpdk::check_replay_file(path, err);
  CHECK_TEXT(file.has_value(), err.c_str());
  UNSIGNED_LONGLONGS_EQUAL(2, file->scan.packets);
  CHECK(file->scan.error.starts_with(path + ": truncated after 2 complete packets ("));
}

TEST(ReplayFileCheck, RefusesNamesThatCannotBeVdevArguments) {
  const std::string path = dir.file("a,b.pcap");
  CHECK(vigil::test::write_pcap(path, DLT_EN10MB, 65535, false, {}));
  std::string err;
  CHECK_FALSE(vigil::dpdk::check_replay_file(path, err).has_value());
  STRCMP_EQUAL((path + ": the file name contains ',' or '=', which a DPDK vdev argument cannot "
                       "carry")
                   .c_str(),
               err.c_str());
}

TEST_GROUP(SimEalArgs) {};

TEST(SimEalArgs, DescribeTheSimBoard) {
  vigil::dpdk::SimEalOptions options;
  options.rx_pcaps = {"a.pcap", "dir/b.pcap"};
  options.extra_vdevs = {"net_ring0"};
  options.memory_mb = 128;
  const std::vector<std::string> args = vigil::dpdk::sim_eal_args(options);
  auto has = [&](const std::string& a) { return std::find(args.begin(), args.end(), a) != args.end(); };
  STRCMP_EQUAL("vigil", args.front().c_str());
  CHECK(has("--no-huge"));
  CHECK(has("--no-pci"));
  CHECK(has("--no-shconf"));
  CHECK(has("--log-level=error"));
  CHECK(has("--file-prefix=vigil-sim"));
  const auto m = std::find(args.begin(), args.end(), "-m");
  CHECK(m != args.end() && m + 1 != args.end());
  STRCMP_EQUAL("128", (m + 1)->c_str());
  const auto first = std::find(args.begin(), args.end(), "--vdev=net_pcap0,rx_pcap=a.pcap");
  const auto second = std::find(args.begin(), args.end(), "--vdev=net_pcap1,rx_pcap=dir/b.pcap");
  CHECK(first != args.end());
  CHECK(second == first + 1);
  CHECK(has("--vdev=net_ring0"));
  CHECK_FALSE(has("-d"));

  options.verbose = true;
  options.pmd_dir = "pmds";
  const std::vector<std::string> loud = vigil::dpdk::sim_eal_args(options);
  CHECK(std::find(loud.begin(), loud.end(), "--log-level=info") != loud.end());
  const auto d = std::find(loud.begin(), loud.end(), "-d");
  CHECK(d != loud.end() && d + 1 != loud.end());
  STRCMP_EQUAL("pmds", (d + 1)->c_str());
}
