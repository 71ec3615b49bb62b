#include "control/vigild/replay_report.h"

#include <unistd.h>

#include <algorithm>

#include "control/eve/eve_format.h"

namespace vigil {

std::string with_commas(std::uint64_t v) {
  std::string digits = std::to_string(v);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string human_bytes(std::uint64_t v) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double d = static_cast<double>(v);
  std::size_t u = 0;
  while (d >= 1024.0 && u + 1 < std::size(kUnits)) {
    d /= 1024.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", d, kUnits[u]);
  return buf;
}

namespace {

std::string rate(double per_s) {
  char buf[32];
  if (per_s >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.2f M", per_s / 1e6);
  } else if (per_s >= 1e3) {
    std::snprintf(buf, sizeof buf, "%.1f k", per_s / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f ", per_s);
  }
  return buf;
}

std::string endpoint(const FlowRecord& r, const IpAddress& a, std::uint16_t port) {
  std::string s = eve::ip_text(r.family, a);
  if (r.family == IpFamily::v6) s = "[" + s + "]";
  if (r.ip_proto == ipproto::tcp || r.ip_proto == ipproto::udp) s += ":" + std::to_string(port);
  return s;
}

}  // namespace

ProgressLine::ProgressLine(std::FILE* out) : out_(out), enabled_(::isatty(::fileno(out)) == 1) {}

void ProgressLine::update(const SourceProgress& p, std::uint64_t total_packets,
                          std::uint64_t elapsed_ns) {
  if (!enabled_ || elapsed_ns < last_draw_ns_ + 200'000'000ull) return;
  last_draw_ns_ = elapsed_ns;
  double fraction = p.fraction();
  if (total_packets != 0) fraction = static_cast<double>(p.packets) / total_packets;
  const double secs = static_cast<double>(elapsed_ns) / 1e9;
  const double pps = secs > 0 ? static_cast<double>(p.packets) / secs : 0.0;
  std::fprintf(out_, "\r\033[K  %.*s: %s packets  %5.1f%%  %spackets/s",
               static_cast<int>(p.name.size()), p.name.data(), with_commas(p.packets).c_str(),
               std::min(fraction, 1.0) * 100.0, rate(pps).c_str());
  std::fflush(out_);
  drawn_ = true;
}

void ProgressLine::clear() {
  if (!drawn_) return;
  std::fprintf(out_, "\r\033[K");
  std::fflush(out_);
  drawn_ = false;
}

void ReplayTally::add(const FlowRecord& r) {
  ++flows;
  ++flows_by_proto[r.ip_proto];
  ++ended_by_reason[static_cast<std::size_t>(r.reason) & 7];
  if (keep == 0) return;
  auto bigger = [](const FlowRecord& a, const FlowRecord& b) {
    return a.bytes_toserver + a.bytes_toclient > b.bytes_toserver + b.bytes_toclient;
  };
  if (largest.size() < keep) {
    largest.push_back(r);
    std::push_heap(largest.begin(), largest.end(), bigger);
  } else if (bigger(r, largest.front())) {
    std::pop_heap(largest.begin(), largest.end(), bigger);
    largest.back() = r;
    std::push_heap(largest.begin(), largest.end(), bigger);
  }
}

void ReplayTally::add_alert(const detect::AlertRecord& a) {
  ++alerts;
  alerts_blocked += (a.flags & detect::alertflag::blocked) != 0;
  ++alerts_by_sig[a.sig];
}

void print_detection_summary(std::FILE* out, const Worker& worker, const ReplayTally& tally,
                             const RuleLoadReport& rules, unsigned show_alerts) {
  const detect::RuleSetStats& st = rules.stats;
  std::string skipped;
  for (const auto& [reason, n] : st.skipped_by_reason) {
    skipped += (skipped.empty() ? "" : ", ") + reason + " " + with_commas(n);
  }
  std::fprintf(out, "rules: %s loaded, %s skipped%s%s%s in %.3f s (prefilter %.3f s, %s patterns, %s)\n",
               with_commas(st.loaded).c_str(), with_commas(st.skipped).c_str(),
               skipped.empty() ? "" : " (", skipped.c_str(), skipped.empty() ? "" : ")",
               static_cast<double>(rules.load_ns) / 1e9,
               static_cast<double>(st.prefilter_time.count()) / 1e9,
               with_commas(st.prefilter.patterns).c_str(),
               human_bytes(st.prefilter.database_bytes).c_str());
  std::uint64_t dropped = 0, passed = 0, flows_passed = 0, flows_dropped = 0;
  if (const auto* d = worker.detect()) {
    const auto& c = d->counters();
    dropped = c.get(detect::DetectCounter::dropped_packets) +
              c.get(detect::DetectCounter::rejected_packets);
    passed = c.get(detect::DetectCounter::passed_packets);
    flows_passed = c.get(detect::DetectCounter::pass_flows);
    flows_dropped = c.get(detect::DetectCounter::drop_flows);
  }
  std::fprintf(out, "alerts: %s from %zu signature%s; blocked %s; packets dropped %s; flows passed %s, dropped %s\n",
               with_commas(tally.alerts).c_str(), tally.alerts_by_sig.size(),
               tally.alerts_by_sig.size() == 1 ? "" : "s", with_commas(tally.alerts_blocked).c_str(),
               with_commas(dropped).c_str(), with_commas(flows_passed).c_str(),
               with_commas(flows_dropped).c_str());
  (void)passed;
  std::vector<std::pair<std::uint64_t, const detect::Signature*>> top;
  for (const auto& [sig, n] : tally.alerts_by_sig) top.emplace_back(n, sig);
  std::sort(top.begin(), top.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second->sid < b.second->sid;
  });
  for (std::size_t i = 0; i < top.size() && i < show_alerts; ++i) {
    const detect::Signature& s = *top[i].second;
    std::fprintf(out, "  %8s  [%u:%u:%u] %s\n", with_commas(top[i].first).c_str(), s.gid, s.sid,
                 s.rev, s.msg.c_str());
  }
}

void print_summary(std::FILE* out, const Worker& worker, const ReplayTally& tally,
                   std::size_t files, const std::string& io, std::uint64_t elapsed_ns,
                   const std::string& eve_path,
                   std::uint64_t eve_events) {
  const WorkerCounters& c = worker.counters();
  const double secs = std::max(static_cast<double>(elapsed_ns) / 1e9, 1e-9);
  std::fprintf(out, "replayed %zu file%s through %s: %s packets, %s in %.3f s (%spackets/s, %sbit/s)\n",
               files, files == 1 ? "" : "s", io.c_str(), with_commas(c.packets).c_str(),
               human_bytes(c.bytes).c_str(), secs, rate(c.packets / secs).c_str(),
               rate(c.bytes * 8.0 / secs).c_str());

  std::string by_proto;
  for (std::size_t p = 0; p < 256; ++p) {
    if (tally.flows_by_proto[p] == 0) continue;
    by_proto += (by_proto.empty() ? "" : ", ") + eve::proto_name(static_cast<std::uint8_t>(p)) +
                " " + with_commas(tally.flows_by_proto[p]);
  }
  std::fprintf(out, "flows: %s (%s)\n", with_commas(tally.flows).c_str(),
               by_proto.empty() ? "none" : by_proto.c_str());
  std::string reasons;
  for (std::size_t r = 0; r < 8; ++r) {
    if (tally.ended_by_reason[r] == 0) continue;
    reasons += (reasons.empty() ? "" : ", ") +
               std::string(flow_end_reason_name(static_cast<FlowEndReason>(r))) + " " +
               with_commas(tally.ended_by_reason[r]);
  }
  if (!reasons.empty()) std::fprintf(out, "  ended by: %s\n", reasons.c_str());
  std::fprintf(out, "  layers: IPv4 %s, IPv6 %s, VLAN-tagged %s, not IP %s\n",
               with_commas(c.ipv4).c_str(), with_commas(c.ipv6).c_str(),
               with_commas(c.vlan).c_str(), with_commas(c.not_ip).c_str());
  std::fprintf(out, "  fragments: %s, datagrams rebuilt %s; stream: %s reassembled in order\n",
               with_commas(c.fragments).c_str(), with_commas(c.reassembled).c_str(),
               human_bytes(c.stream_bytes).c_str());

  if (const app::AppLayer* al = worker.app()) {
    // Flows by application protocol, transactions logged, and the parsers' anomaly counters.
    std::string protos, parser;  // parser counters: events and sizes, not only errors
    const auto& ac = al->counters();
    for (std::size_t i = 0; i < ac.values.size(); ++i) {
      const std::string_view name = app::app_counter_name(static_cast<app::AppCounter>(i));
      if (ac.values[i] == 0 || !name.starts_with("app_layer.flow.")) continue;
      protos += (protos.empty() ? "" : ", ") + std::string(name.substr(15)) + " " +
                with_commas(ac.values[i]);
    }
    al->for_each_counter([&](std::string_view name, std::uint64_t v) {
      if (v == 0 || name.starts_with("app_layer.")) return;
      if (parser.size() < 400) {
        parser += (parser.empty() ? "" : ", ") + std::string(name) + " " + with_commas(v);
      }
    });
    std::fprintf(out, "app layer: %s; transactions: http %s, dns %s, tls %s\n",
                 protos.empty() ? "no protocol recognised" : protos.c_str(),
                 with_commas(ac.get(app::AppCounter::tx_http)).c_str(),
                 with_commas(ac.get(app::AppCounter::tx_dns)).c_str(),
                 with_commas(ac.get(app::AppCounter::tx_tls)).c_str());
    if (!parser.empty()) {
      std::fprintf(out, "  parser counters: %s\n", parser.c_str());
    }
    if (ac.get(app::AppCounter::records_dropped) + ac.get(app::AppCounter::state_exhausted) != 0) {
      std::fprintf(out, "WARNING: app layer: %s records dropped (queue full), %s flows not parsed "
                   "(no state slot)\n",
                   with_commas(ac.get(app::AppCounter::records_dropped)).c_str(),
                   with_commas(ac.get(app::AppCounter::state_exhausted)).c_str());
    }
  }

  std::uint64_t events = 0;
  std::string names;
  const auto& dc = worker.decode_counters();
  for (std::size_t i = 0; i < kDecodeEventCount; ++i) {
    if (dc.values[i] == 0) continue;
    events += dc.values[i];
    names += (names.empty() ? "" : ", ") +
             std::string(decode_event_name(static_cast<DecodeEvent>(i))) + " " +
             with_commas(dc.values[i]);
  }
  std::fprintf(out, "decoder events: %s%s%s%s\n", with_commas(events).c_str(),
               names.empty() ? "" : " (", names.c_str(), names.empty() ? "" : ")");
  if (c.records_dropped != 0) {
    std::fprintf(out, "WARNING: %s flow records dropped (event queue full)\n",
                 with_commas(c.records_dropped).c_str());
  }

  if (!tally.largest.empty()) {
    std::vector<FlowRecord> top = tally.largest;
    std::sort(top.begin(), top.end(), [](const FlowRecord& a, const FlowRecord& b) {
      return a.bytes_toserver + a.bytes_toclient > b.bytes_toserver + b.bytes_toclient;
    });
    std::fprintf(out, "largest flows:\n");
    for (const auto& r : top) {
      const std::string proto = eve::proto_name(r.ip_proto);
      std::fprintf(out, "  %-9s %-44s -> %-44s %6s pkts %10s  %s\n", proto.c_str(),
                   endpoint(r, r.client_addr, r.client_port).c_str(),
                   endpoint(r, r.server_addr, r.server_port).c_str(),
                   with_commas(r.pkts_toserver + r.pkts_toclient).c_str(),
                   human_bytes(r.bytes_toserver + r.bytes_toclient).c_str(),
                   std::string(flow_state_name(r.state)).c_str());
    }
  }
  std::fprintf(out, "eve: %s (%s events)\n", eve_path.c_str(), with_commas(eve_events).c_str());
}

}  // namespace vigil
