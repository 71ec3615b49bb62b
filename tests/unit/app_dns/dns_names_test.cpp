#include <CppUTest/TestHarness.h>

#include "dataplane/app/dns/dns_message.h"
#include "dns_test_util.h"

using namespace vigil::app::dns;

TEST_GROUP(DnsNames){};

TEST(DnsNames, RecordTypes) {
  SV_EQUAL("A", dns_rrtype_name(1));
  SV_EQUAL("AAAA", dns_rrtype_name(28));
  SV_EQUAL("CNAME", dns_rrtype_name(5));
  SV_EQUAL("SOA", dns_rrtype_name(6));
  SV_EQUAL("SRV", dns_rrtype_name(33));
  SV_EQUAL("OPT", dns_rrtype_name(41));
  SV_EQUAL("HTTPS", dns_rrtype_name(65));
  SV_EQUAL("ANY", dns_rrtype_name(255));
  SV_EQUAL("CAA", dns_rrtype_name(257));
  SV_EQUAL("0", dns_rrtype_name(0));
  SV_EQUAL("65280", dns_rrtype_name(65280));
  SV_EQUAL("65535", dns_rrtype_name(65535));
  SV_EQUAL("31", dns_rrtype_name(31));
}

TEST(DnsNames, Rcodes) {
  SV_EQUAL("NOERROR", dns_rcode_name(0));
  SV_EQUAL("FORMERR", dns_rcode_name(1));
  SV_EQUAL("SERVFAIL", dns_rcode_name(2));
  SV_EQUAL("NXDOMAIN", dns_rcode_name(3));
  SV_EQUAL("REFUSED", dns_rcode_name(5));
  SV_EQUAL("12", dns_rcode_name(12));
  SV_EQUAL("15", dns_rcode_name(15));
  SV_EQUAL("BADCOOKIE", dns_rcode_name(23));
  SV_EQUAL("200", dns_rcode_name(200));
}

TEST(DnsNames, Opcodes) {
  SV_EQUAL("QUERY", dns_opcode_name(0));
  SV_EQUAL("NOTIFY", dns_opcode_name(4));
  SV_EQUAL("UPDATE", dns_opcode_name(5));
  SV_EQUAL("3", dns_opcode_name(3));
}

TEST(DnsNames, Counters) {
  SV_EQUAL("dns.messages", dns_counter_name(DnsCounter::messages));
  SV_EQUAL("dns.too_many_records", dns_counter_name(DnsCounter::too_many_records));
  SV_EQUAL("dns.tcp_gaps", dns_counter_name(DnsCounter::tcp_gaps));
  SV_EQUAL("dns.unknown_counter", dns_counter_name(DnsCounter::count_));
  for (std::size_t i = 0; i < kDnsCounterCount; ++i)
    CHECK(dns_counter_name(static_cast<DnsCounter>(i)).starts_with("dns."));
}
