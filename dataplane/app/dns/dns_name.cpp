#include "dataplane/app/dns/dns_name.h"

#include "dataplane/app/decimal_text.h"
#include "dataplane/app/dns/dns_limits.h"

namespace vigil::app::dns::detail {

namespace {
constexpr char kHex[] = "0123456789abcdef";
}  // namespace

void TextWriter::put_dec(std::uint32_t v) {
  char digits[kMaxDecimalDigits];
  const std::size_t n = decimal_text(v, digits);
  for (std::size_t i = 0; i < n; ++i) put(digits[i]);
}

void TextWriter::put_hex16(std::uint16_t v) {
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    const unsigned nib = (v >> shift) & 0xf;
    if (nib == 0 && !started && shift != 0) continue;
    started = true;
    put(kHex[nib]);
  }
}

void TextWriter::put_octet(std::uint8_t b) {
  if (b >= 0x20 && b <= 0x7e) {
    put(static_cast<char>(b));
    return;
  }
  put('\\');
  put('x');
  put(kHex[b >> 4]);
  put(kHex[b & 0xf]);
}

NameWalk walk_name(std::span<const std::uint8_t> msg, std::size_t pos, DnsTextArena* out) {
  NameWalk w;
  bool end_known = false;
  std::size_t run_start = pos;  // first offset of the current run of labels
  std::size_t octets = 0;       // wire octets of the labels so far (length octets included)
  std::size_t jumps = 0;
  const std::size_t mark = out ? out->mark() : 0;
  bool first_label = true;

  auto fail = [&](NameError e) {
    if (out) out->rewind(mark);
    w.error = e;
    return w;
  };

  // Bounded: every pass either consumes label octets (at most kMaxNameOctets in all) or follows a
  // pointer (at most kMaxNameJumps).
  for (;;) {
    if (pos >= msg.size()) return fail(NameError::truncated);
    const std::uint8_t b = msg[pos];
    if (b == 0) {
      if (!end_known) w.end = pos + 1;
      return w;
    }
    if ((b & 0xc0) == 0xc0) {
      if (pos + 1 >= msg.size()) return fail(NameError::truncated);
      const std::size_t target = static_cast<std::size_t>(((b & 0x3f) << 8) | msg[pos + 1]);
      if (!end_known) {
        w.end = pos + 2;
        end_known = true;
      }
      if (target > pos || target >= msg.size()) return fail(NameError::forward);
      if (target >= run_start) return fail(NameError::loop);  // itself or its own run
      if (++jumps > kMaxNameJumps) return fail(NameError::loop);
      pos = run_start = target;
      continue;
    }
    if ((b & 0xc0) != 0) return fail(NameError::label_too_long);
    const std::size_t len = b;
    octets += 1 + len;
    if (octets + 1 > kMaxNameOctets) return fail(NameError::too_long);
    if (len + 1 > msg.size() - pos) return fail(NameError::truncated);
    if (out) {
      // A name's text is at most ~1012 bytes (dns_limits.h) and the scratch is sized for every
      // stored piece at kMaxTextBytes, so these puts cannot fail.
      if (!first_label) out->put('.');
      for (std::size_t i = 0; i < len; ++i) {
        const std::uint8_t c = msg[pos + 1 + i];
        if (c >= 0x20 && c <= 0x7e) {
          out->put(static_cast<char>(c));
        } else {
          out->put('\\');
          out->put('x');
          out->put(kHex[c >> 4]);
          out->put(kHex[c & 0xf]);
        }
      }
    }
    first_label = false;
    pos += 1 + len;
  }
}

void count_name_error(DnsCounters& c, NameError e) {
  switch (e) {
    case NameError::none:
    case NameError::truncated:  // counted as the message's status
      break;
    case NameError::loop:
      c.add(DnsCounter::name_loop);
      break;
    case NameError::forward:
      c.add(DnsCounter::pointer_forward);
      break;
    case NameError::too_long:
      c.add(DnsCounter::name_too_long);
      break;
    case NameError::label_too_long:
      c.add(DnsCounter::label_too_long);
      break;
  }
}

}  // namespace vigil::app::dns::detail
