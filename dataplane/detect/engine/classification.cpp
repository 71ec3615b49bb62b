#include "dataplane/detect/rules/rule_text.h"
#include "dataplane/detect/engine/classification.h"

#include <cstddef>

// Suricata's reading of a line, kept here: `config`, `classification` and `:` may be separated by
// any blanks (or none); the description runs to the last comma, so it may hold commas; names are
// stored lower-cased and looked up without regard to case; a repeated name keeps the first
// definition. Where Suricata rejects the whole file on one bad line, a bad line here is reported
// and skipped. Names are letters, digits, '-' and '_' starting with a letter (Suricata's pattern
// `[a-zA-Z0-9-_]` reads as a range from '9' to '_' and so also lets ':' '@' '[' and the like
// through; nobody relies on that).

namespace vigil::detect {
namespace {

constexpr std::size_t kMaxNameLength = 63;          // Suricata: 64-byte buffer
constexpr std::size_t kMaxDescriptionLength = 511;  // Suricata: 512-byte buffer

char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool valid_name(std::string_view n) {
  if (n.empty() || !is_letter(n[0])) return false;
  for (char c : n)
    if (!is_letter(c) && !is_digit(c) && c != '-' && c != '_') return false;
  return true;
}


bool consume(std::string_view& s, std::string_view word) {
  if (s.substr(0, word.size()) != word) return false;
  s.remove_prefix(word.size());
  s = trim(s);
  return true;
}

// Parses one non-comment line into `out`, or returns why it is not a classtype.
std::string parse_line(std::string_view line, ClassType& out) {
  std::string_view s = trim(line);
  if (!consume(s, "config") || !consume(s, "classification") || !consume(s, ":"))
    return "not a 'config classification: name,description,priority' line: " + quoted(line);
  std::size_t first = s.find(',');
  std::size_t last = s.rfind(',');
  if (first == std::string_view::npos || first == last)
    return "expected name,description,priority: " + quoted(s);
  std::string_view name = trim(s.substr(0, first));
  std::string_view description = trim(s.substr(first + 1, last - first - 1));
  std::string_view priority = trim(s.substr(last + 1));
  if (!valid_name(name))
    return "bad classtype name " + quoted(name) + " (a letter, then letters, digits, '-', '_')";
  if (name.size() > kMaxNameLength)
    return "classtype name " + quoted(name) + " is longer than " + std::to_string(kMaxNameLength) +
           " characters";
  if (description.empty()) return "classtype " + std::string(name) + " has no description";
  if (description.size() > kMaxDescriptionLength)
    return "description of classtype " + std::string(name) + " is longer than " +
           std::to_string(kMaxDescriptionLength) + " characters";
  if (priority.empty()) return "classtype " + std::string(name) + " has no priority";
  unsigned value = 0;
  for (char c : priority) {
    if (!is_digit(c))
      return "priority of classtype " + std::string(name) + " is not a number: " + quoted(priority);
    value = value * 10 + static_cast<unsigned>(c - '0');
    if (value > 255)
      return "priority of classtype " + std::string(name) + " " + quoted(priority) + " is above 255";
  }
  out.name.clear();
  for (char c : name) out.name += lower_ascii(c);
  out.description = std::string(description);
  out.priority = static_cast<std::uint8_t>(value);
  return {};
}

}  // namespace

const ClassType* ClassificationTable::find(std::string_view name) const {
  for (const ClassType& t : types)
    if (equals_ignoring_case(t.name, name)) return &t;
  return nullptr;
}

ClassificationParseResult parse_classification_config(std::string_view text,
                                                      std::string_view source) {
  ClassificationParseResult r;
  std::vector<std::size_t> first_line;  // line of each kept type, for duplicate messages
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    std::string_view content = trim(line);
    if (content.empty() || content.front() == '#') continue;
    auto report = [&](const std::string& why) {
      r.errors.push_back(std::string(source) + ":" + std::to_string(line_no) + ": " + why);
    };
    ClassType t;
    if (std::string why = parse_line(line, t); !why.empty()) {
      report(why);
      continue;
    }
    if (const ClassType* old = r.table.find(t.name)) {
      std::size_t at = first_line[static_cast<std::size_t>(old - r.table.types.data())];
      report("classtype " + t.name + " already defined at line " + std::to_string(at) +
             "; the first definition is kept");
      continue;
    }
    r.table.types.push_back(std::move(t));
    first_line.push_back(line_no);
  }
  return r;
}

const ClassificationTable& default_classification() {
  static const ClassificationTable table{{
      {"not-suspicious", "Not Suspicious Traffic", 3},
      {"unknown", "Unknown Traffic", 3},
      {"bad-unknown", "Potentially Bad Traffic", 2},
      {"attempted-recon", "Attempted Information Leak", 2},
      {"successful-recon-limited", "Information Leak", 2},
      {"successful-recon-largescale", "Large Scale Information Leak", 2},
      {"attempted-dos", "Attempted Denial of Service", 2},
      {"successful-dos", "Denial of Service", 2},
      {"attempted-user", "Attempted User Privilege Gain", 1},
      {"unsuccessful-user", "Unsuccessful User Privilege Gain", 1},
      {"successful-user", "Successful User Privilege Gain", 1},
      {"attempted-admin", "Attempted Administrator Privilege Gain", 1},
      {"successful-admin", "Successful Administrator Privilege Gain", 1},
      {"rpc-portmap-decode", "Decode of an RPC Query", 2},
      {"shellcode-detect", "Executable code was detected", 1},
      {"string-detect", "A suspicious string was detected", 3},
      {"suspicious-filename-detect", "A suspicious filename was detected", 2},
      {"suspicious-login", "An attempted login using a suspicious username was detected", 2},
      {"system-call-detect", "A system call was detected", 2},
      {"tcp-connection", "A TCP connection was detected", 4},
      {"trojan-activity", "A Network Trojan was detected", 1},
      {"unusual-client-port-connection", "A client was using an unusual port", 2},
      {"network-scan", "Detection of a Network Scan", 3},
      {"denial-of-service", "Detection of a Denial of Service Attack", 2},
      {"non-standard-protocol", "Detection of a non-standard protocol or event", 2},
      {"protocol-command-decode", "Generic Protocol Command Decode", 3},
      {"web-application-activity", "access to a potentially vulnerable web application", 2},
      {"web-application-attack", "Web Application Attack", 1},
      {"misc-activity", "Misc activity", 3},
      {"misc-attack", "Misc Attack", 2},
      {"icmp-event", "Generic ICMP event", 3},
      {"inappropriate-content", "Inappropriate Content was Detected", 1},
      {"policy-violation", "Potential Corporate Privacy Violation", 1},
      {"default-login-attempt", "Attempt to login by a default username and password", 2},
      {"targeted-activity", "Targeted Malicious Activity was Detected", 1},
      {"exploit-kit", "Exploit Kit Activity Detected", 1},
      {"external-ip-check", "Device Retrieving External IP Address Detected", 2},
      {"domain-c2", "Domain Observed Used for C2 Detected", 1},
      {"pup-activity", "Possibly Unwanted Program Detected", 2},
      {"credential-theft", "Successful Credential Theft Detected", 1},
      {"social-engineering", "Possible Social Engineering Attempted", 2},
      {"coin-mining", "Crypto Currency Mining Activity Detected", 2},
      {"command-and-control", "Malware Command and Control Activity Detected", 1},
  }};
  return table;
}

}  // namespace vigil::detect
