// EVE JSON: Suricata's field names and formats for flow and stats events.
#include <CppUTest/TestHarness.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "control/eve/eve_format.h"
#include "control/eve/eve_writer.h"

using namespace vigil;
using Json = nlohmann::json;

TEST_GROUP(EveFormat){};

TEST(EveFormat, TimestampIsUtcWithMicroseconds) {
  STRCMP_EQUAL("2024-01-01T00:00:00.000000+0000",
               eve::timestamp(1'704'067'200ull * 1'000'000'000ull).c_str());
  // Sub-microsecond digits are cut, not rounded, as Suricata prints timeval microseconds.
  STRCMP_EQUAL("2024-02-29T23:59:59.999999+0000",
               eve::timestamp(1'709'251'199'999'999'999ull).c_str());
}

TEST(EveFormat, AddressesAndProtocols) {
  IpAddress v4{};
  v4.b[0] = 192; v4.b[1] = 0; v4.b[2] = 2; v4.b[3] = 1;
  STRCMP_EQUAL("192.0.2.1", eve::ip_text(IpFamily::v4, v4).c_str());
  IpAddress v6{};
  v6.b[0] = 0x20; v6.b[1] = 0x01; v6.b[2] = 0x0d; v6.b[3] = 0xb8; v6.b[15] = 1;
  STRCMP_EQUAL("2001:0db8:0000:0000:0000:0000:0000:0001", eve::ip_text(IpFamily::v6, v6).c_str());
  STRCMP_EQUAL("TCP", eve::proto_name(6).c_str());
  STRCMP_EQUAL("IPv6-ICMP", eve::proto_name(58).c_str());
  STRCMP_EQUAL("253", eve::proto_name(253).c_str());
}

namespace {
FlowRecord tcp_record() {
  FlowRecord r;
  r.flow_id = 123456789;
  r.family = IpFamily::v4;
  r.ip_proto = 6;
  r.client_addr.b = {10, 0, 0, 1};
  r.server_addr.b = {10, 0, 0, 2};
  r.client_port = 40000;
  r.server_port = 443;
  r.vlan = {100, 0};
  r.pkts_toserver = 5;
  r.pkts_toclient = 4;
  r.bytes_toserver = 600;
  r.bytes_toclient = 4000;
  r.start_ns = 1'704'067'200ull * 1'000'000'000ull;
  r.end_ns = r.start_ns + 2'500'000'000ull;
  r.state = FlowState::closed;
  r.reason = FlowEndReason::timeout;
  r.tcp_state = TcpState::closed;
  r.tcp_flags_ts = tcpflag::syn | tcpflag::ack | tcpflag::fin;
  r.tcp_flags_tc = tcpflag::syn | tcpflag::ack | tcpflag::psh;
  r.tcp_flags = r.tcp_flags_ts | r.tcp_flags_tc;
  return r;
}
}  // namespace

TEST(EveFormat, FlowEventCarriesSuricataFields) {
  const Json j = Json::parse(eve::flow_event_json(tcp_record()));
  STRCMP_EQUAL("flow", j["event_type"].get<std::string>().c_str());
  UNSIGNED_LONGLONGS_EQUAL(123456789, j["flow_id"].get<std::uint64_t>());
  STRCMP_EQUAL("10.0.0.1", j["src_ip"].get<std::string>().c_str());
  LONGS_EQUAL(40000, j["src_port"].get<int>());
  STRCMP_EQUAL("10.0.0.2", j["dest_ip"].get<std::string>().c_str());
  LONGS_EQUAL(443, j["dest_port"].get<int>());
  STRCMP_EQUAL("TCP", j["proto"].get<std::string>().c_str());
  LONGS_EQUAL(1, j["vlan"].size());
  LONGS_EQUAL(100, j["vlan"][0].get<int>());
  CHECK(j["community_id"].get<std::string>().rfind("1:", 0) == 0);
  const Json& f = j["flow"];
  LONGS_EQUAL(5, f["pkts_toserver"].get<int>());
  LONGS_EQUAL(4, f["pkts_toclient"].get<int>());
  LONGS_EQUAL(600, f["bytes_toserver"].get<int>());
  LONGS_EQUAL(4000, f["bytes_toclient"].get<int>());
  STRCMP_EQUAL("2024-01-01T00:00:00.000000+0000", f["start"].get<std::string>().c_str());
  STRCMP_EQUAL("2024-01-01T00:00:02.500000+0000", f["end"].get<std::string>().c_str());
  LONGS_EQUAL(2, f["age"].get<int>());
  STRCMP_EQUAL("closed", f["state"].get<std::string>().c_str());
  STRCMP_EQUAL("timeout", f["reason"].get<std::string>().c_str());
  STRCMP_EQUAL(j["timestamp"].get<std::string>().c_str(), f["end"].get<std::string>().c_str());
  const Json& t = j["tcp"];
  STRCMP_EQUAL("1b", t["tcp_flags"].get<std::string>().c_str());
  STRCMP_EQUAL("13", t["tcp_flags_ts"].get<std::string>().c_str());
  STRCMP_EQUAL("1a", t["tcp_flags_tc"].get<std::string>().c_str());
  CHECK(t["syn"].get<bool>());
  CHECK(t["fin"].get<bool>());
  CHECK_FALSE(t.contains("rst"));
  STRCMP_EQUAL("closed", t["state"].get<std::string>().c_str());
}

