// DNS parser counters: every anomaly the parser, the probe's caller and the TCP framer meet, as a
// named counter. One set per DnsShared (one per worker); plain integers because a worker owns its
// own copy (no sharing, no atomics). Sum across workers with +=.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/common/counter_set.h"

namespace vigil::app::dns {

// X(enumerator, "stats name")
#define VIGIL_DNS_COUNTERS(X)                                                                  \
  X(messages, "dns.messages")                   /* dns_parse calls */                        \
  X(requests, "dns.requests")                   /* QR = 0 */                                 \
  X(responses, "dns.responses")                 /* QR = 1 */                                 \
  X(malformed, "dns.malformed")                 /* messages whose status is malformed */     \
  X(truncated, "dns.truncated")                 /* messages whose status is truncated */     \
  X(name_loop, "dns.name_loop")                 /* pointer into its own run, too many jumps */ \
  X(name_too_long, "dns.name_too_long")         /* more than 255 octets on the wire */       \
  X(label_too_long, "dns.label_too_long")       /* length octet 64..191 (label > 63) */      \
  X(pointer_forward, "dns.pointer_forward")     /* pointer to itself or later, or past end */ \
  X(too_many_records, "dns.too_many_records")   /* messages over kMaxQuestions/kMaxRecords */ \
  X(records_skipped, "dns.records_skipped")     /* questions and records not stored */       \
  X(bad_rdata, "dns.bad_rdata")                 /* rdata not as its type says; kept raw */   \
  X(opt_misplaced, "dns.opt_misplaced")         /* OPT outside the additional section */     \
  X(opt_duplicate, "dns.opt_duplicate")         /* a second OPT record */                    \
  X(z_flag_set, "dns.z_flag_set")               /* the reserved header bit */                \
  X(bad_opcode, "dns.bad_opcode")               /* opcode 3 or 7..15 (unassigned) */         \
  X(trailing_bytes, "dns.trailing_bytes")       /* bytes after the last counted record */    \
  X(text_truncated, "dns.text_truncated")       /* rdata text cut at kMaxTextBytes */        \
  X(tcp_messages, "dns.tcp_messages")           /* messages framed out of TCP streams */     \
  X(tcp_message_too_large, "dns.tcp_message_too_large") /* skipped by length */              \
  X(tcp_empty_message, "dns.tcp_empty_message") /* length prefix 0 */                        \
  X(tcp_gaps, "dns.tcp_gaps")                   /* gaps: framing lost for that direction */  \
  X(tcp_bytes_after_gap, "dns.tcp_bytes_after_gap") /* bytes ignored after a gap */

enum class DnsCounter : std::uint8_t { VIGIL_DNS_COUNTERS(VIGIL_COUNTER_ENUM) count_ };

inline constexpr std::size_t kDnsCounterCount = static_cast<std::size_t>(DnsCounter::count_);

std::string_view dns_counter_name(DnsCounter c);

struct DnsCounters : CounterSet<DnsCounter, kDnsCounterCount> {};

}  // namespace vigil::app::dns
