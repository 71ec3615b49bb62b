// vigil-pcapgen: writes the project's generated captures (see docs/captures.md).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "tools/pcapgen/pcapgen.h"

int main(int argc, char** argv) {
  namespace pg = vigil::pcapgen;
  CLI::App app{"Writes Vigil's deterministic test and benchmark captures"};
  std::string out;
  std::string scenario = "all";
  pg::UdpFloodSpec flood;
  bool quiet = false;
  app.add_option("--out", out, "Directory to write into (created if needed)")->required();
  std::string names = "all";
  for (const std::string& n : pg::scenario_names()) names += ", " + n;
  app.add_option("--scenario", scenario, "Which captures: " + names + ", or udp-flood")->capture_default_str();
  app.add_option("--packets", flood.packets, "udp-flood: number of frames")->capture_default_str();
  app.add_option("--flows", flood.flows, "udp-flood: distinct 5-tuples")->capture_default_str();
  app.add_option("--frame-size", flood.frame_size, "udp-flood: frame length without FCS (60..1514)")
      ->capture_default_str();
  app.add_flag("--quiet", quiet, "Do not list the files written");
  CLI11_PARSE(app, argc, argv);

  try {
    if (scenario == "udp-flood") {
      const std::filesystem::path dir(out);
      std::filesystem::create_directories(dir);
      pg::write_udp_flood(dir / "udp-flood.pcap", flood);
      if (!quiet) std::printf("%s\n", (dir / "udp-flood.pcap").c_str());
    } else {
      for (const auto& p : pg::write_scenario(scenario, out)) {
        if (!quiet) std::printf("%s\n", p.c_str());
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vigil-pcapgen: %s\n", e.what());
    return 1;
  }
  return 0;
}
