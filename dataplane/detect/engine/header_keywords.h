// Header keywords of the rule language: conditions on the IP, ICMP and TCP headers of one packet
// (ttl, ip_proto, itype, icode, icmp_id, icmp_seq, flags, window, seq, ack). Parsed at load time
// into plain values; matched on the hot path against a DecodedPacket without allocation.
// One source file per family: ip_keywords.cpp, icmp_keywords.cpp, tcp_keywords.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dataplane/decode/decoded_packet.h"
#include "dataplane/detect/payload/payload_match.h"

namespace vigil::detect {

// Numeric conditions are the payload module's (dsize / bsize use the same forms): `N`, `!N`,
// `<N`, `<=N`, `>N`, `>=N`, `A-B` / `A<>B` (A < x < B, as Suricata's uint keywords), `!A<>B`.
using NumOp = UintOp;
using NumCondition = UintCondition;

// Parses a numeric condition with values in [0, max]; sets `error` (keyword: why) on failure.
std::optional<NumCondition> parse_num_condition(std::string_view value, std::uint64_t max,
                                                std::string_view keyword, std::string& error);

// `flags:[modifier]FLAGS[,IGNORE]`: F S R P A U C E (and legacy 1 2), 0 for none; modifiers
// `+` (all of these and any others), `*` (any of these), `!` (not all of these, as Suricata —
// Snort 2 read it as none of these); no modifier means
// exactly these (after removing the ignored ones).
struct TcpFlagsCondition {
  enum class Mode : std::uint8_t { exact, all, any, none } mode = Mode::exact;
  std::uint8_t flags = 0;
  std::uint8_t ignore = 0;
  bool matches(std::uint8_t packet_flags) const;
};

// All header conditions of one rule; an absent condition matches everything.
struct HeaderConditions {
  std::optional<NumCondition> ttl, ip_proto, itype, icode, icmp_id, icmp_seq, window, seq, ack;
  bool window_negated = false;
  std::optional<TcpFlagsCondition> flags;
  bool any() const {
    return ttl || ip_proto || itype || icode || icmp_id || icmp_seq || window || seq || ack ||
           flags;
  }
};

enum class HeaderKeywordStatus : std::uint8_t { not_mine, ok, error };

// Adds `keyword: value` to `out` when it is a header keyword. ip_keywords.cpp dispatches to the
// other families.
HeaderKeywordStatus parse_header_keyword(std::string_view keyword, std::string_view value,
                                         HeaderConditions& out, std::string& error);
HeaderKeywordStatus parse_icmp_keyword(std::string_view keyword, std::string_view value,
                                       HeaderConditions& out, std::string& error);
HeaderKeywordStatus parse_tcp_keyword(std::string_view keyword, std::string_view value,
                                      HeaderConditions& out, std::string& error);

// Does the packet satisfy every condition? ICMP conditions need an ICMP packet, TCP ones a TCP
// packet (as in Suricata, a rule with `itype` never matches a TCP packet).
bool header_match(const HeaderConditions& c, const DecodedPacket& p);

}  // namespace vigil::detect
