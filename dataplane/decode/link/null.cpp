// BSD loopback (DLT_NULL: address family in the capturing host's byte order) and OpenBSD's
// DLT_LOOP (the same in network byte order).
#include "dataplane/decode/layers.h"

namespace vigil::decode {

namespace {
constexpr std::size_t kNullHeaderLen = 4;

// AF_INET is 2 everywhere; AF_INET6 is 24 on NetBSD/OpenBSD, 28 on FreeBSD, 30 on Darwin.
IpFamily family_of(std::uint32_t af) {
  switch (af) {
    case 2:
      return IpFamily::v4;
    case 24:
    case 28:
    case 30:
      return IpFamily::v6;
    default:
      return IpFamily::none;
  }
}

DecodeStatus decode_family(IpFamily family, Bytes rest, Context& ctx) {
  switch (family) {
    case IpFamily::v4:
      ctx.out.ethertype = ethertype::ipv4;
      return decode_ipv4(rest, ctx);
    case IpFamily::v6:
      ctx.out.ethertype = ethertype::ipv6;
      return decode_ipv6(rest, ctx);
    case IpFamily::none:
      break;
  }
  // Old BSDs also carried OSI, IPX or AppleTalk here; legitimate but not inspected.
  ctx.counters.add(DecodeEvent::null_unsupported_type);
  return DecodeStatus::not_ip;
}
}  // namespace

DecodeStatus decode_null(Bytes frame, Context& ctx) {
  if (frame.size() < kNullHeaderLen) return malformed(ctx, DecodeEvent::null_pkt_too_small);
  // The file does not say which byte order its writer had: a family value is small, so at most one
  // of the two readings is a known family.
  IpFamily family = family_of(load_le32(frame.data()));
  if (family == IpFamily::none) family = family_of(load_be32(frame.data()));
  return decode_family(family, frame.subspan(kNullHeaderLen), ctx);
}

DecodeStatus decode_loop(Bytes frame, Context& ctx) {
  if (frame.size() < kNullHeaderLen) return malformed(ctx, DecodeEvent::null_pkt_too_small);
  return decode_family(family_of(load_be32(frame.data())), frame.subspan(kNullHeaderLen), ctx);
}

}  // namespace vigil::decode
