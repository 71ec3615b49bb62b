#include "dataplane/detect/rules/address_set.h"

#include <new>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/detect/rules/set_expression.h"
#include "dataplane/detect/rules/syntax_error.h"

namespace vigil::detect {
namespace {

std::uint32_t v4_key(const std::uint8_t* b) {
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         b[3];
}

U128 v6_key(const std::uint8_t* b) {
  U128 k;
  for (int i = 0; i < 8; ++i) k.hi = (k.hi << 8) | b[i];
  for (int i = 8; i < 16; ++i) k.lo = (k.lo << 8) | b[i];
  return k;
}

struct ParsedIp {
  IpFamily family = IpFamily::none;
  std::uint32_t v4 = 0;
  U128 v6{};
};

// Dotted quad, strict like inet_pton: four parts of 1-3 digits, no leading zero, each <= 255.
std::optional<std::uint32_t> parse_ipv4(std::string_view s) {
  std::uint32_t value = 0;
  int parts = 0;
  std::size_t i = 0;
  while (true) {
    std::size_t start = i;
    unsigned part = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 3)
      part = part * 10 + static_cast<unsigned>(s[i++] - '0');
    std::size_t digits = i - start;
    if (digits == 0 || part > 255 || (digits > 1 && s[start] == '0')) return std::nullopt;
    value = (value << 8) | part;
    if (++parts == 4) break;
    if (i >= s.size() || s[i] != '.') return std::nullopt;
    ++i;
  }
  if (i != s.size()) return std::nullopt;
  return value;
}

// Colon-separated groups of 1-4 hex digits; the last may be a dotted quad when `v4_tail`.
bool parse_groups(std::string_view s, bool v4_tail, std::vector<std::uint16_t>& out) {
  if (s.empty()) return true;
  std::size_t i = 0;
  while (true) {
    std::size_t colon = s.find(':', i);
    std::string_view group =
        s.substr(i, colon == std::string_view::npos ? std::string_view::npos : colon - i);
    if (colon == std::string_view::npos && v4_tail && group.find('.') != std::string_view::npos) {
      auto v4 = parse_ipv4(group);
      if (!v4) return false;
      out.push_back(static_cast<std::uint16_t>(*v4 >> 16));
      out.push_back(static_cast<std::uint16_t>(*v4 & 0xffff));
      return true;
    }
    if (group.empty() || group.size() > 4) return false;
    unsigned v = 0;
    for (char c : group) {
      int h = (c >= '0' && c <= '9')   ? c - '0'
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                       : -1;
      if (h < 0) return false;
      v = v * 16 + static_cast<unsigned>(h);
    }
    out.push_back(static_cast<std::uint16_t>(v));
    if (out.size() > 8) return false;
    if (colon == std::string_view::npos) return true;
    i = colon + 1;
  }
}

std::optional<U128> parse_ipv6(std::string_view s) {
  std::vector<std::uint16_t> head, tail;
  std::size_t gap = s.find("::");
  if (gap == std::string_view::npos) {
    if (!parse_groups(s, true, head) || head.size() != 8) return std::nullopt;
  } else {
    if (s.find("::", gap + 1) != std::string_view::npos) return std::nullopt;
    if (!parse_groups(s.substr(0, gap), false, head) ||
        !parse_groups(s.substr(gap + 2), true, tail) || head.size() + tail.size() > 7)
      return std::nullopt;
    head.resize(8 - tail.size(), 0);
    head.insert(head.end(), tail.begin(), tail.end());
  }
  U128 k;
  for (int i = 0; i < 4; ++i) k.hi = (k.hi << 16) | head[static_cast<std::size_t>(i)];
  for (int i = 4; i < 8; ++i) k.lo = (k.lo << 16) | head[static_cast<std::size_t>(i)];
  return k;
}

ParsedIp parse_ip(std::string_view text) {
  ParsedIp ip;
  if (auto v4 = parse_ipv4(text)) {
    ip.family = IpFamily::v4;
    ip.v4 = *v4;
  } else if (auto v6 = parse_ipv6(text)) {
    ip.family = IpFamily::v6;
    ip.v6 = *v6;
  } else {
    fail(RuleErrorReason::bad_address, "bad address " + quoted(text));
  }
  return ip;
}

// Parses a prefix length of at most `bits`; an IPv4 dotted netmask is turned into its length.
unsigned prefix_length(std::string_view text, IpFamily family, std::string_view whole) {
  const unsigned bits = family == IpFamily::v4 ? 32 : 128;
  if (family == IpFamily::v4 && text.find('.') != std::string_view::npos) {
    auto parsed = parse_ipv4(text);
    if (!parsed) fail(RuleErrorReason::bad_cidr, "bad netmask in " + quoted(whole));
    std::uint32_t mask = *parsed;
    unsigned len = 0;
    while (len < 32 && (mask & (0x80000000u >> len))) ++len;
    if (len < 32 && (mask << len) != 0)
      fail(RuleErrorReason::bad_cidr, "netmask is not contiguous in " + quoted(whole));
    return len;
  }
  if (text.empty() || text.size() > 3)
    fail(RuleErrorReason::bad_cidr, "bad prefix length in " + quoted(whole));
  unsigned len = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      fail(RuleErrorReason::bad_cidr, "bad prefix length in " + quoted(whole));
    len = len * 10 + static_cast<unsigned>(c - '0');
  }
  if (len > bits)
    fail(RuleErrorReason::bad_cidr, "prefix length " + std::to_string(len) + " is longer than " +
                                        std::to_string(bits) + " bits in " + quoted(whole));
  return len;
}

