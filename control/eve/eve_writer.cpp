#include "control/eve/eve_writer.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "control/eve/eve_format.h"
#include "dataplane/flow/community_id.h"
#include "dataplane/flow/tcp_state.h"

namespace vigil::eve {

using Json = nlohmann::ordered_json;

namespace {

std::string hex_flags(std::uint8_t f) {
  char buf[3];
  std::snprintf(buf, sizeof buf, "%02x", f);
  return buf;
}

bool has_ports(std::uint8_t proto) {
  return proto == ipproto::tcp || proto == ipproto::udp || proto == 132 /* SCTP */;
}

// Puts value at the dotted path ("decoder.event.ipv4.trunc_pkt") inside obj.
void put_dotted(Json& obj, std::string_view name, std::uint64_t value) {
  Json* node = &obj;
  while (true) {
    const auto dot = name.find('.');
    if (dot == std::string_view::npos) break;
    Json& child = (*node)[std::string(name.substr(0, dot))];
    if (!child.is_object()) child = Json::object();
    node = &child;
    name.remove_prefix(dot + 1);
  }
  (*node)[std::string(name)] = value;
}

}  // namespace

std::string flow_event_json(const FlowRecord& r) {
  Json j;
  j["timestamp"] = timestamp(r.end_ns);
  j["flow_id"] = r.flow_id;
  j["event_type"] = "flow";
  if (r.vlan[0] != 0 || r.vlan[1] != 0) {
    Json vlan = Json::array();
    vlan.push_back(r.vlan[0]);
    if (r.vlan[1] != 0) vlan.push_back(r.vlan[1]);
    j["vlan"] = vlan;
  }
  j["src_ip"] = ip_text(r.family, r.client_addr);
  if (has_ports(r.ip_proto)) j["src_port"] = r.client_port;
  j["dest_ip"] = ip_text(r.family, r.server_addr);
  if (has_ports(r.ip_proto)) j["dest_port"] = r.server_port;
  j["proto"] = proto_name(r.ip_proto);
  if (r.ip_proto == ipproto::icmp || r.ip_proto == ipproto::icmpv6) {
    j["icmp_type"] = r.icmp_type;
    j["icmp_code"] = r.icmp_code;
    if (r.pkts_toclient > 0) {
      j["response_icmp_type"] = r.response_icmp_type;
      j["response_icmp_code"] = r.response_icmp_code;
    }
  }
  j["community_id"] = community_id_v1(r);
  Json flow;
  flow["pkts_toserver"] = r.pkts_toserver;
  flow["pkts_toclient"] = r.pkts_toclient;
  flow["bytes_toserver"] = r.bytes_toserver;
  flow["bytes_toclient"] = r.bytes_toclient;
  flow["start"] = timestamp(r.start_ns);
  flow["end"] = timestamp(r.end_ns);
  flow["age"] = (r.end_ns / 1'000'000'000ull) - (r.start_ns / 1'000'000'000ull);
  flow["state"] = flow_state_name(r.state);
  flow["reason"] = flow_end_reason_name(r.reason);
  flow["alerted"] = (r.flags & flowrec::flagged) != 0;
  if (r.flags & (flowrec::gap_ts | flowrec::gap_tc)) flow["gap"] = true;
  j["flow"] = flow;
  if (r.ip_proto == ipproto::tcp) {
    Json tcp;
    tcp["tcp_flags"] = hex_flags(r.tcp_flags);
    tcp["tcp_flags_ts"] = hex_flags(r.tcp_flags_ts);
    tcp["tcp_flags_tc"] = hex_flags(r.tcp_flags_tc);
    static constexpr std::pair<std::uint8_t, const char*> kNames[] = {
        {tcpflag::syn, "syn"}, {tcpflag::fin, "fin"}, {tcpflag::rst, "rst"},
        {tcpflag::psh, "psh"}, {tcpflag::ack, "ack"}, {tcpflag::urg, "urg"},
        {tcpflag::ece, "ecn"}, {tcpflag::cwr, "cwr"}};
    for (const auto& [bit, name] : kNames) {
      if (r.tcp_flags & bit) tcp[name] = true;
    }
    tcp["state"] = tcp_state_name(r.tcp_state);
    if (r.flags & flowrec::midstream) tcp["midstream"] = true;
    j["tcp"] = tcp;
  }
  return j.dump();
}

std::unique_ptr<EveWriter> EveWriter::open(const std::string& path, std::string& err) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    err = path + ": cannot open for writing: " + std::strerror(errno);
    return nullptr;
  }
  // Large buffer: events are written in bursts and the file is fsync'd once at close.
  std::setvbuf(f, nullptr, _IOFBF, 1 << 20);
  return std::unique_ptr<EveWriter>(new EveWriter(path, f));
}

EveWriter::~EveWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void EveWriter::write_line(const std::string& line) {
  if (file_ == nullptr) return;
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() ||
      std::fputc('\n', file_) == EOF) {
    failed_ = true;
  }
  ++events_;
}

void EveWriter::write_flow(const FlowRecord& record) { write_line(flow_event_json(record)); }

void EveWriter::write_stats(std::uint64_t ts_ns, std::uint64_t uptime_s,
                            const CounterList& counters) {
  Json j;
  j["timestamp"] = timestamp(ts_ns);
  j["event_type"] = "stats";
  Json stats;
  stats["uptime"] = uptime_s;
  for (const auto& [name, value] : counters) put_dotted(stats, name, value);
  j["stats"] = stats;
  write_line(j.dump());
}

bool EveWriter::close(std::string& err) {
  if (file_ == nullptr) return !failed_;
  bool ok = !failed_;
  int saved = 0;
  if (std::fflush(file_) != 0) {
    ok = false;
    saved = errno;
  } else if (::fsync(::fileno(file_)) != 0) {
    ok = false;
    saved = errno;
  }
  if (std::fclose(file_) != 0 && ok) {
    ok = false;
    saved = errno;
  }
  file_ = nullptr;
  if (!ok) err = path_ + ": writing events failed: " + std::strerror(saved ? saved : EIO);
  return ok;
}

}  // namespace vigil::eve
