// DNS message parsing (RFC 1035 and successors): one message, from a UDP payload or from one TCP
// message without its 2-byte length prefix, into a DnsMessage of views.
//
// Ownership: every string_view in a DnsMessage points into the DnsShared scratch and stays valid
// until the next dns_parse with the same DnsShared; every rdata span points into the input.
// Thread-safety: none; one DnsShared per worker. No heap allocation, lock or system call.
//
// Name text: labels are joined with '.', no trailing dot; the root name is the empty string (EVE
// writers print Suricata's "<root>"). Octets 0x20..0x7e are copied as they are, '.' and '\'
// inside a label included (as Suricata's dns.query buffer has them, so rules match the same);
// any other octet is written as \xHH (lowercase hex) so the text is always printable ASCII.
// Case is preserved.
//
// Status: the first problem that stops parsing decides it. `truncated`: the message ended before
// the sections its header announced (or inside a record); everything before the cut is kept.
// `malformed`: a name broke a rule (loop, forward pointer, too long, bad label type), which
// stops parsing there, or a record's rdata did not match its type (record kept, text empty,
// parsing goes on). Each cause is counted in the DnsShared counters.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "dataplane/app/dns/dns_counters.h"
#include "dataplane/app/dns/dns_limits.h"
#include "dataplane/app/dns/dns_shared.h"

namespace vigil::app::dns {

// Record types the parser decodes (and a few it names).
namespace rrtype {
inline constexpr std::uint16_t a = 1, ns = 2, cname = 5, soa = 6, null_ = 10, ptr = 12, mx = 15,
                               txt = 16, aaaa = 28, srv = 33, dname = 39, opt = 41, svcb = 64,
                               https = 65, any = 255, caa = 257;
}  // namespace rrtype

struct DnsQuestion {
  std::string_view name;
  std::uint16_t type = 0, klass = 0;
};

struct DnsRecord {
  std::string_view name;
  std::uint16_t type = 0, klass = 0;
  std::uint32_t ttl = 0;
  // A "1.2.3.4"; AAAA RFC 5952 text; CNAME/NS/PTR/DNAME target; MX exchange; TXT strings
  // concatenated (no separator, as SPF/DKIM readers join them); SOA mname; SRV target; SVCB/HTTPS
  // target; CAA `flags tag "value"`; empty for other types and for rdata that did not decode.
  std::string_view rdata_text;
  std::uint16_t preference = 0;  // MX preference / SRV priority / SVCB-HTTPS SvcPriority
  std::uint16_t srv_weight = 0, srv_port = 0;
  std::span<const std::uint8_t> rdata;  // raw rdata in the message
  bool rdata_ok = true;                 // false: rdata did not decode as its type (counted)
  // SOA only.
  std::string_view soa_rname;
  std::uint32_t soa_serial = 0, soa_refresh = 0, soa_retry = 0, soa_expire = 0, soa_minimum = 0;
};

enum class DnsSection : std::uint8_t { answer, authority, additional };

struct DnsMessage {
  std::uint16_t id = 0, flags = 0;  // flags: the raw second header word
  bool response = false;
  std::uint8_t opcode = 0, rcode = 0;  // rcode: the header's 4 bits (see edns_ext_rcode)
  bool aa = false, tc = false, rd = false, ra = false, z = false, ad = false, cd = false;
  std::uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;  // as the header says

  std::array<DnsQuestion, kMaxQuestions> questions;
  std::size_t question_count = 0;
  // OPT records are never stored in these arrays; their content is in the edns_* fields.
  std::array<DnsRecord, kMaxRecords> answers;
  std::size_t answer_count = 0;
  std::array<DnsRecord, kMaxRecords> authorities;
  std::size_t authority_count = 0;
  std::array<DnsRecord, kMaxRecords> additionals;
  std::size_t additional_count = 0;
  std::size_t skipped = 0;  // questions and records parsed but not stored (over the limits)

  // EDNS (RFC 6891), from the first OPT record of the additional section.
  bool edns = false;
  bool edns_do = false;
  std::uint8_t edns_version = 0, edns_ext_rcode = 0;  // ext rcode: upper 8 bits of the 12
  std::uint16_t edns_udp_size = 0;
};

enum class DnsStatus : std::uint8_t { ok, truncated, malformed };

// Parses `msg` into `out` (every field of `out` is rewritten). Names and text go into
// shared.scratch(), which this call resets.
DnsStatus dns_parse(std::span<const std::uint8_t> msg, DnsShared& shared, DnsMessage& out);

// Whether `payload` looks like the start of a DNS message: a sane header (opcode 0-2 or 4-6,
// qdcount 1..16, rcode 0 in queries, counts that fit the length), and a question section that
// parses exactly (valid names, qtype != 0, a known qclass). With `tcp` the payload starts with
// the 2-byte length prefix, which must fit at least a header and one question; the question
// section must be within the bytes present. Pure: no counters, no scratch.
// `trailing_ok`: bytes after the questions are tolerated (the port already says DNS; some
// stacks pad their queries).
bool dns_probe(std::span<const std::uint8_t> payload, bool tcp, bool trailing_ok = false);

// The records of one section of a parsed message.
std::span<const DnsRecord> dns_records(const DnsMessage& m, DnsSection s);

// Mnemonic of a record type ("A", "AAAA", "CNAME", ...), or, as Suricata's EVE does for types it
// has no name for, the decimal number ("65280"). Static storage.
std::string_view dns_rrtype_name(std::uint16_t type);
// Mnemonic of a response code ("NOERROR", "NXDOMAIN", ...; 0..23 as IANA lists them), or the
// decimal number for unassigned ones, as Suricata prints them. Static storage.
std::string_view dns_rcode_name(std::uint8_t rcode);
std::string_view dns_opcode_name(std::uint8_t opcode);  // "QUERY", "IQUERY", ..., or the number

}  // namespace vigil::app::dns
