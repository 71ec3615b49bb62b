// FlowPcapAssembler: capture records -> one pcap per flow that libpcap reads back; crash leftovers
// completed by recover(); captures without an end record completed by finish_all().
#include <CppUTest/TestHarness.h>

#include <pcap/pcap.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "control/capture/flow_pcap.h"

using namespace vigil;
using namespace vigil::capture;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/vigil-flowpcap-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

struct Read {
  int link = -1;
  std::vector<std::string> packets;
  std::vector<std::uint64_t> ts_ns;
  std::string error;
};

Read read_pcap(const fs::path& p) {
  Read r;
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* pc = pcap_open_offline_with_tstamp_precision(p.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  if (pc == nullptr) {
    r.error = err;
    return r;
  }
  r.link = pcap_datalink(pc);
  pcap_pkthdr* h;
  const u_char* d;
  while (pcap_next_ex(pc, &h, &d) == 1) {
    r.packets.emplace_back(reinterpret_cast<const char*>(d), h->caplen);
    r.ts_ns.push_back(static_cast<std::uint64_t>(h->ts.tv_sec) * 1000000000u +
                      static_cast<std::uint64_t>(h->ts.tv_usec));
  }
  pcap_close(pc);
  return r;
}

CaptureRecordHeader pkt(std::uint64_t flow, std::uint64_t ts, std::size_t len,
                        LinkType link = LinkType::ethernet) {
  CaptureRecordHeader h;
  h.type = CaptureRecordType::packet;
  h.flow_id = flow;
  h.ts_ns = ts;
  h.caplen = static_cast<std::uint32_t>(len);
  h.wire_len = static_cast<std::uint32_t>(len);
  h.link_type = link;
  return h;
}

CaptureRecordHeader end(std::uint64_t flow, std::uint32_t packets) {
  CaptureRecordHeader h;
  h.type = CaptureRecordType::end;
  h.flow_id = flow;
  h.packets = packets;
  return h;
}

struct Sink {
  fs::path out;
  std::map<std::uint64_t, FlowPcapSummary> got;
  FlowPcapAssembler::Deliver deliver() {
    return [this](const fs::path& p, const FlowPcapSummary& s) {
      fs::rename(p, out / p.filename());
      got[s.flow_id] = s;
      return true;
    };
  }
};

}  // namespace

TEST_GROUP(FlowPcap){};

TEST(FlowPcap, TwoFlowsInterleavedBecomeTwoFiles) {
  TempDir dir;
  Sink sink{dir.path};
  FlowPcapAssembler a(dir.path / "staging", sink.deliver(), 100 /* flush often */);
  for (int i = 0; i < 10; ++i) {
    const std::string b1(60 + i, static_cast<char>('a' + i));
    const std::string b2(70, 'z');
    a.add(pkt(11, 1'700'000'000'000'000'000ull + i * 1000 + 7, b1.size()), b1);
    a.add(pkt(22, 1'700'000'000'000'000'000ull + i, b2.size()), b2);
  }
  LONGS_EQUAL(2, a.open_flows());
  a.add(end(11, 10), {});
  a.add(end(22, 10), {});
  LONGS_EQUAL(0, a.open_flows());
  a.wait_written();
  LONGS_EQUAL(2, sink.got.size());
  const Read r = read_pcap(dir.path / "11.pcap");
  STRCMP_EQUAL("", r.error.c_str());
  LONGS_EQUAL(DLT_EN10MB, r.link);
  LONGS_EQUAL(10, r.packets.size());
  for (int i = 0; i < 10; ++i) {
    LONGS_EQUAL(60 + i, r.packets[i].size());
    BYTES_EQUAL('a' + i, r.packets[i][0]);
    CHECK(r.ts_ns[i] == 1'700'000'000'000'000'000ull + i * 1000 + 7);
  }
  LONGS_EQUAL(10, sink.got[11].packets);
  CHECK(sink.got[11].complete);
  CHECK(fs::is_empty(dir.path / "staging"));
}

