#include "dataplane/detect/rules/rule_error.h"

#include <cctype>

#include "dataplane/detect/rules/syntax_error.h"

namespace vigil::detect {

std::string format_rule_error(const RuleError& e) {
  std::string out = e.source + ":" + std::to_string(e.line) + ": ";
  if (e.sid != 0) out += "sid " + std::to_string(e.sid) + ": ";
  out += rule_error_reason_name(e.reason);
  out += ": ";
  out += e.message;
  return out;
}

std::string_view trim(std::string_view s) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
  };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string quoted(std::string_view s) {
  // Messages stay one short line even for a hostile megabyte of text; control bytes are shown
  // as '?' so a message never breaks a log line.
  constexpr std::size_t kMax = 80;
  std::string out = "'";
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  if (s.size() > kMax) out += "...";
  out += "'";
  return out;
}

}  // namespace vigil::detect