struct AddressDomain {
  using Set = AddressSet;
  static constexpr std::string_view kWhat = "address";
  static constexpr RuleErrorReason kBadReason = RuleErrorReason::bad_address;

  static std::optional<std::string_view> lookup(const RuleVars& v, std::string_view name) {
    return address_var(v, name);
  }
  static Set any() { return {everything<std::uint32_t>(), everything<U128>()}; }

  static Set atom(std::string_view text) {
    Set s;
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
      ParsedIp ip = parse_ip(text.substr(0, slash));
      unsigned len = prefix_length(text.substr(slash + 1), ip.family, text);
      // Host bits set below the prefix are ignored, as Suricata does (1.2.3.4/24 is 1.2.3.0/24).
      if (ip.family == IpFamily::v4) {
        std::uint32_t host = len == 0 ? ~0u : (len == 32 ? 0u : (~0u >> len));
        s.v4.push_back({ip.v4 & ~host, ip.v4 | host});
      } else {
        U128 host{len >= 64 ? 0 : (len == 0 ? ~0ULL : ~0ULL >> len),
                  len >= 128 ? 0 : (len <= 64 ? ~0ULL : ~0ULL >> (len - 64))};
        s.v6.push_back(
            {{ip.v6.hi & ~host.hi, ip.v6.lo & ~host.lo}, {ip.v6.hi | host.hi, ip.v6.lo | host.lo}});
      }
      return s;
    }
    if (auto dash = text.find('-'); dash != std::string_view::npos) {
      ParsedIp a = parse_ip(trim(text.substr(0, dash)));
      ParsedIp b = parse_ip(trim(text.substr(dash + 1)));
      if (a.family != b.family)
        fail(RuleErrorReason::bad_address, "range mixes IPv4 and IPv6 in " + quoted(text));
      bool reversed = a.family == IpFamily::v4 ? b.v4 < a.v4 : b.v6 < a.v6;
      if (reversed)
        fail(RuleErrorReason::reversed_range,
             "address range ends before it starts: " + quoted(text));
      if (a.family == IpFamily::v4)
        s.v4.push_back({a.v4, b.v4});
      else
        s.v6.push_back({a.v6, b.v6});
      return s;
    }
    ParsedIp ip = parse_ip(text);
    if (ip.family == IpFamily::v4)
      s.v4.push_back({ip.v4, ip.v4});
    else
      s.v6.push_back({ip.v6, ip.v6});
    return s;
  }

  static void append(Set& a, const Set& b) {
    a.v4.insert(a.v4.end(), b.v4.begin(), b.v4.end());
    a.v6.insert(a.v6.end(), b.v6.begin(), b.v6.end());
  }
  static void normalize(Set& s) {
    detect::normalize(s.v4);
    detect::normalize(s.v6);
  }
  static void subtract(Set& a, const Set& b) {
    detect::subtract(a.v4, b.v4);
    detect::subtract(a.v6, b.v6);
  }
  // Per family, as Suricata: `!1.2.3.4` is every IPv4 address but that one, and no IPv6 address.
  static void fill_where_negated(Set& pos, const Set& neg) {
    if (pos.v4.empty() && !neg.v4.empty()) pos.v4 = everything<std::uint32_t>();
    if (pos.v6.empty() && !neg.v6.empty()) pos.v6 = everything<U128>();
  }
  static bool covers_a_whole_family(const Set& s) {
    return covers_everything(s.v4) || covers_everything(s.v6);
  }
  static bool empty(const Set& s) { return s.v4.empty() && s.v6.empty(); }
};

}  // namespace

std::uint32_t ipv4_key(const IpAddress& addr) { return v4_key(addr.b.data()); }
U128 ipv6_key(const IpAddress& addr) { return v6_key(addr.b.data()); }

bool matches(const AddressSet& set, IpFamily family, const IpAddress& addr) {
  if (family == IpFamily::v4) return contains(set.v4, ipv4_key(addr));
  if (family == IpFamily::v6) return contains(set.v6, ipv6_key(addr));
  return false;
}

bool is_any(const AddressSet& set) {
  return covers_everything(set.v4) && covers_everything(set.v6);
}

AddressSpecResult parse_address_spec(std::string_view text, const RuleVars& vars) {
  AddressSpecResult r;
  try {
    r.set = SpecEvaluator<AddressDomain>(vars).list(text, 0);
  } catch (const RuleSyntaxError& e) {
    r.problem = e.problem;
  } catch (const std::bad_alloc&) {
    r.problem = RuleProblem{RuleErrorReason::bad_address, "out of memory"};
  }
  return r;
}

}  // namespace vigil::detect