TEST(FlowPcap, EndRecordCarriesLossesAndCap) {
  TempDir dir;
  Sink sink{dir.path};
  FlowPcapAssembler a(dir.path / "s", sink.deliver());
  a.add(pkt(5, 1, 10), std::string(10, 'x'));
  CaptureRecordHeader e = end(5, 1);
  e.lost_packets = 3;
  e.history_missed = 2;
  e.end = CaptureEnd::cap;
  a.add(e, {});
  a.wait_written();
  LONGS_EQUAL(3, sink.got[5].lost_packets);
  LONGS_EQUAL(2, sink.got[5].history_missed);
  CHECK(sink.got[5].capped);
}

TEST(FlowPcap, OtherLinkTypeIsCountedNotMixed) {
  TempDir dir;
  Sink sink{dir.path};
  FlowPcapAssembler a(dir.path / "s", sink.deliver());
  a.add(pkt(5, 1, 20), std::string(20, 'e'));
  a.add(pkt(5, 2, 20, LinkType::raw), std::string(20, 'r'));
  a.add(end(5, 2), {});
  a.wait_written();
  LONGS_EQUAL(1, sink.got[5].other_link);
  LONGS_EQUAL(1, read_pcap(dir.path / "5.pcap").packets.size());
}

TEST(FlowPcap, FinishAllCompletesCapturesWithoutAnEnd) {
  TempDir dir;
  Sink sink{dir.path};
  FlowPcapAssembler a(dir.path / "s", sink.deliver());
  a.add(pkt(9, 1, 20), std::string(20, 'e'));
  a.finish_all();
  LONGS_EQUAL(1, sink.got.size());
  CHECK_FALSE(sink.got[9].complete);
  LONGS_EQUAL(1, read_pcap(dir.path / "9.pcap").packets.size());
}

TEST(FlowPcap, EndWithoutPacketsWritesNothing) {
  TempDir dir;
  Sink sink{dir.path};
  FlowPcapAssembler a(dir.path / "s", sink.deliver());
  a.add(end(9, 0), {});
  a.wait_written();
  LONGS_EQUAL(0, sink.got.size());
}

TEST(FlowPcap, RecoverCompletesATornLeftoverAndSkipsStrangers) {
  TempDir dir;
  const fs::path staging = dir.path / "s";
  fs::create_directories(staging);
  // What a killed run left: a header, two whole packets and half of a third.
  std::string data = pcap_header_bytes(LinkType::ethernet);
  append_pcap_record(data, 1000, 30, std::string(30, 'a'));
  append_pcap_record(data, 2000, 40, std::string(40, 'b'));
  std::string third;
  append_pcap_record(third, 3000, 50, std::string(50, 'c'));
  data += third.substr(0, 20);
  std::ofstream(staging / "77.pcap.part", std::ios::binary) << data;
  std::ofstream(staging / "88.pcap.part", std::ios::binary) << "junk";  // unusable: removed
  std::ofstream(staging / "notes.txt") << "not ours";
  Sink sink{dir.path};
  FlowPcapAssembler a(staging, sink.deliver());
  LONGS_EQUAL(1, a.recover());
  CHECK_FALSE(sink.got[77].complete);
  LONGS_EQUAL(2, sink.got[77].packets);
  const Read r = read_pcap(dir.path / "77.pcap");
  STRCMP_EQUAL("", r.error.c_str());
  LONGS_EQUAL(2, r.packets.size());
  CHECK_FALSE(fs::exists(staging / "88.pcap.part"));
  CHECK(fs::exists(staging / "notes.txt"));
}

TEST(FlowPcap, WholePrefix) {
  std::string data = pcap_header_bytes(LinkType::raw);
  LONGS_EQUAL(24, pcap_whole_prefix(data));
  append_pcap_record(data, 1, 5, "hello");
  LONGS_EQUAL(24 + 16 + 5, pcap_whole_prefix(data));
  LONGS_EQUAL(24, pcap_whole_prefix(data.substr(0, data.size() - 1)));
  LONGS_EQUAL(0, pcap_whole_prefix("garbage that is long enough to be a header"));
  LONGS_EQUAL(0, pcap_whole_prefix(""));
}
