// Overlap policies: which bytes win, checked on a fixed sequence where all four policies differ
// and against an independent per-byte model on random overlapping fragments.
#include <CppUTest/TestHarness.h>

#include <algorithm>
#include <random>
#include <string>

#include "tests/unit/defrag/fragment_builder.h"

using namespace vigil;
using namespace vigil::test;

namespace {
struct Piece {
  std::uint16_t offset;
  char fill;
  std::uint16_t len;
  bool more = true;
};

// Novak's target-based reassembly sequence: nine originals, then eight overlapping ones, the
// last of which ends the datagram at byte 192.
const std::vector<Piece> kNovak = {
    {0, 'A', 24},   {32, 'B', 16},         {48, 'C', 24},  {80, 'D', 8},  {104, 'E', 16},
    {120, 'F', 24}, {144, 'G', 16},        {160, 'H', 16}, {176, 'I', 8}, {8, 'J', 32},
    {48, 'K', 24},  {72, 'L', 24},         {96, 'M', 24},  {128, 'N', 8}, {152, 'O', 8},
    {160, 'P', 8},  {176, 'Q', 16, false},
};

// Expected data, one letter per 8 bytes, from the rules in docs/defrag.md.
const char* kNovakFirst = "AAAJBBCCCLDLMEEFFFGGHHIQ";
const char* kNovakLast = "AJJJJBKKKLLLMMMFNFGOPHQQ";
const char* kNovakBsd = "AAAJJBCCCLLLMMMFFFGGHHIQ";
const char* kNovakLinux = "AAAJJBKKKLLLMMMFFFGGPHQQ";

std::string letters(const Bytes& data) {
  std::string s;
  for (std::size_t i = 0; i < data.size(); i += 8) {
    // Every byte of an 8-byte block must agree, or the block is shown as '?'.
    const bool same = std::all_of(data.begin() + static_cast<long>(i),
                                  data.begin() + static_cast<long>(std::min(i + 8, data.size())),
                                  [&](std::uint8_t c) { return c == data[i]; });
    s += same ? static_cast<char>(data[i]) : '?';
  }
  return s;
}

Offered run_novak(IpFamily family, Defragmenter& d) {
  Ipv4Spec s4;
  s4.proto = ipproto::icmp;
  Ipv6Spec s6;
  s6.proto = ipproto::icmpv6;
  Offered o;
  for (const Piece& p : kNovak) {
    const Bytes data(p.len, static_cast<std::uint8_t>(p.fill));
    o = offer(d, family == IpFamily::v4 ? ipv4_fragment(s4, p.offset, p.more, data)
                                        : ipv6_fragment(s6, p.offset, p.more, data));
  }
  return o;
}

void check_novak(IpFamily family, DefragPolicy policy, const char* expected) {
  Defragmenter d(small_config(policy));
  const Offered o = run_novak(family, d);
  CHECK(o.status == DefragStatus::complete);
  const std::size_t header = family == IpFamily::v4 ? 20 : 40;
  LONGS_EQUAL(header + 192, o.datagram.size());
  STRCMP_EQUAL(
      expected,
      letters(Bytes(o.datagram.begin() + static_cast<long>(header), o.datagram.end())).c_str());
  LONGS_EQUAL(8, d.counters().get(DefragCounter::overlap));
  LONGS_EQUAL(8, d.counters().get(DefragCounter::overlap_diff));
  LONGS_EQUAL(1, d.counters().get(DefragCounter::datagrams_rebuilt));
  LONGS_EQUAL(0, d.bytes_held());
}
}  // namespace

TEST_GROUP(OverlapPolicies){};

TEST(OverlapPolicies, RuleTable) {
  CHECK_FALSE(new_fragment_wins(DefragPolicy::first, 0, 8));
  CHECK_FALSE(new_fragment_wins(DefragPolicy::first, 8, 8));
  CHECK(new_fragment_wins(DefragPolicy::last, 16, 8));
  CHECK(new_fragment_wins(DefragPolicy::last, 8, 8));
  CHECK(new_fragment_wins(DefragPolicy::bsd, 0, 8));
  CHECK_FALSE(new_fragment_wins(DefragPolicy::bsd, 8, 8));
  CHECK_FALSE(new_fragment_wins(DefragPolicy::bsd, 16, 8));
  CHECK(new_fragment_wins(DefragPolicy::linux_classic, 0, 8));
  CHECK(new_fragment_wins(DefragPolicy::linux_classic, 8, 8));
  CHECK_FALSE(new_fragment_wins(DefragPolicy::linux_classic, 16, 8));
}

