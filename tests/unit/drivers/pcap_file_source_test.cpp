// PcapFileSource and count_pcap_packets over captures written by the test itself.
#include <CppUTest/TestHarness.h>

#include <pcap/pcap.h>
#include <sys/stat.h>

#include <array>
#include <string>
#include <vector>

#include "drivers/pcap/capture_file.h"
#include "drivers/pcap/pcap_file_source.h"
#include "tests/unit/drivers/capture_files.h"

using vigil::LinkType;
using vigil::PacketView;
using vigil::PcapFileSource;
using vigil::test::Received;
using vigil::test::TestPacket;

namespace {

constexpr std::uint64_t kSecond = 1'000'000'000ULL;
constexpr std::uint64_t kEpoch = 1'700'000'000ULL * kSecond;  // November 2023

// Reads the source to its end in bursts of `burst`, checking every view of a burst is still
// intact after the whole burst has been filled (the arena must not be reused within a burst).
std::vector<Received> read_all(vigil::PacketSource& src, std::size_t burst) {
  std::vector<Received> out;
  std::vector<PacketView> views(burst);
  for (int guard = 0; guard < 100000 && !src.done(); ++guard) {
    const std::size_t n = src.rx_burst(views);
    for (std::size_t i = 0; i < n; ++i) {
      const PacketView& v = views[i];
      Received r;
      r.bytes.assign(v.data, v.data + v.caplen);
      r.caplen = v.caplen;
      r.wire_len = v.wire_len;
      r.ts_ns = v.ts_ns;
      r.port = v.port;
      r.link_type = v.link_type;
      out.push_back(std::move(r));
    }
    src.release_burst();
  }
  return out;
}

void check_same(const std::vector<TestPacket>& expected, const std::vector<Received>& got,
                std::uint16_t port, LinkType link) {
  UNSIGNED_LONGS_EQUAL(expected.size(), got.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const TestPacket& e = expected[i];
    const Received& r = got[i];
    UNSIGNED_LONGS_EQUAL(e.bytes.size(), r.caplen);
    UNSIGNED_LONGS_EQUAL(e.wire_len, r.wire_len);
    UNSIGNED_LONGLONGS_EQUAL(e.ts_ns, r.ts_ns);
    UNSIGNED_LONGS_EQUAL(port, r.port);
    CHECK(link == r.link_type);
    CHECK(e.bytes == r.bytes);
  }
}

std::string open_error(const std::string& path) {
  std::string err;
  auto src = vigil::open_pcap_file(path, 0, err);
  CHECK(src == nullptr);
  CHECK(err.find('\n') == std::string::npos);
  return err;
}

}  // namespace

TEST_GROUP(PcapFileSource) {
  vigil::test::TempDir dir;
};

TEST(PcapFileSource, ReadsExactPacketsOfAMicrosecondFile) {
  // Microsecond file: times are whole microseconds.
  const auto packets = vigil::test::make_packets(7, {60, 1514, 9000, 64, 200, 1, 4000}, 1,
                                                 kEpoch + 123'456'000, 1'001'000);
  const std::string path = dir.file("micro.pcap");
  CHECK(vigil::test::write_pcap(path, DLT_EN10MB, 65535, false, packets));
  std::string err;
  auto src = vigil::open_pcap_file(path, 3, err);
  CHECK_TEXT(src != nullptr, err.c_str());
  CHECK(src->link_type() == LinkType::ethernet);
  CHECK_FALSE(src->done());
  check_same(packets, read_all(*src, 32), 3, LinkType::ethernet);
  CHECK(src->done());
  STRCMP_EQUAL("", src->error().c_str());
}

