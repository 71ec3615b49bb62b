#include "dataplane/detect/rules/rule_options.h"

#include <cctype>

#include "dataplane/detect/rules/syntax_error.h"

namespace vigil::detect {
namespace {

bool keyword_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}

bool rule_escape(char c) { return c == ';' || c == '"' || c == '\\' || c == ':'; }

// True when the character at `i` is preceded by an odd number of backslashes.
bool escaped_at(std::string_view s, std::size_t i) {
  std::size_t n = 0;
  while (i > n && s[i - 1 - n] == '\\') ++n;
  return n % 2 == 1;
}

std::string unescape_value(std::string_view raw) {
  std::string_view v = raw;
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"' && !escaped_at(v, v.size() - 1))
    v = v.substr(1, v.size() - 2);
  std::string out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size() && rule_escape(v[i + 1])) {
      out += v[++i];
    } else if (v[i] == '\\' && i + 1 < v.size()) {
      out += v[i];
      out += v[++i];
    } else {
      out += v[i];
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

RuleOptionsResult parse_rule_options(std::string_view text) {
  RuleOptionsResult r;
  std::size_t i = 0;
  auto problem = [&](RuleErrorReason reason, std::string msg) {
    r.problem = RuleProblem{reason, std::move(msg)};
    r.options.clear();
    return r;
  };
  while (true) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i >= text.size()) break;
    std::size_t start = i;
    while (i < text.size() && keyword_char(text[i])) ++i;
    RuleOption opt;
    for (char c : text.substr(start, i - start))
      opt.keyword += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (opt.keyword.empty())
      return problem(RuleErrorReason::bad_options,
                     "expected an option keyword at " + quoted(text.substr(start)));
    if (i >= text.size())
      return problem(RuleErrorReason::unterminated_option,
                     "option '" + opt.keyword + "' has no closing ';'");
    if (text[i] == ':') {
      std::size_t value_start = ++i;
      while (i < text.size() && !(text[i] == ';' && !escaped_at(text, i))) ++i;
      if (i >= text.size())
        return problem(RuleErrorReason::unterminated_option,
                       "option '" + opt.keyword + "' has no closing ';'");
      std::string_view raw = trim(text.substr(value_start, i - value_start));
      if (raw.empty())
        return problem(RuleErrorReason::bad_options,
                       "option '" + opt.keyword + "' has ':' but no value");
      opt.raw = std::string(raw);
      opt.value = unescape_value(raw);
      opt.has_value = true;
    } else if (text[i] != ';') {
      return problem(RuleErrorReason::bad_options, "unexpected " + quoted(text.substr(i, 1)) +
                                                       " after option '" + opt.keyword + "'");
    }
    ++i;  // the ';'
    r.options.push_back(std::move(opt));
  }
  return r;
}

ContentBytes decode_content(std::string_view raw) {
  ContentBytes c;
  auto problem = [&](std::string msg) {
    c.problem = RuleProblem{RuleErrorReason::bad_content, std::move(msg)};
    c.bytes.clear();
    return c;
  };
  std::string_view v = trim(raw);
  if (!v.empty() && v.front() == '!') {
    c.negated = true;
    v = trim(v.substr(1));
  }
  if (v.size() < 2 || v.front() != '"' || v.back() != '"' || escaped_at(v, v.size() - 1))
    return problem("content must be a quoted string: " + quoted(raw));
  v = v.substr(1, v.size() - 2);
  bool in_hex = false;
  int high = -1;  // first digit of a hex pair waiting for its second
  for (std::size_t i = 0; i < v.size(); ++i) {
    char ch = v[i];
    if (in_hex) {
      if (ch == '|') {
        if (high >= 0) return problem("odd number of hex digits in " + quoted(raw));
        in_hex = false;
      } else if (ch == ' ' || ch == '\t') {
        if (high >= 0) return problem("space inside a hex byte in " + quoted(raw));
      } else if (int h = hex_value(ch); h >= 0) {
        if (high < 0) {
          high = h;
        } else {
          c.bytes.push_back(static_cast<std::uint8_t>(high * 16 + h));
          high = -1;
        }
      } else {
        return problem("bad character " + quoted(v.substr(i, 1)) + " in hex section of " +
                       quoted(raw));
      }
    } else if (ch == '|') {
      in_hex = true;
    } else if (ch == '\\') {
      if (i + 1 >= v.size() || !(rule_escape(v[i + 1]) || v[i + 1] == '|'))
        return problem("bad escape in " + quoted(raw));
      c.bytes.push_back(static_cast<std::uint8_t>(v[++i]));
    } else if (ch == '"') {
      return problem("unescaped '\"' inside " + quoted(raw));
    } else {
      c.bytes.push_back(static_cast<std::uint8_t>(ch));
    }
  }
  if (in_hex) return problem("hex section not closed with '|' in " + quoted(raw));
  if (c.bytes.empty()) return problem("empty content " + quoted(raw));
  return c;
}

ValueList split_value_list(std::string_view value) {
  ValueList r;
  bool in_quotes = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= value.size(); ++i) {
    if (i < value.size() && value[i] == '"' && !escaped_at(value, i)) in_quotes = !in_quotes;
    if (i == value.size() || (value[i] == ',' && !in_quotes)) {
      if (i == value.size() && in_quotes) {
        r.problem =
            RuleProblem{RuleErrorReason::bad_options, "unterminated quote in " + quoted(value)};
        r.items.clear();
        return r;
      }
      r.items.emplace_back(trim(value.substr(start, i - start)));
      start = i + 1;
    }
  }
  return r;
}

RuleInteger parse_rule_integer(std::string_view text, std::uint64_t min, std::uint64_t max,
                               std::string_view what) {
  RuleInteger r;
  std::string_view t = trim(text);
  auto problem = [&](std::string msg) {
    r.problem = RuleProblem{RuleErrorReason::bad_integer, std::move(msg)};
    r.value = 0;
    return r;
  };
  if (t.empty()) return problem(std::string(what) + " has no number");
  std::uint64_t v = 0;
  for (char c : t) {
    if (c < '0' || c > '9') return problem(std::string(what) + " is not a number: " + quoted(t));
    auto d = static_cast<std::uint64_t>(c - '0');
    if (d > max || v > (max - d) / 10)
      return problem(std::string(what) + " " + quoted(t) + " is above " + std::to_string(max));
    v = v * 10 + d;
  }
  if (v < min)
    return problem(std::string(what) + " " + quoted(t) + " is below " + std::to_string(min));
  r.value = v;
  return r;
}

}  // namespace vigil::detect
