// IPv4 options (RFC 791 and later): walked and validated. A bad length or a malformed
// route/timestamp option makes the datagram malformed, as it does for end hosts, which drop it;
// unknown and repeated options are counted and skipped by their length.
#include "dataplane/decode/layers.h"

namespace vigil::decode {

namespace {
namespace opt {
inline constexpr std::uint8_t eol = 0, nop = 1, rr = 7, qs = 25, ts = 68, sec = 130, lsrr = 131,
                              esec = 133, cipso = 134, sid = 136, ssrr = 137, rtralt = 148;
}

// Bit per known option type, for duplicate detection; -1 for an unknown type.
int known_option_bit(std::uint8_t type) {
  switch (type) {
    case opt::rr: return 0;
    case opt::qs: return 1;
    case opt::ts: return 2;
    case opt::sec: return 3;
    case opt::lsrr: return 4;
    case opt::esec: return 5;
    case opt::cipso: return 6;
    case opt::sid: return 7;
    case opt::ssrr: return 8;
    case opt::rtralt: return 9;
    default: return -1;
  }
}

// Record route and source routes: type, length, pointer, then 4-byte addresses. The pointer is
// 1-based, at least 4, on an address boundary, and at most one past the end (route full).
DecodeStatus check_route(Bytes o, Context& ctx) {
  if (o.size() < 3) return malformed(ctx, DecodeEvent::ipv4_opt_invalid_len);
  const std::size_t ptr = o[2];
  if ((o.size() - 3) % 4 != 0 || ptr < 4 || ptr % 4 != 0 || ptr > o.size() + 1) {
    return malformed(ctx, DecodeEvent::ipv4_opt_malformed);
  }
  return DecodeStatus::ok;
}

// Timestamp: type, length, pointer, overflow/flag, then 4-byte timestamps (flag 0) or
// address + timestamp pairs (flags 1 and 3).
DecodeStatus check_timestamp(Bytes o, Context& ctx) {
  if (o.size() < 4) return malformed(ctx, DecodeEvent::ipv4_opt_invalid_len);
  const std::size_t ptr = o[2];
  const std::uint8_t flag = o[3] & 0x0f;
  const std::size_t rec = flag == 0 ? 4 : (flag == 1 || flag == 3) ? 8 : 0;
  if (rec == 0 || (o.size() - 4) % rec != 0 || ptr < 5 || (ptr - 5) % rec != 0 ||
      ptr > o.size() + 1) {
    return malformed(ctx, DecodeEvent::ipv4_opt_malformed);
  }
  return DecodeStatus::ok;
}

DecodeStatus check_known_option(Bytes o, Context& ctx) {
  const std::size_t len = o.size();
  switch (o[0]) {
    case opt::rr:
    case opt::lsrr:
    case opt::ssrr:
      return check_route(o, ctx);
    case opt::ts:
      return check_timestamp(o, ctx);
    case opt::qs:
      return len == 8 ? DecodeStatus::ok : malformed(ctx, DecodeEvent::ipv4_opt_invalid_len);
    case opt::sid:
    case opt::rtralt:
      return len == 4 ? DecodeStatus::ok : malformed(ctx, DecodeEvent::ipv4_opt_invalid_len);
    case opt::sec:
    case opt::esec:
      return len >= 3 ? DecodeStatus::ok : malformed(ctx, DecodeEvent::ipv4_opt_invalid_len);
    case opt::cipso:  // type, length, 4-byte domain of interpretation
      return len >= 6 ? DecodeStatus::ok : malformed(ctx, DecodeEvent::ipv4_opt_invalid_len);
    default:
      return DecodeStatus::ok;
  }
}
}  // namespace

DecodeStatus check_ipv4_options(Bytes options, Context& ctx) {
  std::uint32_t seen = 0;
  std::size_t i = 0;
  while (i < options.size()) {
    const std::uint8_t type = options[i];
    if (type == opt::eol) break;  // the rest is padding
    if (type == opt::nop) {
      ++i;
      continue;
    }
    const std::size_t left = options.size() - i;
    // A lone type byte has no length: only EOL or NOP may end the area.
    if (left < 2) return malformed(ctx, DecodeEvent::ipv4_opt_eol_required);
    const std::size_t len = options[i + 1];
    if (len < 2 || len > left) return malformed(ctx, DecodeEvent::ipv4_opt_invalid_len);
    const int bit = known_option_bit(type);
    if (bit < 0) {
      ctx.counters.add(DecodeEvent::ipv4_opt_unknown);
    } else {
      if (seen & (1u << bit)) ctx.counters.add(DecodeEvent::ipv4_opt_duplicate);
      seen |= 1u << bit;
      const DecodeStatus st = check_known_option(options.subspan(i, len), ctx);
      if (st != DecodeStatus::ok) return st;
    }
    i += len;
  }
  return DecodeStatus::ok;
}

}  // namespace vigil::decode