TEST(PcapFileSource, KeepsNanosecondsOfANanosecondFile) {
  const auto packets =
      vigil::test::make_packets(5, {100, 60}, 2, kEpoch + 999'999'999, 1'234'567'891);
  const std::string path = dir.file("nano.pcap");
  CHECK(vigil::test::write_pcap(path, DLT_EN10MB, 65535, true, packets));
  std::string err;
  auto src = vigil::open_pcap_file(path, 0, err);
  CHECK_TEXT(src != nullptr, err.c_str());
  const auto got = read_all(*src, 4);
  check_same(packets, got, 0, LinkType::ethernet);
  UNSIGNED_LONGLONGS_EQUAL(kEpoch + 999'999'999 + 1'234'567'891, got[1].ts_ns);
}

TEST(PcapFileSource, SnappedPacketsKeepTheirWireLength) {
  auto packets = vigil::test::make_packets(3, {1514, 80, 300}, 3, kEpoch, 1000);
  const std::string path = dir.file("snapped.pcap");
  CHECK(vigil::test::write_pcap(path, DLT_EN10MB, 128, false, packets));
  std::string err;
  auto src = vigil::open_pcap_file(path, 0, err);
  CHECK_TEXT(src != nullptr, err.c_str());
  const auto got = read_all(*src, 8);
  UNSIGNED_LONGS_EQUAL(3, got.size());
  UNSIGNED_LONGS_EQUAL(128, got[0].caplen);
  UNSIGNED_LONGS_EQUAL(1514, got[0].wire_len);
  CHECK(std::vector<std::uint8_t>(packets[0].bytes.begin(), packets[0].bytes.begin() + 128) ==
        got[0].bytes);
  UNSIGNED_LONGS_EQUAL(80, got[1].caplen);
  UNSIGNED_LONGS_EQUAL(80, got[1].wire_len);
  UNSIGNED_LONGS_EQUAL(128, got[2].caplen);
  UNSIGNED_LONGS_EQUAL(300, got[2].wire_len);
}

TEST(PcapFileSource, ReadsPcapngAtNanosecondAndDefaultResolution) {
  const auto packets = vigil::test::make_packets(4, {60, 1514, 333}, 4, kEpoch + 7, 1'000'003);
  const std::string nano = dir.file("nano.pcapng");
  CHECK(vigil::test::write_bytes(nano, vigil::test::pcapng_bytes(1, true, packets)));
  std::string err;
  auto src = vigil::open_pcap_file(nano, 1, err);
  CHECK_TEXT(src != nullptr, err.c_str());
  check_same(packets, read_all(*src, 32), 1, LinkType::ethernet);
  STRCMP_EQUAL("", src->error().c_str());

  // Without if_tsresol, pcapng times are microseconds: the source reports them in nanoseconds.
  auto micro_packets = packets;
  for (TestPacket& p : micro_packets) p.ts_ns -= p.ts_ns % 1000;
  const std::string micro = dir.file("micro.pcapng");
  CHECK(vigil::test::write_bytes(micro, vigil::test::pcapng_bytes(229, false, micro_packets)));
  src = vigil::open_pcap_file(micro, 2, err);
  CHECK_TEXT(src != nullptr, err.c_str());
  check_same(micro_packets, read_all(*src, 3), 2, LinkType::ipv6);
}

TEST(PcapFileSource, MapsEveryDecodableLinkType) {
  struct Case {
    int dlt;
    LinkType expected;
  };
  const std::array<Case, 8> cases = {{
      {DLT_NULL, LinkType::null_loopback},
      {DLT_EN10MB, LinkType::ethernet},
      {DLT_RAW, LinkType::raw},  // written to the file as LINKTYPE_RAW (101)
      {DLT_LOOP, LinkType::loop},
      {DLT_LINUX_SLL, LinkType::linux_sll},
      {DLT_IPV4, LinkType::ipv4},
      {DLT_IPV6, LinkType::ipv6},
      {DLT_LINUX_SLL2, LinkType::linux_sll2},
  }};
  const auto packets = vigil::test::make_packets(1, {40}, 5, kEpoch, 0);
  for (const Case& c : cases) {
    const std::string path = dir.file("dlt" + std::to_string(c.dlt) + ".pcap");
    CHECK(vigil::test::write_pcap(path, c.dlt, 65535, false, packets));
    std::string err;
    auto src = vigil::open_pcap_file(path, 0, err);
    CHECK_TEXT(src != nullptr, err.c_str());
    CHECK_TEXT(src->link_type() == c.expected, path.c_str());
    PacketView v;
    UNSIGNED_LONGS_EQUAL(1, src->rx_burst({&v, 1}));
    CHECK(v.link_type == c.expected);
  }
  // 12 and 14 in a file header are raw IP too (Linux and OpenBSD's DLT_RAW).
  for (std::uint32_t linktype : {12u, 14u}) {
    const std::string path = dir.file("raw" + std::to_string(linktype) + ".pcap");
    CHECK(vigil::test::write_bytes(path, vigil::test::pcap_bytes(linktype, 65535, packets)));
    std::string err;
    auto src = vigil::open_pcap_file(path, 0, err);
    CHECK_TEXT(src != nullptr, err.c_str());
    CHECK(src->link_type() == LinkType::raw);
  }
}

TEST(PcapFileSource, UnsupportedLinkTypeIsAnOpenError) {
  const std::string supported =
      "; supported: EN10MB, NULL, LOOP, RAW, IPV4, IPV6, LINUX_SLL, LINUX_SLL2, PPP, PPP_SERIAL, "
      "PPP_ETHER, C_HDLC, PPP_WITH_DIR";
  const std::string path = dir.file("user0.pcap");
  CHECK(vigil::test::write_pcap(path, DLT_USER0, 65535, false,
                                vigil::test::make_packets(1, {40}, 6, kEpoch, 0)));
  STRCMP_EQUAL((path + ": unsupported link type 147" + supported).c_str(), open_error(path).c_str());

  const std::string wifi = dir.file("wifi.pcap");
  CHECK(vigil::test::write_pcap(wifi, DLT_IEEE802_11, 65535, false,
                                vigil::test::make_packets(1, {40}, 6, kEpoch, 0)));
  STRCMP_EQUAL((wifi + ": unsupported link type 105 (IEEE802_11)" + supported).c_str(),
               open_error(wifi).c_str());
}

TEST(PcapFileSource, MissingFile) {
  const std::string path = dir.file("absent.pcap");
  STRCMP_EQUAL((path + ": cannot open: No such file or directory").c_str(),
               open_error(path).c_str());
}

TEST(PcapFileSource, DirectoryIsNotACapture) {
  STRCMP_EQUAL((dir.path() + ": not a regular file").c_str(), open_error(dir.path()).c_str());
}

TEST(PcapFileSource, EmptyFile) {
  const std::string path = dir.file("empty.pcap");
  CHECK(vigil::test::write_bytes(path, {}));
  STRCMP_EQUAL((path + ": empty file (0 bytes), not a capture").c_str(), open_error(path).c_str());
}

TEST(PcapFileSource, BadMagic) {
  const std::string path = dir.file("text.pcap");
  const std::string text = "hello, this is not a capture\n";
  CHECK(vigil::test::write_bytes(path, std::vector<std::uint8_t>(text.begin(), text.end())));
  STRCMP_EQUAL((path + ": not a pcap or pcapng file (magic 68 65 6c 6c)").c_str(),
               open_error(path).c_str());
}

TEST(PcapFileSource, TruncatedInTheFileHeader) {
  auto bytes = vigil::test::pcap_bytes(1, 65535, {});
  bytes.resize(10);
  const std::string path = dir.file("short-header.pcap");
  CHECK(vigil::test::write_bytes(path, bytes));
  const std::string err = open_error(path);
  CHECK_TEXT(err.starts_with(path + ": truncated in the file header ("), err.c_str());

  const std::string tiny = dir.file("tiny.pcap");
  CHECK(vigil::test::write_bytes(tiny, {0xd4, 0xc3}));
  STRCMP_EQUAL((tiny + ": truncated in the file header (2 bytes)").c_str(),
               open_error(tiny).c_str());
}

TEST(PcapFileSource, TruncatedMidPacketDeliversTheCompletePacketsThenTheError) {
  const auto packets = vigil::test::make_packets(4, {100}, 7, kEpoch, 1000);
  auto bytes = vigil::test::pcap_bytes(1, 65535, packets);
  bytes.resize(bytes.size() - 60);  // the 4th record keeps its header and 40 of 100 bytes
  const std::string path = dir.file("cut.pcap");
  CHECK(vigil::test::write_bytes(path, bytes));
  std::string err;
  auto src = vigil::open_pcap_file(path, 0, err);
  CHECK_TEXT(src != nullptr, err.c_str());
  const auto got = read_all(*src, 32);
  check_same({packets.begin(), packets.begin() + 3}, got, 0, LinkType::ethernet);
  CHECK(src->done());
  STRCMP_EQUAL((path + ": truncated after 3 complete packets (truncated dump file; tried to read "
                       "100 captured bytes, only got 40)")
                   .c_str(),
               src->error().c_str());
  PacketView v;
  UNSIGNED_LONGS_EQUAL(0, src->rx_burst({&v, 1}));
}

TEST(PcapFileSource, TruncatedInARecordHeader) {
  const auto packets = vigil::test::make_packets(2, {70}, 8, kEpoch, 1000);
  auto bytes = vigil::test::pcap_bytes(1, 65535, packets);
  bytes.resize(bytes.size() - 70 - 6);  // 10 of the 2nd record's 16 header bytes
  const std::string path = dir.file("cut-header.pcap");
  CHECK(vigil::test::write_bytes(path, bytes));
  std::string err;
  auto src = vigil::open_pcap_file(path, 0, err);
  CHECK_TEXT(src != nullptr, err.c_str());
  UNSIGNED_LONGS_EQUAL(1, read_all(*src, 32).size());
  CHECK(src->done());
  STRCMP_EQUAL((path + ": truncated after 1 complete packet (truncated dump file; tried to read 16 "
                       "header bytes, only got 10)")
                   .c_str(),
               src->error().c_str());
}

TEST(PcapFileSource, CaptureLengthBeyondTheSnapshotLengthStopsTheFile) {
  auto packets = vigil::test::make_packets(2, {60}, 9, kEpoch, 1000);
  auto bytes = vigil::test::pcap_bytes(1, 65535, packets);
  // Second record claims 300000 captured bytes, more than libpcap accepts for any snaplen.
  const std::size_t caplen_at = 24 + 16 + 60 + 8;
  bytes[caplen_at + 0] = 0xe0;
  bytes[caplen_at + 1] = 0x93;
  bytes[caplen_at + 2] = 0x04;
  bytes[caplen_at + 3] = 0x00;
  const std::string path = dir.file("huge-caplen.pcap");
  CHECK(vigil::test::write_bytes(path, bytes));
  std::string err;
  auto src = vigil::open_pcap_file(path, 0, err);
  CHECK_TEXT(src != nullptr, err.c_str());
  UNSIGNED_LONGS_EQUAL(1, read_all(*src, 32).size());
  CHECK(src->done());
  STRCMP_EQUAL((path + ": bad packet record after 1 complete packet (invalid packet capture length "
                       "300000, bigger than snaplen of 65535)")
                   .c_str(),
               src->error().c_str());
}

TEST(PcapFileSource, BurstViewsStayValidAndAFullArenaCutsTheBurstShort) {
  // 40 jumbo frames: a burst of 32 does not fit in the 256 KiB arena, so bursts are cut short and
  // the packet that did not fit comes first in the next burst.
  const auto packets = vigil::test::make_packets(40, {9000}, 10, kEpoch, 1000);
  const std::string path = dir.file("jumbo.pcap");
  CHECK(vigil::test::write_pcap(path, DLT_EN10MB, 65535, false, packets));
  std::string err;
  auto src = vigil::open_pcap_file(path, 0, err);
  CHECK_TEXT(src != nullptr, err.c_str());
  std::vector<PacketView> views(32);
  const std::size_t first = src->rx_burst(views);
  CHECK(first > 0 && first < 32);
  CHECK(first * 9000 <= PcapFileSource::kMinArenaBytes);
  for (std::size_t i = 0; i < first; ++i) {
    CHECK(packets[i].bytes == std::vector<std::uint8_t>(views[i].data, views[i].data + 9000));
  }
  src->release_burst();
  const auto rest = read_all(*src, 32);
  UNSIGNED_LONGS_EQUAL(40 - first, rest.size());
  check_same({packets.begin() + static_cast<std::ptrdiff_t>(first), packets.end()}, rest, 0,
             LinkType::ethernet);
}

TEST(PcapFileSource, ProgressCountsBytesOfTheFile) {
  const auto packets = vigil::test::make_packets(200, {1000}, 11, kEpoch, 1000);
  const std::string path = dir.file("progress.pcap");
  CHECK(vigil::test::write_pcap(path, DLT_EN10MB, 65535, false, packets));
  struct stat st {};
  CHECK(stat(path.c_str(), &st) == 0);
  std::string err;
  auto src = vigil::open_pcap_file(path, 0, err);
  CHECK_TEXT(src != nullptr, err.c_str());
  vigil::SourceProgress p = src->progress();
  STRCMP_EQUAL(path.c_str(), std::string(p.name).c_str());
  UNSIGNED_LONGLONGS_EQUAL(static_cast<std::uint64_t>(st.st_size), p.total);
  CHECK(p.unit == vigil::SourceProgress::Unit::bytes);
  std::vector<PacketView> views(32);
  std::uint64_t last = p.consumed;
  while (!src->done()) {
    src->rx_burst(views);
    p = src->progress();
    CHECK(p.consumed >= last);
    CHECK(p.consumed <= p.total);
    last = p.consumed;
    if (p.packets == 64) CHECK(p.fraction() > 0.2 && p.fraction() < 0.5);
  }
  UNSIGNED_LONGLONGS_EQUAL(200, p.packets);
  UNSIGNED_LONGLONGS_EQUAL(p.total, p.consumed);
  DOUBLES_EQUAL(1.0, p.fraction(), 1e-9);
}

TEST(PcapFileSource, EmptyCaptureIsDoneAtOnce) {
  const std::string path = dir.file("no-packets.pcap");
  CHECK(vigil::test::write_pcap(path, DLT_EN10MB, 65535, false, {}));
  std::string err;
  auto src = vigil::open_pcap_file(path, 0, err);
  CHECK_TEXT(src != nullptr, err.c_str());
  PacketView v;
  UNSIGNED_LONGS_EQUAL(0, src->rx_burst({&v, 1}));
  CHECK(src->done());
  STRCMP_EQUAL("", src->error().c_str());
}

TEST_GROUP(CountPcapPackets) {
  vigil::test::TempDir dir;
};

TEST(CountPcapPackets, CountsAWholeFile) {
  const std::string path = dir.file("count.pcap");
  CHECK(vigil::test::write_pcap(path, DLT_RAW, 65535, true,
                                vigil::test::make_packets(77, {40, 1500}, 12, kEpoch, 5)));
  const vigil::PcapScan scan = vigil::count_pcap_packets(path);
  CHECK(scan.opened);
  UNSIGNED_LONGLONGS_EQUAL(77, scan.packets);
  CHECK(scan.link_type == LinkType::raw);
  STRCMP_EQUAL("", scan.error.c_str());
}

TEST(CountPcapPackets, ReportsTheSameErrorsAsTheSource) {
  const auto packets = vigil::test::make_packets(5, {100}, 13, kEpoch, 1000);
  auto bytes = vigil::test::pcap_bytes(1, 65535, packets);
  bytes.resize(bytes.size() - 1);
  const std::string cut = dir.file("cut.pcap");
  CHECK(vigil::test::write_bytes(cut, bytes));
  vigil::PcapScan scan = vigil::count_pcap_packets(cut);
  CHECK(scan.opened);
  UNSIGNED_LONGLONGS_EQUAL(4, scan.packets);
  std::string err;
  auto src = vigil::open_pcap_file(cut, 0, err);
  CHECK_TEXT(src != nullptr, err.c_str());
  read_all(*src, 32);
  STRCMP_EQUAL(src->error().c_str(), scan.error.c_str());

  const std::string missing = dir.file("missing.pcap");
  scan = vigil::count_pcap_packets(missing);
  CHECK_FALSE(scan.opened);
  STRCMP_EQUAL(open_error(missing).c_str(), scan.error.c_str());
}
