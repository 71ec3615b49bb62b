// Decoder events: every way a packet can be malformed or truncated, as a named counter.
// Names follow Suricata's decoder event names (`ipv4.trunc_pkt`, `tcp.hlen_too_small`, ...) so
// analysts recognise them in the stats event. Malformed input is never an error path: the decoder
// counts the event, stops at the last layer it could trust, and the capture goes on.
// Thread-safety: DecodeCounters is owned by one worker; names are immutable static data.
#pragma once

#include <cstdint>
#include <string_view>

#include "dataplane/common/counter_set.h"

namespace vigil {

// X(enumerator, "stats name"). Two kinds of events (docs/decoder.md):
//  - malformation: the layer cannot be trusted; decoding stops and the status is `malformed`;
//  - anomaly (marked "anomaly" below): counted, the layer is still decoded and decoding goes on.
// Each packet counts at most one malformation.
#define VIGIL_DECODE_EVENTS(X)                                                \
  X(link_unsupported, "decoder.unsupported_link_type")                       \
  X(ethernet_pkt_too_small, "ethernet.pkt_too_small")                        \
  X(vlan_header_too_small, "vlan.header_too_small")                          \
  X(vlan_too_many_layers, "vlan.too_many_layers")                            \
  X(sll_pkt_too_small, "sll.pkt_too_small")                                  \
  X(sll2_pkt_too_small, "sll2.pkt_too_small")                                \
  X(null_pkt_too_small, "null.pkt_too_small")                                \
  X(null_unsupported_type, "null.unsupported_type")          /* anomaly */   \
  X(raw_invalid_ip_version, "raw.invalid_ip_version")                        \
  X(ppp_pkt_too_small, "ppp.pkt_too_small")                                  \
  X(ppp_wrong_type, "ppp.wrong_type")                                        \
  X(pppoe_pkt_too_small, "pppoe.pkt_too_small")                              \
  X(pppoe_wrong_version, "pppoe.wrong_version")                              \
  X(pppoe_wrong_code, "pppoe.wrong_code")                                    \
  X(chdlc_pkt_too_small, "chdlc.pkt_too_small")                              \
  X(ipv4_pkt_too_small, "ipv4.pkt_too_small")                                \
  X(ipv4_hlen_too_small, "ipv4.hlen_too_small")                              \
  X(ipv4_iplen_smaller_than_hlen, "ipv4.iplen_smaller_than_hlen")            \
  X(ipv4_trunc_pkt, "ipv4.trunc_pkt")                                        \
  X(ipv4_wrong_ip_version, "ipv4.wrong_ip_version")                          \
  X(ipv4_opt_invalid_len, "ipv4.opt_invalid_len")                            \
  X(ipv4_opt_malformed, "ipv4.opt_malformed")                                \
  X(ipv4_opt_eol_required, "ipv4.opt_eol_required")                          \
  X(ipv4_opt_unknown, "ipv4.opt_unknown")                    /* anomaly */   \
  X(ipv4_opt_duplicate, "ipv4.opt_duplicate")                /* anomaly */   \
  X(ipv4_frag_pkt_too_large, "ipv4.frag_pkt_too_large")                      \
  X(ipv6_pkt_too_small, "ipv6.pkt_too_small")                                \
  X(ipv6_trunc_pkt, "ipv6.trunc_pkt")                                        \
  X(ipv6_trunc_exthdr, "ipv6.trunc_exthdr")                                  \
  X(ipv6_wrong_ip_version, "ipv6.wrong_ip_version")                          \
  X(ipv6_exthdr_dupl_fh, "ipv6.exthdr_dupl_fh")                              \
  X(ipv6_exthdr_too_many, "ipv6.exthdr_too_many")                            \
  X(ipv6_frag_pkt_too_large, "ipv6.frag_pkt_too_large")                      \
  X(ipv6_exthdr_dupl_hh, "ipv6.exthdr_dupl_hh")              /* anomaly */   \
  X(ipv6_hopopts_not_first, "ipv6.hopopts_only_after_ipv6_header") /* anomaly */ \
  X(ipv6_exthdr_invalid_optlen, "ipv6.exthdr_invalid_optlen") /* anomaly */  \
  X(ipv6_rh_type_0, "ipv6.rh_type_0")                        /* anomaly */   \
  X(tcp_pkt_too_small, "tcp.pkt_too_small")                                  \
  X(tcp_hlen_too_small, "tcp.hlen_too_small")                                \
  X(tcp_invalid_optlen, "tcp.invalid_optlen")                /* anomaly */   \
  X(tcp_opt_invalid_len, "tcp.opt_invalid_len")              /* anomaly */   \
  X(tcp_opt_duplicate, "tcp.opt_duplicate")                  /* anomaly */   \
  X(udp_pkt_too_small, "udp.pkt_too_small")                                  \
  X(udp_hlen_too_small, "udp.hlen_too_small")                                \
  X(udp_hlen_invalid, "udp.hlen_invalid")                                    \
  X(icmpv4_pkt_too_small, "icmpv4.pkt_too_small")                            \
  X(icmpv4_unknown_type, "icmpv4.unknown_type")              /* anomaly */   \
  X(icmpv6_pkt_too_small, "icmpv6.pkt_too_small")                            \
  X(icmpv6_unknown_type, "icmpv6.unknown_type")              /* anomaly */   \
  X(tunnel_too_many_layers, "decoder.too_many_layers")                       \
  X(gre_pkt_too_small, "gre.pkt_too_small")                                  \
  X(gre_wrong_version, "gre.wrong_version")                                  \
  X(gre_v0_recur, "gre.version0_recur")                                      \
  X(gre_v0_flags, "gre.version0_flags")                                      \
  X(gre_v0_hdr_too_big, "gre.version0_hdr_too_big")                          \
  X(gre_v0_malformed_sre_hdr, "gre.version0_malformed_sre_hdr")              \
  X(gre_v1_chksum, "gre.version1_chksum")                                    \
  X(gre_v1_route, "gre.version1_route")                                      \
  X(gre_v1_ssr, "gre.version1_ssr")                                          \
  X(gre_v1_recur, "gre.version1_recur")                                      \
  X(gre_v1_flags, "gre.version1_flags")                                      \
  X(gre_v1_no_key, "gre.version1_no_key")                                    \
  X(gre_v1_wrong_protocol, "gre.version1_wrong_protocol")                    \
  X(gre_v1_hdr_too_big, "gre.version1_hdr_too_big")

enum class DecodeEvent : std::uint16_t { VIGIL_DECODE_EVENTS(VIGIL_COUNTER_ENUM) count_ };

inline constexpr std::size_t kDecodeEventCount = static_cast<std::size_t>(DecodeEvent::count_);

std::string_view decode_event_name(DecodeEvent e);

// Per-worker counters; plain integers because a worker owns its own copy (no sharing, no atomics).
using DecodeCounters = CounterSet<DecodeEvent, kDecodeEventCount>;

}  // namespace vigil
