#include "dataplane/flow/community_id.h"

#include <mbedtls/base64.h>
#include <mbedtls/sha1.h>

#include <cstring>
#include <utility>

namespace vigil {

namespace {

constexpr std::uint8_t kIpprotoSctp = 132;

// The ICMP types that come in request/response pairs, mapped to their counterpart (Zeek's
// ICMP4_counterpart / ICMP6_counterpart, as the spec prescribes). Returns -1 for one-way types.
int icmp4_counterpart(std::uint8_t type) {
  switch (type) {
    case 8: return 0;     // echo request -> echo reply
    case 0: return 8;
    case 13: return 14;   // timestamp
    case 14: return 13;
    case 15: return 16;   // information
    case 16: return 15;
    case 10: return 9;    // router solicitation -> advertisement
    case 9: return 10;
    case 17: return 18;   // address mask
    case 18: return 17;
    default: return -1;
  }
}

int icmp6_counterpart(std::uint8_t type) {
  switch (type) {
    case 128: return 129;  // echo request -> echo reply
    case 129: return 128;
    case 130: return 131;  // multicast listener query -> report
    case 131: return 130;
    case 133: return 134;  // router solicitation -> advertisement
    case 134: return 133;
    case 135: return 136;  // neighbour solicitation -> advertisement
    case 136: return 135;
    case 139: return 140;  // node information query -> reply ("who are you")
    case 140: return 139;
    case 144: return 145;  // home agent address discovery request -> reply
    case 145: return 144;
    default: return -1;
  }
}

void put_be16(unsigned char* p, std::uint16_t v) {
  p[0] = static_cast<unsigned char>(v >> 8);
  p[1] = static_cast<unsigned char>(v);
}

}  // namespace

bool community_id_v1(const CommunityIdTuple& t, std::uint16_t seed,
                     std::span<char, kCommunityIdLen> out) {
  std::size_t alen;
  if (t.family == IpFamily::v4) {
    alen = 4;
  } else if (t.family == IpFamily::v6) {
    alen = 16;
  } else {
    return false;
  }

  const std::uint8_t proto = t.ip_proto;
  const bool has_ports = proto == ipproto::tcp || proto == ipproto::udp || proto == kIpprotoSctp ||
                         proto == ipproto::icmp || proto == ipproto::icmpv6;
  std::uint16_t sport = has_ports ? t.sport : 0;
  std::uint16_t dport = has_ports ? t.dport : 0;
  bool one_way = false;
  if (proto == ipproto::icmp || proto == ipproto::icmpv6) {
    // Two-way message types use (type, counterpart type) as ports and may be flipped; one-way
    // types use (type, code) and keep the sender first.
    const auto type = static_cast<std::uint8_t>(t.sport);
    const int peer = proto == ipproto::icmp ? icmp4_counterpart(type) : icmp6_counterpart(type);
    if (peer >= 0) {
      dport = static_cast<std::uint16_t>(peer);
    } else {
      one_way = true;
    }
  }

  const unsigned char* a = t.src.b.data();
  const unsigned char* b = t.dst.b.data();
  const int cmp = std::memcmp(a, b, alen);
  const bool ordered = one_way || cmp < 0 || (cmp == 0 && has_ports && sport < dport);
  if (!ordered) {
    std::swap(a, b);
    std::swap(sport, dport);
  }

  // seed(2) . saddr . daddr . proto(1) . pad(1) [. sport(2) . dport(2)], network byte order.
  unsigned char buf[2 + 16 + 16 + 2 + 4];
  std::size_t n = 0;
  put_be16(buf, seed);
  n += 2;
  std::memcpy(buf + n, a, alen);
  n += alen;
  std::memcpy(buf + n, b, alen);
  n += alen;
  buf[n++] = proto;
  buf[n++] = 0;
  if (has_ports) {
    put_be16(buf + n, sport);
    put_be16(buf + n + 2, dport);
    n += 4;
  }

  unsigned char digest[20];
  if (mbedtls_sha1_ret(buf, n, digest) != 0) return false;
  unsigned char b64[kCommunityIdLen - 2 + 1];  // 28 characters and mbedTLS's terminating NUL
  std::size_t olen = 0;
  if (mbedtls_base64_encode(b64, sizeof(b64), &olen, digest, sizeof(digest)) != 0 ||
      olen != kCommunityIdLen - 2) {
    return false;
  }
  out[0] = '1';
  out[1] = ':';
  std::memcpy(out.data() + 2, b64, olen);
  return true;
}

std::string community_id_v1(const CommunityIdTuple& t, std::uint16_t seed) {
  char buf[kCommunityIdLen];
  if (!community_id_v1(t, seed, std::span<char, kCommunityIdLen>(buf))) return {};
  return std::string(buf, kCommunityIdLen);
}

CommunityIdTuple community_id_tuple(IpFamily family, const IpAddress& client,
                                    const IpAddress& server, std::uint8_t ip_proto,
                                    std::uint16_t client_port, std::uint16_t server_port,
                                    std::uint8_t icmp_type, std::uint8_t icmp_code) {
  CommunityIdTuple t;
  t.family = family;
  t.src = client;
  t.dst = server;
  t.ip_proto = ip_proto;
  if (ip_proto == ipproto::icmp || ip_proto == ipproto::icmpv6) {
    t.sport = icmp_type;
    t.dport = icmp_code;
  } else {
    t.sport = client_port;
    t.dport = server_port;
  }
  return t;
}

CommunityIdTuple community_id_tuple(const FlowRecord& r) {
  return community_id_tuple(r.family, r.client_addr, r.server_addr, r.ip_proto, r.client_port,
                            r.server_port, r.icmp_type, r.icmp_code);
}

std::string community_id_v1(const FlowRecord& r, std::uint16_t seed) {
  return community_id_v1(community_id_tuple(r), seed);
}

}  // namespace vigil
