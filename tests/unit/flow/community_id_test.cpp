#include <CppUTest/TestHarness.h>

#include <string>

#include "dataplane/flow/community_id.h"
#include "flow_test_util.h"

using namespace vigil;
using namespace vigil::test;

namespace {

struct Vector {
  std::uint8_t proto;
  const char* saddr;
  const char* daddr;
  std::uint16_t sport;  // ICMP: type
  std::uint16_t dport;  // ICMP: code
  const char* expected;
};

CommunityIdTuple tuple(const Vector& v) {
  CommunityIdTuple t;
  t.family = family_of(v.saddr);
  t.src = ip(v.saddr);
  t.dst = ip(v.daddr);
  t.ip_proto = v.proto;
  t.sport = v.sport;
  t.dport = v.dport;
  return t;
}

void check_vectors(const Vector* vs, std::size_t n, std::uint16_t seed) {
  for (std::size_t i = 0; i < n; ++i) {
    const std::string got = community_id_v1(tuple(vs[i]), seed);
    STRCMP_EQUAL(vs[i].expected, got.c_str());
  }
}

// corelight/community-id-spec, baseline/README.md, "Default settings" table (seed 0). Port-less
// protocols (RSVP) list no ports; any value passed is ignored.
const Vector kSpecDefault[] = {
    {6, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:wCb3OG7yAFWelaUydu0D+125CLM="},
    {6, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:wCb3OG7yAFWelaUydu0D+125CLM="},
    {17, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="},
    {17, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="},
    {132, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8="},
    {132, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8="},
    {1, "1.2.3.4", "5.6.7.8", 8, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="},
    {1, "5.6.7.8", "1.2.3.4", 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="},
    {1, "1.2.3.4", "5.6.7.8", 11, 0, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk="},
    {58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 128,
     0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo="},
    {58, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 129,
     0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo="},
    {58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 146,
     0, "1:fYC8+pz24E+EhANP1EZhpX0Dw10="},
    {46, "1.2.3.4", "5.6.7.8", 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768="},
    {46, "5.6.7.8", "1.2.3.4", 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768="},
    {46, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 0, 0,
     "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0="},
    {46, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 0, 0,
     "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0="},
};

// Same source, "A custom seed=1 value" table.
const Vector kSpecSeed1[] = {
    {6, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="},
    {6, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="},
    {17, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:OShq+iKDAMVouh/4bMxB9Sz4amw="},
    {132, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:uitchpn5MMGAQKBJh7bIr/bAr7s="},
    {1, "1.2.3.4", "5.6.7.8", 8, 0, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU="},
    {1, "5.6.7.8", "1.2.3.4", 0, 0, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU="},
    {1, "1.2.3.4", "5.6.7.8", 11, 0, "1:1DD7cWGC/Yg91YGsQeni8du3pIA="},
    {58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 128,
     0, "1:IO27GQzPuCtNnwFvjWALMHu5tJE="},
    {58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", 146,
     0, "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s="},
    {46, "5.6.7.8", "1.2.3.4", 0, 0, "1:/buhqeOmaRCopOZFy9HnoJd5XW8="},
    {46, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", 0, 0,
     "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM="},
};

// corelight/community-id-spec, baseline/baseline_deflt.json (tuples from the spec's
// pcaps/combined.pcap.gz, seed 0). ICMP rows give type and code-or-counterpart as the ports.
const Vector kBaselineDefault[] = {
    {58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136,
     "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
    {58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135,
     "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
    {58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136,
     "1:zavyT/cezQr1fmImYCwYnMXbgck="},
    {58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0,
     "1:2ObVBgIn28oZvibYZhZMBgh7WdQ="},
    {58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4,
     "1:hLZd0XGWojozrvxqE0dWB1iM6R0="},
    {58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129,
     "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
    {58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 128,
     "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
    {58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0="},
    {58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 133, "1:pkvHqCL88/tg1k4cPigmZXUtL00="},
    {1, "192.168.0.89", "192.168.0.1", 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
    {1, "192.168.0.1", "192.168.0.89", 0, 8, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
    {1, "10.0.0.1", "10.0.0.2", 11, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM="},
    {6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25,
     "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
    {6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943,
     "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
    {132, "192.168.170.8", "192.168.170.56", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
    {132, "192.168.170.56", "192.168.170.8", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
    {6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
    {6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
    {17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
    {17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
    {46, "10.1.12.1", "10.1.12.2", 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
    {46, "10.1.12.2", "10.1.12.1", 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
};

// Same source, baseline/baseline_seed1.json (seed 1).
const Vector kBaselineSeed1[] = {
    {58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136,
     "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY="},
    {58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0,
     "1:lVEtCZpYu84Xqaa++3lXFyuu2n4="},
    {58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 133, "1:K/ee5UCqAMAQXDorP5nSa2CGLjc="},
    {1, "192.168.0.1", "192.168.0.89", 0, 8, "1:03g6IloqVBdcZlPyX8r0hgoE7kA="},
    {6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943,
     "1:eJYTW6AOzFLlSUoESovMjnu7rMw="},
    {132, "192.168.170.8", "192.168.170.56", 7, 7, "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg="},
    {17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="},
    {46, "10.1.12.2", "10.1.12.1", 0, 0, "1:rYir8gphR31noO9iDRQmF/BteEI="},
};

}  // namespace

TEST_GROUP(CommunityId){};

TEST(CommunityId, SpecTableDefaultSeed) {
  check_vectors(kSpecDefault, std::size(kSpecDefault), 0);
}

TEST(CommunityId, SpecTableSeed1) { check_vectors(kSpecSeed1, std::size(kSpecSeed1), 1); }

TEST(CommunityId, BaselineCaptureDefaultSeed) {
  check_vectors(kBaselineDefault, std::size(kBaselineDefault), 0);
}

TEST(CommunityId, BaselineCaptureSeed1) {
  check_vectors(kBaselineSeed1, std::size(kBaselineSeed1), 1);
}

TEST(CommunityId, RequestResponseIcmpTypesPairUpAndOthersStayOneWay) {
  // The spec's counterpart table (Zeek's): each request and its response, sent in opposite
  // directions, are one flow; a one-way type is not, and its code matters.
  const std::uint8_t v4_pairs[][2] = {{8, 0}, {13, 14}, {15, 16}, {10, 9}, {17, 18}};
  const std::uint8_t v6_pairs[][2] = {{128, 129}, {130, 131}, {133, 134}, {135, 136},
                                      {139, 140}, {144, 145}};
  auto id = [](const char* s, const char* d, std::uint8_t proto, std::uint8_t type,
               std::uint8_t code) {
    return community_id_v1(tuple(Vector{proto, s, d, type, code, ""}));
  };
  for (const auto& p : v4_pairs) {
    STRCMP_EQUAL(id("10.0.0.9", "10.0.0.1", 1, p[0], 0).c_str(),
                 id("10.0.0.1", "10.0.0.9", 1, p[1], 0).c_str());
    STRCMP_EQUAL(id("10.0.0.9", "10.0.0.1", 1, p[1], 0).c_str(),
                 id("10.0.0.1", "10.0.0.9", 1, p[0], 5).c_str());
  }
  for (const auto& p : v6_pairs) {
    STRCMP_EQUAL(id("2001:db8::9", "2001:db8::1", 58, p[0], 0).c_str(),
                 id("2001:db8::1", "2001:db8::9", 58, p[1], 0).c_str());
  }
  CHECK(id("10.0.0.9", "10.0.0.1", 1, 3, 1) != id("10.0.0.1", "10.0.0.9", 1, 3, 1));
  CHECK(id("10.0.0.9", "10.0.0.1", 1, 3, 1) != id("10.0.0.9", "10.0.0.1", 1, 3, 2));
  CHECK(id("10.0.0.9", "10.0.0.1", 1, 13, 0) != id("10.0.0.9", "10.0.0.1", 1, 15, 0));
  CHECK(id("2001:db8::9", "2001:db8::1", 58, 1, 4) != id("2001:db8::1", "2001:db8::9", 58, 1, 4));
}

TEST(CommunityId, FixedSizeOutputMatchesTheString) {
  char buf[kCommunityIdLen];
  const CommunityIdTuple t = tuple(kSpecDefault[0]);
  CHECK_TRUE(community_id_v1(t, 0, std::span<char, kCommunityIdLen>(buf)));
  STRCMP_EQUAL(community_id_v1(t).c_str(), std::string(buf, kCommunityIdLen).c_str());
  CHECK_EQUAL(kCommunityIdLen, community_id_v1(t).size());
}

TEST(CommunityId, NoFamilyGivesNothing) {
  CommunityIdTuple t;
  t.ip_proto = ipproto::tcp;
  CHECK_TRUE(community_id_v1(t).empty());
}

TEST(CommunityId, FromFlowRecordsOfBothOrientations) {
  FlowTableConfig cfg;
  cfg.max_flows = 8;
  FlowTable t(cfg);
  Recorder rec;
  Feed feed{t, rec};
  // The spec's TCP row, first seen from the server side (SYN-ACK), and its UDP row from the client.
  feed(tcp_pkt("5.6.7.8", 3344, "1.2.3.4", 1122, tcpflag::syn | tcpflag::ack, 1, 2), kSec);
  feed(udp_pkt("1.2.3.4", 1122, "5.6.7.8", 3344), kSec);
  feed(icmp_pkt("5.6.7.8", "1.2.3.4", 0, 0, 9), kSec);  // an echo reply seen first
  t.flush_all(rec);
  CHECK_EQUAL(3u, rec.ended.size());
  for (const FlowRecord& r : rec.ended) {
    const std::string id = community_id_v1(r);
    if (r.ip_proto == ipproto::tcp) STRCMP_EQUAL("1:wCb3OG7yAFWelaUydu0D+125CLM=", id.c_str());
    if (r.ip_proto == ipproto::udp) STRCMP_EQUAL("1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=", id.c_str());
    if (r.ip_proto == ipproto::icmp) STRCMP_EQUAL("1:crodRHL2FEsHjbv3UkRrfbs4bZ0=", id.c_str());
  }
  for (const FlowRecord& r : rec.ended) {
    if (r.ip_proto != ipproto::tcp) continue;
    CHECK(r.client_addr == ip("1.2.3.4"));
    STRCMP_EQUAL("1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=", community_id_v1(r, 1).c_str());
  }
}
