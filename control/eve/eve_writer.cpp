#include "control/eve/eve_writer.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "control/eve/eve_format.h"
#include "dataplane/flow/community_id.h"
#include "dataplane/detect/engine/signature.h"
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

std::string alert_event_json(const detect::AlertRecord& a) {
  const detect::Signature& s = *a.sig;
  Json j;
  j["timestamp"] = timestamp(a.ts_ns);
  if (a.flags & detect::alertflag::has_flow) j["flow_id"] = a.flow_id;
  j["pcap_cnt"] = a.pcap_cnt;
  j["event_type"] = "alert";
  if (a.vlan[0] != 0 || a.vlan[1] != 0) {
    Json vlan = Json::array();
    vlan.push_back(a.vlan[0]);
    if (a.vlan[1] != 0) vlan.push_back(a.vlan[1]);
    j["vlan"] = vlan;
  }
  const bool ports = has_ports(a.ip_proto);
  j["src_ip"] = ip_text(a.family, a.src);
  if (ports) j["src_port"] = a.sport;
  j["dest_ip"] = ip_text(a.family, a.dst);
  if (ports) j["dest_port"] = a.dport;
  j["ip_v"] = a.family == IpFamily::v6 ? 6 : 4;
  j["proto"] = proto_name(a.ip_proto);
  switch (a.source) {
    case detect::PacketSource::wire: j["pkt_src"] = "wire/pcap"; break;
    case detect::PacketSource::defrag: j["pkt_src"] = "defrag"; break;
    case detect::PacketSource::ipv4_tunnel: j["pkt_src"] = "ipv4 tunnel"; break;
    case detect::PacketSource::ipv6_tunnel: j["pkt_src"] = "ipv6 tunnel"; break;
  }
  if (a.ip_proto == ipproto::icmp || a.ip_proto == ipproto::icmpv6) {
    j["icmp_type"] = a.icmp_type;
    j["icmp_code"] = a.icmp_code;
  }
  if (a.flags & detect::alertflag::has_flow) {
    const std::string cid = community_id_v1(
        community_id_tuple(a.family, a.flow_client, a.flow_server, a.ip_proto,
                           a.flow_client_port, a.flow_server_port, a.icmp_type, a.icmp_code));
    if (!cid.empty()) j["community_id"] = cid;
    j["direction"] = a.dir == FlowDirection::to_server ? "to_server" : "to_client";
    if (a.app_proto != 0) j["app_proto"] = app::app_proto_name(static_cast<app::AppProto>(a.app_proto));
  }
  Json alert;
  alert["action"] = (a.flags & detect::alertflag::blocked) ? "blocked" : "allowed";
  alert["gid"] = s.gid;
  alert["signature_id"] = s.sid;
  alert["rev"] = s.rev;
  alert["signature"] = s.msg;
  alert["category"] = s.category;
  alert["severity"] = s.priority;
  if (!s.metadata.empty()) {
    Json md = Json::object();
    for (const auto& [k, v] : s.metadata) md[k].push_back(v);
    alert["metadata"] = md;
  }
  if (!s.target.empty()) {
    const bool src_is_target = s.target == "src_ip";
    Json src, tgt;
    src["ip"] = ip_text(a.family, src_is_target ? a.dst : a.src);
    tgt["ip"] = ip_text(a.family, src_is_target ? a.src : a.dst);
    if (ports) {
      src["port"] = src_is_target ? a.dport : a.sport;
      tgt["port"] = src_is_target ? a.sport : a.dport;
    }
    alert["source"] = src;
    alert["target"] = tgt;
  }
  j["alert"] = alert;
  if (a.tunnel_depth > 0) {
    // Suricata's names for the outer protocol: IP-in-IP for IPv4 inside, IPv6 for IPv6 inside.
    Json t;
    t["src_ip"] = ip_text(a.tunnel_family, a.tunnel_src);
    t["dest_ip"] = ip_text(a.tunnel_family, a.tunnel_dst);
    switch (a.tunnel_proto) {
      case 4: t["proto"] = "IP-in-IP"; break;
      case ipproto::ipv6: t["proto"] = "IPv6"; break;
      case 17: t["proto"] = "VXLAN"; break;
      default: t["proto"] = proto_name(a.tunnel_proto); break;
    }
    t["depth"] = a.tunnel_depth;
    j["tunnel"] = t;
  }
  j["stream"] = (a.flags & detect::alertflag::stream_match) ? 1 : 0;
  {
    // Suricata's verdict on the packet the alert is about (drop only happens inline).
    Json v;
    v["action"] = (a.flags & detect::alertflag::packet_dropped) ? "drop"
                  : (a.flags & detect::alertflag::packet_passed) ? "pass"
                                                                  : "alert";
    j["verdict"] = v;
  }
  if (a.flags & detect::alertflag::has_flow) {
    Json flow;
    flow["pkts_toserver"] = a.flow_pkts[0];
    flow["pkts_toclient"] = a.flow_pkts[1];
    flow["bytes_toserver"] = a.flow_bytes[0];
    flow["bytes_toclient"] = a.flow_bytes[1];
    flow["start"] = timestamp(a.flow_start_ns);
    flow["src_ip"] = ip_text(a.family, a.flow_client);
    flow["dest_ip"] = ip_text(a.family, a.flow_server);
    if (ports) {
      flow["src_port"] = a.flow_client_port;
      flow["dest_port"] = a.flow_server_port;
    }
    j["flow"] = flow;
  }
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void EveWriter::write_alert(const detect::AlertRecord& a) { write_event(alert_event_json(a), true); }

std::string app_event_json(const app::AppRecordHeader& h, std::string_view object_json) {
  Json j;
  j["timestamp"] = timestamp(h.ts_ns);
  j["flow_id"] = h.flow_id;
  j["pcap_cnt"] = h.pcap_cnt;
  const std::string_view proto = app::app_proto_name(h.proto);
  j["event_type"] = proto;
  if (h.vlan[0] != 0 || h.vlan[1] != 0) {
    Json vlan = Json::array();
    vlan.push_back(h.vlan[0]);
    if (h.vlan[1] != 0) vlan.push_back(h.vlan[1]);
    j["vlan"] = vlan;
  }
  j["src_ip"] = ip_text(h.family, h.src);
  j["src_port"] = h.sport;
  j["dest_ip"] = ip_text(h.family, h.dst);
  j["dest_port"] = h.dport;
  j["proto"] = proto_name(h.ip_proto);
  const bool ts = h.dir == FlowDirection::to_server;
  const std::string cid = community_id_v1(community_id_tuple(
      h.family, ts ? h.src : h.dst, ts ? h.dst : h.src, h.ip_proto, ts ? h.sport : h.dport,
      ts ? h.dport : h.sport, 0, 0));
  if (!cid.empty()) j["community_id"] = cid;
  if (h.proto != app::AppProto::tls) j["tx_id"] = h.tx_id;
  // The protocol object was written by the app layer as JSON text: spliced in as it is.
  std::string line = j.dump();
  line.pop_back();
  line += ",\"";
  line += proto;
  line += "\":";
  line += object_json;
  line += '}';
  return line;
}

void EveWriter::write_app_record(const app::AppRecordHeader& h, std::string_view object_json) {
  write_event(app_event_json(h, object_json), false);
}

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
  if (r.app_proto != 0) j["app_proto"] = app::app_proto_name(static_cast<app::AppProto>(r.app_proto));
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

void EveWriter::write_flow(const FlowRecord& record) { write_event(flow_event_json(record), false); }

void EveWriter::write_event(const std::string& line, bool alert) {
  write_line(line);
  if (sink_) sink_(line, alert);
}

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

void EveWriter::flush() {
  if (file_ != nullptr && std::fflush(file_) != 0) failed_ = true;
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