TEST(OverlapPolicies, NamesRoundTrip) {
  for (auto p : {DefragPolicy::first, DefragPolicy::last, DefragPolicy::bsd,
                 DefragPolicy::linux_classic}) {
    const auto parsed = parse_defrag_policy(defrag_policy_name(p));
    CHECK(parsed.has_value());
    CHECK(*parsed == p);
  }
  STRCMP_EQUAL("linux", std::string(defrag_policy_name(DefragPolicy::linux_classic)).c_str());
  CHECK_FALSE(parse_defrag_policy("windows").has_value());
  CHECK_FALSE(parse_defrag_policy("").has_value());
}

TEST(OverlapPolicies, NovakSequenceIpv4) {
  check_novak(IpFamily::v4, DefragPolicy::first, kNovakFirst);
  check_novak(IpFamily::v4, DefragPolicy::last, kNovakLast);
  check_novak(IpFamily::v4, DefragPolicy::bsd, kNovakBsd);
  check_novak(IpFamily::v4, DefragPolicy::linux_classic, kNovakLinux);
}

TEST(OverlapPolicies, NovakSequenceIpv6) {
  check_novak(IpFamily::v6, DefragPolicy::first, kNovakFirst);
  check_novak(IpFamily::v6, DefragPolicy::last, kNovakLast);
  check_novak(IpFamily::v6, DefragPolicy::bsd, kNovakBsd);
  check_novak(IpFamily::v6, DefragPolicy::linux_classic, kNovakLinux);
}

TEST(OverlapPolicies, DuplicatesOverlapWithoutDifferences) {
  Defragmenter d(small_config());
  Ipv4Spec s;
  const Bytes payload = pattern(3000, 5);
  const auto frags = split_ipv4(s, payload, 1000);
  std::vector<Fragment> sent = {frags[0], frags[1], frags[0], frags[1], frags[1], frags[2]};
  const Offered o = offer_all(d, sent);
  CHECK(o.status == DefragStatus::complete);
  CHECK(Bytes(o.datagram.begin() + 20, o.datagram.end()) == payload);
  LONGS_EQUAL(3, d.counters().get(DefragCounter::overlap));
  LONGS_EQUAL(0, d.counters().get(DefragCounter::overlap_diff));
  // Duplicates crossed the wire too: the flow is charged for all six.
  LONGS_EQUAL(total_wire(sent), o.wire_bytes);
}

TEST(OverlapPolicies, TeardropInnerFragmentAndShortOverlap) {
  // Teardrop: the second fragment starts inside the first and ends before it does.
  for (auto policy : {DefragPolicy::first, DefragPolicy::last, DefragPolicy::bsd,
                      DefragPolicy::linux_classic}) {
    Defragmenter d(small_config(policy));
    Ipv4Spec s;
    const Bytes a(40, 'a'), t(8, 't'), z(8, 'z');
    CHECK(offer(d, ipv4_fragment(s, 0, true, a)).status == DefragStatus::buffered);
    CHECK(offer(d, ipv4_fragment(s, 16, true, t)).status == DefragStatus::buffered);
    const Offered o = offer(d, ipv4_fragment(s, 40, false, z));
    CHECK(o.status == DefragStatus::complete);
    const std::string got = letters(Bytes(o.datagram.begin() + 20, o.datagram.end()));
    // Only `last` lets a later fragment that starts after the held one win.
    STRCMP_EQUAL(policy == DefragPolicy::last ? "aataaz" : "aaaaaz", got.c_str());
    LONGS_EQUAL(1, d.counters().get(DefragCounter::overlap_diff));
  }
}

TEST(OverlapPolicies, EarlierStartWinsUnderBsdButNotFirst) {
  // A held fragment at 16; a new one at 8 covering it. bsd and linux take the new bytes, first
  // keeps the old ones.
  for (auto policy : {DefragPolicy::first, DefragPolicy::bsd, DefragPolicy::linux_classic}) {
    Defragmenter d(small_config(policy));
    Ipv6Spec s;
    offer(d, ipv6_fragment(s, 16, true, Bytes(16, 'o')));
    offer(d, ipv6_fragment(s, 8, true, Bytes(24, 'n')));
    offer(d, ipv6_fragment(s, 0, true, Bytes(8, 'h')));
    const Offered o = offer(d, ipv6_fragment(s, 32, false, Bytes(8, 'e')));
    CHECK(o.status == DefragStatus::complete);
    const std::string got = letters(Bytes(o.datagram.begin() + 40, o.datagram.end()));
    STRCMP_EQUAL(policy == DefragPolicy::first ? "hnooe" : "hnnne", got.c_str());
  }
}

