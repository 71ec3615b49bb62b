// The Suricata-compatible settings: `--set` keys mapped onto Vigil's configuration.
#include "dataplane/detect/rules/rule_text.h"
#include "control/config/replay_settings.h"

#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

namespace vigil {

using detect::lower_ascii;
using detect::trim;

namespace {



SetOutcome ok() { return {}; }
SetOutcome warning(std::string m) { return {SetOutcome::Status::warning, std::move(m)}; }
SetOutcome error(std::string m) { return {SetOutcome::Status::error, std::move(m)}; }

// Suricata's boolean spellings.
bool parse_bool(std::string_view v, bool& out) {
  const std::string l = lower_ascii(trim(v));
  if (l == "yes" || l == "true" || l == "on" || l == "1" || l == "enable" || l == "enabled") {
    out = true;
    return true;
  }
  if (l == "no" || l == "false" || l == "off" || l == "0" || l == "disable" || l == "disabled") {
    out = false;
    return true;
  }
  return false;
}

// Sizes as Suricata writes them: 1234, 100kb, 10mb, 1gb (case-insensitive, 1024-based).
bool parse_size(std::string_view v, std::uint64_t& out) {
  const std::string l = lower_ascii(trim(v));
  std::size_t i = 0;
  while (i < l.size() && std::isdigit(static_cast<unsigned char>(l[i]))) ++i;
  if (i == 0) return false;
  std::uint64_t n = 0;
  if (std::from_chars(l.data(), l.data() + i, n).ec != std::errc()) return false;
  const std::string_view unit = trim(std::string_view(l).substr(i));
  std::uint64_t mul = 1;
  if (unit.empty() || unit == "b") {
  } else if (unit == "kb" || unit == "k" || unit == "kib") {
    mul = 1024;
  } else if (unit == "mb" || unit == "m" || unit == "mib") {
    mul = 1024 * 1024;
  } else if (unit == "gb" || unit == "g" || unit == "gib") {
    mul = 1024ull * 1024 * 1024;
  } else {
    return false;
  }
  if (n > UINT64_MAX / mul) return false;
  out = n * mul;
  return true;
}

bool parse_uint(std::string_view v, std::uint64_t max, std::uint64_t& out) {
  v = trim(v);
  if (v.empty()) return false;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && p == v.data() + v.size() && out <= max;
}

bool parse_action(std::string_view v, detect::RuleAction& out) {
  const std::string l = lower_ascii(trim(v));
  if (l == "pass") out = detect::RuleAction::pass;
  else if (l == "drop") out = detect::RuleAction::drop;
  else if (l == "reject") out = detect::RuleAction::reject;
  else if (l == "alert") out = detect::RuleAction::alert;
  else return false;
  return true;
}

}  // namespace

ReplaySettings suricata_compatible_defaults() {
  ReplaySettings s;
  s.worker.flows.tcp.midstream = false;
  s.worker.stream.midstream_pickup = false;
  return s;
}

SetOutcome apply_checksum_mode(std::string_view mode, ReplaySettings& s) {
  const std::string m = lower_ascii(trim(mode));
  if (m == "none") {
    s.checksums = ChecksumMode::none;
  } else if (m == "all") {
    s.checksums = ChecksumMode::all;
  } else {
    return error("-k: expected none or all, not '" + std::string(mode) + "'");
  }
  return ok();
}

SetOutcome apply_suricata_set(std::string_view assignment, ReplaySettings& s) {
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos) {
    return error("--set " + std::string(assignment) + ": expected KEY=VALUE");
  }
  const std::string key = lower_ascii(trim(assignment.substr(0, eq)));
  const std::string_view value = trim(assignment.substr(eq + 1));
  const std::string shown = "--set " + key + "=" + std::string(value);
  auto bad = [&](std::string_view what) { return error(shown + ": " + std::string(what)); };

