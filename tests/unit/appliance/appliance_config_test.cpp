// The appliance config: defaults, relative paths, and errors naming the file, line and field.
#include <CppUTest/TestHarness.h>

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "control/appliance/appliance_config.h"

using namespace vigil::appliance;

namespace {
struct TempFile {
  std::filesystem::path dir, path;
  explicit TempFile(const std::string& text) {
    char t[] = "/tmp/vigil-appcfg-XXXXXX";
    dir = ::mkdtemp(t);
    path = dir / "appliance.toml";
    std::ofstream(path) << text;
  }
  ~TempFile() { std::filesystem::remove_all(dir); }
};
}  // namespace

TEST_GROUP(ApplianceConfig){};

TEST(ApplianceConfig, FullConfigWithRelativePaths) {
  TempFile f(
      "[detect]\nrules = [\"r/a.rules\", \"/abs/b.rules\"]\nmode = \"ids\"\n"
      "[output]\ndir = \"out\"\n[upload]\nconfig = \"uplink.toml\"\n"
      "[control]\nsocket = \"v.sock\"\nfile_prefix = \"p1\"\n"
      "[health]\nstall_ms = 300\nrecover_ms = 1000\ncheck_interval_ms = 50\n"
      "[capture]\nflow_pcaps = false\n");
  ApplianceConfig c;
  std::string err;
  CHECK_TEXT(load_appliance_config(f.path.string(), c, err), err.c_str());
  STRCMP_EQUAL((f.dir / "r/a.rules").c_str(), c.rules[0].c_str());
  STRCMP_EQUAL("/abs/b.rules", c.rules[1].c_str());
  CHECK_FALSE(c.ips);
  STRCMP_EQUAL((f.dir / "out").c_str(), c.output_dir.c_str());
  STRCMP_EQUAL((f.dir / "uplink.toml").c_str(), c.upload_config.c_str());
  STRCMP_EQUAL((f.dir / "v.sock").c_str(), c.control_socket.c_str());
  STRCMP_EQUAL("p1", c.file_prefix.c_str());
  LONGS_EQUAL(300, c.stall_ms);
  LONGS_EQUAL(50, c.check_interval_ms);
  CHECK_FALSE(c.flow_pcaps);
}

TEST(ApplianceConfig, ErrorsNameFileLineAndField) {
  struct Case {
    const char* text;
    const char* expect;
  } cases[] = {
      {"[detect]\nmode = \"block\"\n", ":2: detect.mode: expected \"ips\" or \"ids\""},
      {"[detect]\nrulez = []\n", ":2: detect.rulez: unknown key"},
      {"[health]\nstall_ms = 0\n", ":2: health.stall_ms: expected milliseconds from 1 to 3600000"},
      {"[outputs]\ndir = \"x\"\n", ": outputs: unknown section"},
      {"[detect]\nrules = \"one.rules\"\n", ":2: detect.rules: expected an array of rule file paths"},
      {"[detect\n", ":1:"},
  };
  for (const Case& c : cases) {
    TempFile f(c.text);
    ApplianceConfig cfg;
    std::string err;
    CHECK_FALSE(load_appliance_config(f.path.string(), cfg, err));
    CHECK_TEXT(err.find(c.expect) != std::string::npos, (err + " lacks " + c.expect).c_str());
  }
}