namespace {
// Independent statement of the policies: for each byte, among the fragments covering it,
// first = earliest arrival; last = latest; bsd = earliest among those with the lowest offset;
// linux = latest among those with the lowest offset.
Bytes model(const std::vector<Fragment>& sent, std::size_t len, DefragPolicy policy) {
  Bytes out(len, 0);
  for (std::size_t b = 0; b < len; ++b) {
    int winner = -1;
    for (std::size_t i = 0; i < sent.size(); ++i) {
      const Fragment& f = sent[i];
      const std::size_t dlen = f.bytes.size() - f.header_len;
      if (b < f.offset || b >= f.offset + dlen) continue;
      if (winner < 0) {
        winner = static_cast<int>(i);
        continue;
      }
      const Fragment& w = sent[static_cast<std::size_t>(winner)];
      const bool take = policy == DefragPolicy::last ||
                        (policy == DefragPolicy::bsd && f.offset < w.offset) ||
                        (policy == DefragPolicy::linux_classic && f.offset <= w.offset);
      if (take) winner = static_cast<int>(i);
    }
    const Fragment& w = sent[static_cast<std::size_t>(winner)];
    out[b] = w.bytes[w.header_len + (b - w.offset)];
  }
  return out;
}
}  // namespace

TEST(OverlapPolicies, RandomOverlapsMatchPerByteModel) {
  const DefragPolicy policies[] = {DefragPolicy::first, DefragPolicy::last, DefragPolicy::bsd,
                                    DefragPolicy::linux_classic};
  int checked = 0;
  for (std::uint32_t seed = 1; seed <= 400; ++seed) {
    std::mt19937 rng(seed);
    const DefragPolicy policy = policies[seed % 4];
    const bool v6 = seed % 3 == 0;
    const std::size_t len = 8 * (4 + rng() % 300);  // up to 2.4 KiB: several chunks
    Ipv4Spec s4;
    s4.id = static_cast<std::uint16_t>(seed);
    Ipv6Spec s6;
    s6.id = seed;
    auto make = [&](std::size_t off, std::size_t n, bool more) {
      const Bytes data = pattern(n, static_cast<std::uint8_t>(rng()));
      return v6 ? ipv6_fragment(s6, static_cast<std::uint16_t>(off), more, data)
                : ipv4_fragment(s4, static_cast<std::uint16_t>(off), more, data);
    };
    // A tiling that covers everything but the final 8 bytes, plus random overlapping fragments
    // (all with MF set, inside the datagram), shuffled; the last fragment goes last.
    std::vector<Fragment> sent;
    for (std::size_t off = 0; off + 8 < len;) {
      const std::size_t n = std::min<std::size_t>(8 * (1 + rng() % 40), len - 8 - off);
      sent.push_back(make(off, n, true));
      off += n;
    }
    const std::size_t extra = rng() % 40;
    for (std::size_t i = 0; i < extra; ++i) {
      const std::size_t off = 8 * (rng() % (len / 8));
      const std::size_t n = std::min<std::size_t>(8 * (1 + rng() % 60), len - off);
      if (n == 0) continue;
      sent.push_back(make(off, n, true));
    }
    std::shuffle(sent.begin(), sent.end(), rng);
    sent.push_back(make(len - 8, 8, false));
    if (sent.size() > 128) continue;  // the per-datagram cap is tested elsewhere

    Defragmenter d(small_config(policy));
    Offered o;
    for (std::size_t i = 0; i < sent.size(); ++i) {
      o = offer(d, sent[i]);
      if (i + 1 < sent.size()) CHECK(o.status == DefragStatus::buffered);
    }
    CHECK(o.status == DefragStatus::complete);
    const std::size_t header = v6 ? 40 : 20;
    LONGS_EQUAL(header + len, o.datagram.size());
    CHECK(model(sent, len, policy) ==
          Bytes(o.datagram.begin() + static_cast<long>(header), o.datagram.end()));
    LONGS_EQUAL(0, d.bytes_held());
    ++checked;
  }
  CHECK(checked > 300);
}