  bool b = false;
  std::uint64_t n = 0;
  if (key == "vlan.use-for-tracking") {
    if (!parse_bool(value, b)) return bad("expected a boolean (yes/no, true/false)");
    s.worker.flows.vlan_tracking = b;
    return ok();
  }
  if (key == "stream.midstream") {
    if (!parse_bool(value, b)) return bad("expected a boolean (yes/no, true/false)");
    s.worker.flows.tcp.midstream = b;
    s.worker.stream.midstream_pickup = b;
    return ok();
  }
  if (key == "stream.inline") {
    if (!parse_bool(value, b)) return bad("expected a boolean");
    // Vigil inspects every segment's reassembled bytes as it arrives, which is what inline mode
    // changes in Suricata; the setting is recorded for the inline dataplane.
    s.stream_inline = b;
    return ok();
  }
  if (key == "stream.async-oneside") {
    if (!parse_bool(value, b)) return bad("expected a boolean");
    s.async_oneside = b;
    s.worker.flows.tcp.async_oneside = b;
    if (b) {
      // One-sided TCP needs midstream-style pickup of the seen direction.
      s.worker.flows.tcp.midstream = true;
      s.worker.stream.midstream_pickup = true;
    }
    return ok();
  }
  if (key == "packet-alert-max") {
    if (!parse_uint(value, detect::DetectContext::kMaxAlertsPerPacket, n) || n == 0) {
      return bad("expected 1.." + std::to_string(detect::DetectContext::kMaxAlertsPerPacket));
    }
    s.worker.detect.packet_alert_max = static_cast<std::uint32_t>(n);
    return ok();
  }
  if (key == "action-order") {
    std::vector<detect::RuleAction> order;
    std::string_view rest = value;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      detect::RuleAction a;
      if (!parse_action(rest.substr(0, comma), a)) {
        return bad("expected a comma list of pass, drop, reject, alert");
      }
      for (auto o : order) {
        if (o == a) return bad("an action is listed twice");
      }
      order.push_back(a);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (order.size() != 4) return bad("all four actions must be listed");
    s.rules.action_order = order;
    return ok();
  }
  if (key.starts_with("vars.address-groups.") || key.starts_with("vars.port-groups.")) {
    const bool addr = key.starts_with("vars.address-groups.");
    // Variable names keep their case ($HOME_NET): take them from the original text.
    const std::string_view raw_key = trim(assignment.substr(0, eq));
    const std::string name(raw_key.substr(raw_key.rfind('.') + 1));
    if (name.empty()) return bad("missing variable name");
    (addr ? s.rules.vars.addresses : s.rules.vars.ports)[name] = std::string(value);
    return ok();
  }
  if (key == "detect.inspection-recursion-limit") {
    if (!parse_uint(value, 1000000, n) || n == 0) return bad("expected 1..1000000");
    s.worker.detect.recursion_limit = static_cast<std::uint32_t>(n);
    return ok();
  }
  const std::string http = "app-layer.protocols.http.libhtp.default-config.";
  if (key.starts_with(http)) {
    const std::string k = key.substr(http.size());
    if (k == "request-body-limit" || k == "response-body-limit") {
      if (!parse_size(value, n)) return bad("expected a size (e.g. 100kb)");
      (k == "request-body-limit" ? s.app_layer.http_request_body_limit
                                 : s.app_layer.http_response_body_limit) = n;
      return ok();
    }
    if (k == "response-body-decompress-layer-limit") {
      if (!parse_uint(value, 16, n)) return bad("expected 0..16");
      s.app_layer.http_decompress_layer_limit = static_cast<std::uint32_t>(n);
      return ok();
    }
    if (k == "lzma-enabled") {
      if (!parse_bool(value, b)) return bad("expected a boolean");
      s.app_layer.http_lzma = b;
      return ok();
    }
  }
  if (key.starts_with("app-layer.protocols.") &&
      (key.ends_with(".detection-ports.dp") || key.ends_with(".detection-ports.sp"))) {
    detect::PortSpecResult ports = detect::parse_port_spec(value, s.rules.vars);
    if (ports.problem) return bad(ports.problem->message);
    s.app_layer.detection_ports.push_back(key + "=" + std::string(value));
    return ok();
  }
  // Keys that select an implementation, not a result: Vigil always uses Hyperscan and its own
  // statistics, so they are accepted as they are.
  if (key == "mpm-algo" || key == "spm-algo" || key.starts_with("stats.") ||
      key.starts_with("outputs.") || key.starts_with("logging.")) {
    return ok();
  }
  return warning(shown + ": Vigil does not know this setting; ignored");
}

RuleLoad load_rule_files(const std::vector<std::string>& paths,
                         const std::string& classification_path,
                         detect::RuleSetConfig config) {
  RuleLoad load;
  auto read = [&](const std::string& path, std::string& text) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      load.fatal.push_back(path + ": cannot open");
      return false;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) {
      load.fatal.push_back(path + ": read error");
      return false;
    }
    text = ss.str();
    if (text.find('\0') != std::string::npos) {
      load.fatal.push_back(path + ": contains NUL bytes; not a rule file");
      return false;
    }
    return true;
  };
  if (!classification_path.empty()) {
    std::string text;
    if (read(classification_path, text)) {
      detect::ClassificationParseResult c =
          detect::parse_classification_config(text, classification_path);
      for (const std::string& e : c.errors) load.warnings.push_back(e);
      config.classification = std::move(c.table);
    }
  }
  std::vector<detect::RuleFile> files;
  for (const std::string& p : paths) {
    detect::RuleFile f;
    f.source = p;
    if (read(p, f.text)) files.push_back(std::move(f));
  }
  if (!load.fatal.empty()) return load;
  load.result = detect::RuleSet::build(files, config);
  return load;
}

}  // namespace vigil