TEST(EveFormat, IcmpFlowHasTypesNotPorts) {
  FlowRecord r = tcp_record();
  r.ip_proto = 1;
  r.icmp_type = 8;
  r.response_icmp_type = 0;
  const Json j = Json::parse(eve::flow_event_json(r));
  CHECK_FALSE(j.contains("src_port"));
  CHECK_FALSE(j.contains("tcp"));
  LONGS_EQUAL(8, j["icmp_type"].get<int>());
  LONGS_EQUAL(0, j["response_icmp_type"].get<int>());
  STRCMP_EQUAL("ICMP", j["proto"].get<std::string>().c_str());
}

TEST_GROUP(EveWriter) {
  std::string dir;
  void setup() override {
    char tmpl[] = "/tmp/vigil-eve-XXXXXX";
    dir = ::mkdtemp(tmpl);
  }
  void teardown() override {
    std::remove((dir + "/eve.json").c_str());
    ::rmdir(dir.c_str());
  }
};

TEST(EveWriter, WritesOneJsonObjectPerLineAndNestsStats) {
  std::string err;
  auto w = eve::EveWriter::open(dir + "/eve.json", err);
  CHECK(w != nullptr);
  w->write_flow(tcp_record());
  w->write_stats(1'704'067'200ull * 1'000'000'000ull, 3,
                 {{"decoder.pkts", 10}, {"decoder.event.ipv4.trunc_pkt", 2}, {"flow.active", 0}});
  CHECK(w->close(err));
  UNSIGNED_LONGLONGS_EQUAL(2, w->events());
  std::ifstream in(dir + "/eve.json");
  std::string line;
  std::getline(in, line);
  STRCMP_EQUAL("flow", Json::parse(line)["event_type"].get<std::string>().c_str());
  std::getline(in, line);
  const Json s = Json::parse(line);
  STRCMP_EQUAL("stats", s["event_type"].get<std::string>().c_str());
  LONGS_EQUAL(10, s["stats"]["decoder"]["pkts"].get<int>());
  LONGS_EQUAL(2, s["stats"]["decoder"]["event"]["ipv4"]["trunc_pkt"].get<int>());
  LONGS_EQUAL(3, s["stats"]["uptime"].get<int>());
  CHECK_FALSE(std::getline(in, line));
}

TEST(EveWriter, UnwritableDirectoryIsOneClearError) {
  std::string err;
  auto w = eve::EveWriter::open(dir + "/missing/eve.json", err);
  CHECK(w == nullptr);
  CHECK(err.find("missing/eve.json: cannot open for writing: ") == 0 ||
        err.find(dir + "/missing/eve.json: cannot open for writing: ") == 0);
}

TEST(EveWriter, FullDiskIsReportedAtClose) {
  std::string err;
  auto w = eve::EveWriter::open("/dev/full", err);
  CHECK(w != nullptr);
  for (int i = 0; i < 20000; ++i) w->write_flow(tcp_record());
  CHECK_FALSE(w->close(err));
  CHECK(err.find("/dev/full: writing events failed: ") == 0);
}
