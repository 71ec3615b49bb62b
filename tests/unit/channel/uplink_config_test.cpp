// Upload config: the documented example, defaults, path resolution and errors that name the
// file, the line and the field.
#include "control/channel/uplink_config.h"

#include <CppUTest/TestHarness.h>

#include <fstream>
#include <string>

#include "control/channel/provider_client.h"
#include "tests/unit/tls/tls_test_util.h"

using namespace vigil;
using channel::UplinkConfig;

namespace {

const char* kExample = R"([provider]
host = "localhost"
port = 8443
server_name = "provider.vigil.test"
ca = "pki/ca.crt"
cert = "pki/devices/dev-1.crt"
key = "pki/devices/dev-1.key"
connect_timeout_ms = 3000
io_timeout_ms = 10000

[spool]
dir = "spool"
max_bytes = 268435456

[upload]
batch_events = 500
batch_bytes = 1048576
backoff_initial_ms = 200
backoff_max_ms = 30000
)";

std::string parse_error(const std::string& text) {
  UplinkConfig c;
  std::string err;
  if (channel::parse_uplink_config(text, "/etc/vigil/uplink.toml", c, err)) return "(parsed)";
  return err;
}

}  // namespace

TEST_GROUP(UplinkConfig) {};

TEST(UplinkConfig, ExampleFromFile) {
  test::TempDir tmp;
  const std::string path = tmp.path() + "/uplink.toml";
  std::ofstream(path) << kExample;
  UplinkConfig c;
  std::string err;
  CHECK_TEXT(channel::load_uplink_config(path, c, err), err.c_str());
  STRCMP_EQUAL("localhost", c.provider.host.c_str());
  LONGS_EQUAL(8443, c.provider.port);
  STRCMP_EQUAL("provider.vigil.test", c.provider.server_name.c_str());
  STRCMP_EQUAL((tmp.path() + "/pki/ca.crt").c_str(), c.provider.ca.c_str());
  STRCMP_EQUAL((tmp.path() + "/pki/devices/dev-1.crt").c_str(), c.provider.cert.c_str());
  STRCMP_EQUAL((tmp.path() + "/pki/devices/dev-1.key").c_str(), c.provider.key.c_str());
  LONGS_EQUAL(3000, c.provider.connect_timeout_ms);
  LONGS_EQUAL(10000, c.provider.io_timeout_ms);
  STRCMP_EQUAL((tmp.path() + "/spool").c_str(), c.spool.dir.c_str());
  CHECK(c.spool.max_bytes == 268435456u);
  LONGS_EQUAL(500, c.upload.batch_events);
  CHECK(c.upload.batch_bytes == 1048576u);
  LONGS_EQUAL(200, c.upload.backoff_initial_ms);
  LONGS_EQUAL(30000, c.upload.backoff_max_ms);

  const auto o = channel::provider_client_options(c);
  STRCMP_EQUAL("localhost", o.tls.host.c_str());
  LONGS_EQUAL(8443, o.tls.port);
  STRCMP_EQUAL(c.provider.ca.c_str(), o.tls.ca_file.c_str());
  LONGS_EQUAL(10000, o.tls.io_timeout_ms);
}

TEST(UplinkConfig, MinimalUsesDefaults) {
  UplinkConfig c;
  std::string err;
  CHECK_TEXT(
      channel::parse_uplink_config(
          "[provider]\nhost = \"10.0.0.5\"\nca = \"/abs/ca.crt\"\ncert = \"c\"\nkey = \"k\"\n",
          "conf/uplink.toml", c, err),
      err.c_str());
  LONGS_EQUAL(8443, c.provider.port);
  STRCMP_EQUAL("10.0.0.5", c.provider.server_name.c_str());
  STRCMP_EQUAL("/abs/ca.crt", c.provider.ca.c_str());
  STRCMP_EQUAL("conf/c", c.provider.cert.c_str());
  STRCMP_EQUAL("conf/spool", c.spool.dir.c_str());
  LONGS_EQUAL(500, c.upload.batch_events);
}

TEST(UplinkConfig, ErrorsNameFileLineAndField) {
  const std::string base = "[provider]\nhost = \"h\"\nca = \"a\"\ncert = \"c\"\nkey = \"k\"\n";
  STRCMP_EQUAL("/etc/vigil/uplink.toml:6: [provider] port: expected an integer from 1 to 65535",
               parse_error(base + "port = 70000\n").c_str());
  STRCMP_EQUAL("/etc/vigil/uplink.toml:6: [provider] port: expected an integer from 1 to 65535",
               parse_error(base + "port = \"8443\"\n").c_str());
  STRCMP_EQUAL("/etc/vigil/uplink.toml:6: [provider] hots: unknown key",
               parse_error(base + "hots = \"x\"\n").c_str());
  STRCMP_EQUAL("/etc/vigil/uplink.toml:1: [provider] key: missing (required)",
               parse_error("[provider]\nhost = \"h\"\nca = \"a\"\ncert = \"c\"\n").c_str());
  STRCMP_EQUAL("/etc/vigil/uplink.toml: [provider] section is missing (required)",
               parse_error("[spool]\ndir = \"s\"\n").c_str());
  STRCMP_EQUAL("/etc/vigil/uplink.toml:6: unknown section [uplod]",
               parse_error(base + "[uplod]\nbatch_events = 1\n").c_str());
  STRCMP_EQUAL(
      "/etc/vigil/uplink.toml:7: [upload] backoff_initial_ms: must not exceed "
      "backoff_max_ms",
      parse_error(base + "[upload]\nbackoff_initial_ms = 5000\nbackoff_max_ms = 100\n").c_str());
  STRCMP_EQUAL(
      "/etc/vigil/uplink.toml:7: [upload] batch_bytes: expected an integer from 1024 "
      "to 16777216",
      parse_error(base + "[upload]\nbatch_bytes = 99999999\n").c_str());
  STRCMP_EQUAL(
      "/etc/vigil/uplink.toml:3: [provider] ca: must not be empty",
      parse_error("[provider]\nhost = \"h\"\nca = \"\"\ncert = \"c\"\nkey = \"k\"\n").c_str());
  const std::string syntax = parse_error("[provider]\nhost = \n");
  CHECK_TEXT(syntax.rfind("/etc/vigil/uplink.toml:2:", 0) == 0, syntax.c_str());
}

TEST(UplinkConfig, MissingFile) {
  UplinkConfig c;
  std::string err;
  CHECK_FALSE(channel::load_uplink_config("/nonexistent/uplink.toml", c, err));
  CHECK_TEXT(err.find("cannot read upload config '/nonexistent/uplink.toml'") == 0, err.c_str());
}
