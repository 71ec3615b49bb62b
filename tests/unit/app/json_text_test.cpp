// JsonText: escaping as Suricata's EVE writes strings, nesting, numbers, overflow.
#include <CppUTest/TestHarness.h>

#include <string>
#include <vector>

#include "dataplane/app/json_text.h"

using vigil::app::JsonText;

TEST_GROUP(JsonText){};

TEST(JsonText, ObjectsArraysAndEscapes) {
  char buf[256];
  JsonText j(buf, sizeof buf);
  j.begin_object();
  j.member("url", std::string_view("/a?b=\"c\"\\d"));
  j.member_number("status", 200);
  j.member_bool("qr", true);
  const std::vector<std::uint8_t> raw = {'x', 0x00, 0x1f, '\n', 0xff, 0x7f, 'y'};
  j.member("bin", std::span<const std::uint8_t>(raw));
  j.key("answers");
  j.begin_array();
  j.begin_object();
  j.member("rdata", std::string_view("1.2.3.4"));
  j.end_object();
  j.begin_object();
  j.member_number("ttl", 0);
  j.end_object();
  j.end_array();
  j.end_object();
  CHECK_FALSE(j.overflowed());
  STRCMP_EQUAL(
      "{\"url\":\"/a?b=\\\"c\\\"\\\\d\",\"status\":200,\"qr\":true,"
      "\"bin\":\"x\\u0000\\u001f\\n\\u00ff\\u007fy\",\"answers\":[{\"rdata\":\"1.2.3.4\"},{\"ttl\":0}]}",
      std::string(j.text()).c_str());
}

TEST(JsonText, LargestNumber) {
  char buf[64];
  JsonText j(buf, sizeof buf);
  j.begin_array();
  j.number(18446744073709551615ull);
  j.number(0);
  j.end_array();
  STRCMP_EQUAL("[18446744073709551615,0]", std::string(j.text()).c_str());
}

TEST(JsonText, OverflowIsReportedNeverWrittenPast) {
  char buf[16 + 8];
  std::fill(buf, buf + sizeof buf, '#');
  JsonText j(buf, 16);
  j.begin_object();
  j.member("hostname", std::string_view("a-very-long-host.example.com"));
  j.end_object();
  CHECK_TRUE(j.overflowed());
  CHECK_EQUAL(16u, j.text().size());
  for (std::size_t i = 16; i < sizeof buf; ++i) CHECK_EQUAL('#', buf[i]);
}
