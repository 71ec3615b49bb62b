#include "dataplane/app/dns/dns_rdata.h"

#include "dataplane/app/dns/dns_name.h"

namespace vigil::app::dns::detail {

namespace {

struct Decoder {
  std::span<const std::uint8_t> msg;
  std::size_t off, end;  // rdata in msg: [off, end)
  DnsShared& shared;
  DnsRecord& r;

  std::size_t len() const { return end - off; }

  // The name at msg[at], which must end (in place) at or before `limit`; its end in `next`.
  bool name(std::size_t at, std::size_t limit, std::string_view& text, std::size_t& next) {
    if (at >= limit) return false;
    const std::size_t mark = shared.scratch().mark();
    const NameWalk w = walk_name(msg, at, &shared.scratch());
    if (w.error != NameError::none) {
      // Truncation here means the name ran past the rdata into the end of the message.
      count_name_error(shared.counters(), w.error);
      return false;
    }
    if (w.end > limit) {
      shared.scratch().rewind(mark);
      return false;
    }
    text = shared.scratch().since(mark);
    next = w.end;
    return true;
  }

  // A name filling the rest of the rdata exactly.
  bool tail_name(std::size_t at) {
    std::size_t next = 0;
    return name(at, end, r.rdata_text, next) && next == end;
  }

  TextWriter writer() { return TextWriter{.arena = shared.scratch(), .limit = kMaxTextBytes}; }

  void finish(TextWriter& w) {
    if (w.cut) shared.counters().add(DnsCounter::text_truncated);
    r.rdata_text = w.text();
  }

  bool a() {
    if (len() != 4) return false;
    TextWriter w = writer();
    for (std::size_t i = 0; i < 4; ++i) {
      if (i) w.put('.');
      w.put_dec(msg[off + i]);
    }
    finish(w);
    return true;
  }

  // RFC 5952: lowercase, no leading zeros, the longest run (first on a tie) of two or more zero
  // groups as "::", and IPv4-mapped addresses with a dotted quad (section 5).
  bool aaaa() {
    if (len() != 16) return false;
    std::uint16_t g[8];
    for (std::size_t i = 0; i < 8; ++i) g[i] = be16(msg, off + 2 * i);
    TextWriter w = writer();
    const bool mapped =
        g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 0xffff;
    if (mapped) {
      w.put("::ffff:");
      for (std::size_t i = 12; i < 16; ++i) {
        if (i != 12) w.put('.');
        w.put_dec(msg[off + i]);
      }
      finish(w);
      return true;
    }
    std::size_t best = 8, best_len = 0;
    for (std::size_t i = 0; i < 8;) {
      if (g[i] != 0) {
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j < 8 && g[j] == 0) ++j;
      if (j - i > best_len && j - i >= 2) {
        best = i;
        best_len = j - i;
      }
      i = j;
    }
    for (std::size_t i = 0; i < 8;) {
      if (i == best) {
        w.put("::");
        i += best_len;
        continue;
      }
      if (i != 0 && i != best + best_len) w.put(':');
      w.put_hex16(g[i]);
      ++i;
    }
    finish(w);
    return true;
  }

  bool mx() {
    if (len() < 3) return false;
    r.preference = be16(msg, off);
    return tail_name(off + 2);
  }

  bool srv() {
    if (len() < 7) return false;
    r.preference = be16(msg, off);
    r.srv_weight = be16(msg, off + 2);
    r.srv_port = be16(msg, off + 4);
    return tail_name(off + 6);
  }

  bool soa() {
    std::size_t next = 0;
    if (!name(off, end, r.rdata_text, next)) return false;
    if (!name(next, end, r.soa_rname, next)) return false;
    if (end - next != 20) return false;
    r.soa_serial = be32(msg, next);
    r.soa_refresh = be32(msg, next + 4);
    r.soa_retry = be32(msg, next + 8);
    r.soa_expire = be32(msg, next + 12);
    r.soa_minimum = be32(msg, next + 16);
    return true;
  }

  // SvcPriority and TargetName; the SvcParams after it are left in the raw rdata.
  bool svcb() {
    if (len() < 3) return false;
    r.preference = be16(msg, off);
    std::size_t next = 0;
    return name(off + 2, end, r.rdata_text, next);
  }

  bool txt() {
    if (len() == 0) return false;  // at least one character-string
    TextWriter w = writer();
    for (std::size_t p = off; p < end;) {
      const std::size_t n = msg[p];
      if (n + 1 > end - p) return false;
      for (std::size_t i = 0; i < n; ++i) w.put_octet(msg[p + 1 + i]);
      p += 1 + n;
    }
    finish(w);
    return true;
  }

  // RFC 8659: flags, tag length (1..15), tag, value; shown as `flags tag "value"`.
  bool caa() {
    if (len() < 2) return false;
    const std::size_t tag_len = msg[off + 1];
    if (tag_len == 0 || tag_len > 15 || 2 + tag_len > len()) return false;
    TextWriter w = writer();
    w.put_dec(msg[off]);
    w.put(' ');
    for (std::size_t i = 0; i < tag_len; ++i) w.put_octet(msg[off + 2 + i]);
    w.put(" \"");
    for (std::size_t p = off + 2 + tag_len; p < end; ++p) w.put_octet(msg[p]);
    w.put('"');
    finish(w);
    return true;
  }

  bool run() {
    switch (r.type) {
      case rrtype::a:
        return a();
      case rrtype::aaaa:
        return aaaa();
      case rrtype::ns:
      case rrtype::cname:
      case rrtype::ptr:
      case rrtype::dname:
        return tail_name(off);
      case rrtype::mx:
        return mx();
      case rrtype::srv:
        return srv();
      case rrtype::soa:
        return soa();
      case rrtype::svcb:
      case rrtype::https:
        return svcb();
      case rrtype::txt:
        return txt();
      case rrtype::caa:
        return caa();
      default:
        return true;  // NULL and the rest: raw rdata only
    }
  }
};

}  // namespace

bool decode_rdata(std::span<const std::uint8_t> msg, std::size_t rdoff, DnsShared& shared,
                  DnsRecord& r) {
  const std::size_t mark = shared.scratch().mark();
  Decoder d{msg, rdoff, rdoff + r.rdata.size(), shared, r};
  if (d.run()) return true;
  shared.scratch().rewind(mark);
  r.rdata_text = r.soa_rname = {};
  r.preference = r.srv_weight = r.srv_port = 0;
  r.soa_serial = r.soa_refresh = r.soa_retry = r.soa_expire = r.soa_minimum = 0;
  return false;
}

}  // namespace vigil::app::dns::detail
