// The app-record byte queue: whole records in, whole records out, a record that does not fit
// dropped whole.
#include <CppUTest/TestHarness.h>

#include <string>

#include "dataplane/app/app_record.h"

using namespace vigil::app;

TEST_GROUP(AppRecord){};

TEST(AppRecord, RoundTripInOrder) {
  AppRecordQueue q(4096);
  AppRecordHeader h;
  h.proto = AppProto::dns;
  h.flow_id = 42;
  h.tx_id = 7;
  h.sport = 53;
  CHECK_TRUE(push_app_record(q, h, "{\"type\":\"query\"}"));
  h.proto = AppProto::http;
  h.tx_id = 8;
  CHECK_TRUE(push_app_record(q, h, "{\"url\":\"/\"}"));
  AppRecordHeader out;
  std::string json;
  CHECK_TRUE(pop_app_record(q, out, json));
  CHECK(out.proto == AppProto::dns);
  CHECK_EQUAL(42u, out.flow_id);
  CHECK_EQUAL(7u, out.tx_id);
  CHECK_EQUAL(53, out.sport);
  STRCMP_EQUAL("{\"type\":\"query\"}", json.c_str());
  CHECK_TRUE(pop_app_record(q, out, json));
  CHECK(out.proto == AppProto::http);
  STRCMP_EQUAL("{\"url\":\"/\"}", json.c_str());
  CHECK_FALSE(pop_app_record(q, out, json));
}

TEST(AppRecord, AFullQueueDropsTheWholeRecord) {
  AppRecordQueue q(sizeof(AppRecordHeader) + 20);
  AppRecordHeader h;
  CHECK_TRUE(push_app_record(q, h, "0123456789"));
  CHECK_FALSE(push_app_record(q, h, "0123456789"));  // no room for all of it: nothing written
  AppRecordHeader out;
  std::string json;
  CHECK_TRUE(pop_app_record(q, out, json));
  STRCMP_EQUAL("0123456789", json.c_str());
  CHECK_FALSE(pop_app_record(q, out, json));
  CHECK_TRUE(push_app_record(q, h, "0123456789"));  // room again
}
