// vigilctl: the local control of a running appliance (vigild run), over its control socket.
//   vigilctl [--socket PATH] status [--json]
//   vigilctl [--socket PATH] debug stall-worker --worker N --ms M     (tests: prove fail-open)
#include <CLI/CLI.hpp>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "control/appliance/control_socket.h"

namespace {

void print_status(const nlohmann::json& s) {
  std::printf("board %s, up %llu s\n", s.value("board", "?").c_str(),
              static_cast<unsigned long long>(s.value("uptime_s", 0ull)));
  const auto& by = s["bypass"];
  std::printf("bypass: relay %s (%s), software %s, forwarding %s, policy %s\n",
              by.value("relay", "?").c_str(), by.value("relay_device", "?").c_str(),
              by.value("software", false) ? "ON" : "off",
              by.value("forwarding_stopped", false) ? "STOPPED" : "running",
              by.value("policy", "?").c_str());
  std::printf("\n%-8s %-8s %-5s %12s %12s %10s %10s %8s %8s %8s %8s\n", "port", "role", "link",
              "rx", "tx", "forwarded", "bypassed", "verdict", "tx_full", "imissed", "nombuf");
  for (const auto& p : s["ports"]) {
    const auto& f = p["forward"];
    const auto& d = p["drops"];
    std::printf("%-8s %-8s %-5s %12llu %12llu %10llu %10llu %8llu %8llu %8llu %8llu\n",
                p.value("name", "?").c_str(), p.value("role", "?").c_str(),
                p.value("link_up", false) ? "up" : "down",
                static_cast<unsigned long long>(p.value("rx_packets", 0ull)),
                static_cast<unsigned long long>(p.value("tx_packets", 0ull)),
                static_cast<unsigned long long>(f.value("forwarded", 0ull)),
                static_cast<unsigned long long>(f.value("bypassed", 0ull)),
                static_cast<unsigned long long>(d.value("verdict", 0ull)),
                static_cast<unsigned long long>(d.value("tx_full", 0ull)),
                static_cast<unsigned long long>(d.value("imissed", 0ull)),
                static_cast<unsigned long long>(d.value("rx_nombuf", 0ull)));
  }
  std::printf("\n%-6s %-5s %12s %12s %10s %12s %s\n", "worker", "lcore", "rx", "tx", "handed", "beats", "state");
  for (const auto& w : s["workers"]) {
    std::printf("%-6llu %-5llu %12llu %12llu %10llu %12llu %s\n",
                static_cast<unsigned long long>(w.value("index", 0ull)),
                static_cast<unsigned long long>(w.value("lcore", 0ull)),
                static_cast<unsigned long long>(w.value("rx", 0ull)),
                static_cast<unsigned long long>(w.value("tx", 0ull)),
                static_cast<unsigned long long>(w.value("handed_off", 0ull)),
                static_cast<unsigned long long>(w.value("beats", 0ull)),
                w.value("stalled", false) ? "STALLED" : "ok");
  }
  const auto& ev = s["health"]["events"];
  if (!ev.empty()) {
    std::printf("\nhealth events:\n");
    for (const auto& e : ev) std::printf("  %s\n", e.get<std::string>().c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Control of a running Vigil appliance", "vigilctl"};
  std::string socket = "/run/vigil/vigild.sock";
  app.add_option("--socket", socket, "vigild's control socket");
  app.require_subcommand(1);
  bool json = false;
  auto* st = app.add_subcommand("status", "Ports, link state, workers, rates, drops, bypass state");
  st->add_flag("--json", json, "The raw JSON");
  auto* dbg = app.add_subcommand("debug", "Test hooks");
  dbg->require_subcommand(1);
  unsigned worker = 0, ms = 0;
  auto* stall = dbg->add_subcommand("stall-worker", "Make a worker stop for a while (fail-open tests)");
  stall->add_option("--worker", worker, "Worker index")->required();
  stall->add_option("--ms", ms, "How long")->required()->check(CLI::Range(1u, 600000u));
  CLI11_PARSE(app, argc, argv);

  std::string request = "status";
  if (stall->parsed()) request = "debug stall-worker " + std::to_string(worker) + " " + std::to_string(ms);
  std::string answer, err;
  if (!vigil::appliance::control_request(socket, request, answer, err)) {
    std::fprintf(stderr, "vigilctl: %s\n", err.c_str());
    return 1;
  }
  nlohmann::json j = nlohmann::json::parse(answer, nullptr, false);
  if (j.is_discarded()) {
    std::fprintf(stderr, "vigilctl: vigild answered something that is not JSON: %.200s\n", answer.c_str());
    return 1;
  }
  if (j.contains("error")) {
    std::fprintf(stderr, "vigilctl: %s\n", j["error"].get<std::string>().c_str());
    return 1;
  }
  if (st->parsed() && !json) {
    print_status(j);
  } else {
    std::printf("%s\n", j.dump(json ? -1 : 2).c_str());
  }
  return 0;
}
