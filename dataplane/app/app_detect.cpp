#include "dataplane/app/app_detect.h"

#include <algorithm>
#include <string_view>

#include "dataplane/app/dns/dns_message.h"
#include "dataplane/app/http/http_parser.h"
#include "dataplane/app/tls/tls_parser.h"

namespace vigil::app {
namespace {

enum class Verdict : std::uint8_t { no, yes, more };

// `start` begins with `word` (ASCII, case-insensitive when asked), or is a prefix of it.
Verdict starts_with(std::span<const std::uint8_t> start, std::string_view word, bool nocase) {
  const std::size_t n = std::min(start.size(), word.size());
  for (std::size_t i = 0; i < n; ++i) {
    std::uint8_t c = start[i];
    std::uint8_t w = static_cast<std::uint8_t>(word[i]);
    if (nocase && c >= 'a' && c <= 'z') c = static_cast<std::uint8_t>(c - 32);
    if (c != w) return Verdict::no;
  }
  return n == word.size() ? Verdict::yes : Verdict::more;
}

Verdict any_of(std::span<const std::uint8_t> start, std::initializer_list<std::string_view> words,
               bool nocase) {
  Verdict v = Verdict::no;
  for (std::string_view w : words) {
    const Verdict x = starts_with(start, w, nocase);
    if (x == Verdict::yes) return x;
    if (x == Verdict::more) v = x;
  }
  return v;
}

Verdict from(http::Probe p) {
  return p == http::Probe::yes ? Verdict::yes : p == http::Probe::more ? Verdict::more : Verdict::no;
}
Verdict from(tls::Probe p) {
  return p == tls::Probe::yes ? Verdict::yes : p == tls::Probe::more ? Verdict::more : Verdict::no;
}

Verdict probe_ssh(std::span<const std::uint8_t> s) { return starts_with(s, "SSH-", false); }

// SMTP and FTP servers both greet with "220 ": the client's first command tells them apart.
Verdict probe_smtp(std::span<const std::uint8_t> s, FlowDirection dir) {
  if (dir != FlowDirection::to_server) return Verdict::no;
  return any_of(s, {"EHLO ", "HELO ", "EHLO\r", "HELO\r"}, true);
}
Verdict probe_ftp(std::span<const std::uint8_t> s, FlowDirection dir) {
  if (dir != FlowDirection::to_server) return Verdict::no;
  return any_of(s, {"USER ", "AUTH TLS", "AUTH SSL", "FEAT\r"}, true);
}

Verdict probe_dns_tcp(std::span<const std::uint8_t> s, bool port_53) {
  if (s.size() >= 2 && ((std::size_t{s[0]} << 8) | s[1]) < 12 + 5) return Verdict::no;
  if (s.size() < 2 + 12) return Verdict::more;
  const std::size_t len = (std::size_t{s[0]} << 8) | s[1];
  // A header that cannot open a DNS message ends it here, so text protocols are not held back.
  const unsigned opcode = (s[4] >> 3) & 0xf;
  const std::size_t qd = (std::size_t{s[6]} << 8) | s[7];
  if (opcode == 3 || opcode > 6 || qd == 0 || qd > 16) return Verdict::no;
  if (s.size() < 2 + len) {
    // The whole question section is needed for a strict answer; large messages are rare.
    return s.size() < 512 ? Verdict::more : Verdict::no;
  }
  return dns::dns_probe(s, true, port_53) ? Verdict::yes : Verdict::no;
}

}  // namespace

ProbeResult probe_stream(std::span<const std::uint8_t> start, FlowDirection dir,
                         std::uint16_t server_port) {
  ProbeResult r;
  if (start.empty()) {
    r.need_more = true;
    return r;
  }
  struct Candidate {
    AppProto proto;
    Verdict v;
  };
  const bool dns_first = server_port == 53;
  Candidate c[] = {
      {AppProto::dns, dns_first ? probe_dns_tcp(start, true) : Verdict::no},
      {AppProto::http, from(http::http_probe(start, dir))},
      {AppProto::tls, from(tls::tls_probe(start, dir))},
      {AppProto::ssh, probe_ssh(start)},
      {AppProto::smtp, probe_smtp(start, dir)},
      {AppProto::ftp, probe_ftp(start, dir)},
      {AppProto::dns, dns_first ? Verdict::no : probe_dns_tcp(start, false)},
  };
  for (const Candidate& x : c) {
    if (x.v == Verdict::yes) {
      r.proto = x.proto;
      return r;
    }
    r.need_more |= x.v == Verdict::more;
  }
  return r;
}

ProbeResult probe_datagram(std::span<const std::uint8_t> payload, FlowDirection,
                           std::uint16_t server_port) {
  ProbeResult r;
  // On port 53 the port breaks the tie: bytes after the question section are tolerated.
  if (dns::dns_probe(payload, false, server_port == 53)) r.proto = AppProto::dns;
  return r;
}

}  // namespace vigil::app
