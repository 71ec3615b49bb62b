// The scenario registry: which files each scenario writes.
#include <stdexcept>

#include "tools/pcapgen/pcapgen.h"

namespace vigil::pcapgen {

namespace {

constexpr std::uint64_t kMixedPackets = 200'000;

struct LinkFile {
  LinkType link;
  const char* file;
};
constexpr LinkFile kLinkFiles[] = {
    {LinkType::null_loopback, "link-null.pcap"}, {LinkType::loop, "link-loop.pcap"},
    {LinkType::raw, "link-raw.pcap"},            {LinkType::ipv4, "link-ipv4.pcap"},
    {LinkType::ipv6, "link-ipv6.pcap"},          {LinkType::linux_sll, "link-sll.pcap"},
    {LinkType::linux_sll2, "link-sll2.pcap"},    {LinkType::ppp, "link-ppp.pcap"},
    {LinkType::c_hdlc, "link-chdlc.pcap"},
};

void write_one(std::vector<std::filesystem::path>& written, const std::filesystem::path& path, Capture cap) {
  write_pcap(cap, path);
  written.push_back(path);
}

}  // namespace

std::vector<std::string> scenario_names() { return {"demo", "mixed", "links", "edge"}; }

std::vector<std::filesystem::path> write_scenario(std::string_view name, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  std::vector<std::filesystem::path> written;
  if (name == "all") {
    for (const std::string& n : scenario_names()) {
      for (auto& p : write_scenario(n, dir)) written.push_back(std::move(p));
    }
  } else if (name == "demo") {
    write_one(written, dir / "demo.pcap", make_demo());
  } else if (name == "mixed") {
    write_one(written, dir / "mixed.pcap", make_mixed(kMixedPackets));
  } else if (name == "links") {
    for (const LinkFile& f : kLinkFiles) write_one(written, dir / f.file, make_link_capture(f.link));
    write_one(written, dir / "tunnels.pcap", make_tunnel_capture());
  } else if (name == "edge") {
    write_one(written, dir / "snapped.pcap", make_snapped());
    write_truncated(dir / "truncated.pcap");
    write_not_a_pcap(dir / "notapcap.pcap");
    write_empty(dir / "empty.pcap");
    for (const char* f : {"truncated.pcap", "notapcap.pcap", "empty.pcap"}) written.push_back(dir / f);
  } else {
    throw std::invalid_argument("unknown scenario '" + std::string(name) + "'");
  }
  return written;
}

}  // namespace vigil::pcapgen
