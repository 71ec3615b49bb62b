// Every decoder event has a packet that triggers it, alone and exactly once; malformations end
// with status malformed, anomalies do not. The table must cover the whole event list.
#include <set>
#include <string>

#include <CppUTest/TestHarness.h>

#include "tests/unit/decode/packet_builder.h"

using namespace vigil;
using namespace vigil::test;

namespace {
struct Trigger {
  DecodeEvent event;
  LinkType link;
  Packet bytes;
  bool malformation;
  std::uint32_t wire_len = 0;  // 0: complete capture
};

Packet v4(std::uint8_t proto, std::span<const std::uint8_t> payload, Ipv4Spec ip = {}) {
  ip.proto = proto;
  return ipv4(ip, payload);
}
Packet v4_options(std::vector<std::uint8_t> options) {
  Ipv4Spec ip;
  ip.options = std::move(options);
  return v4(ipproto::udp, udp(1, 2, {}), ip);
}
Packet v6(std::uint8_t next, std::span<const std::uint8_t> payload, Ipv6Spec ip = {}) {
  ip.next_header = next;
  return ipv6(ip, payload);
}
Packet tcp_options(std::vector<std::uint8_t> options) {
  TcpSpec t;
  t.options = std::move(options);
  return v4(ipproto::tcp, tcp(t, {}));
}

std::vector<Trigger> triggers() {
  using E = DecodeEvent;
  const Packet pad = padn6();
  const Packet seg = udp(1, 2, text("x"));
  std::vector<Trigger> t;
  t.push_back({E::link_unsupported, static_cast<LinkType>(147), v4(ipproto::udp, seg), true});
  t.push_back({E::ethernet_pkt_too_small, LinkType::ethernet, Packet(13, 0), true});
  {
    Packet p = ethernet(0x8100, {});
    p.push_back(0);
    t.push_back({E::vlan_header_too_small, LinkType::ethernet, p, true});
  }
  t.push_back({E::vlan_too_many_layers, LinkType::ethernet,
               ethernet(0x0800, v4(ipproto::udp, seg), {1, 2, 3}), true});
  t.push_back({E::sll_pkt_too_small, LinkType::linux_sll, Packet(15, 0), true});
  t.push_back({E::sll2_pkt_too_small, LinkType::linux_sll2, Packet(19, 0), true});
  t.push_back({E::null_pkt_too_small, LinkType::null_loopback, Packet(3, 0), true});
  t.push_back({E::null_unsupported_type, LinkType::null_loopback,
               cat({bytes_of({23, 0, 0, 0}), v4(ipproto::udp, seg)}), false});
  t.push_back({E::raw_invalid_ip_version, LinkType::raw, bytes_of({0x75, 0, 0, 20}), true});
  t.push_back({E::ipv4_pkt_too_small, LinkType::ipv4, Packet{0x45, 0, 0, 20}, true});
  {
    Ipv4Spec ip;
    ip.ihl = 2;
    t.push_back({E::ipv4_hlen_too_small, LinkType::ipv4, v4(ipproto::udp, seg, ip), true});
  }
  {
    Ipv4Spec ip;
    ip.total_len = 19;
    t.push_back(
        {E::ipv4_iplen_smaller_than_hlen, LinkType::ipv4, v4(ipproto::udp, seg, ip), true});
  }
  {
    Ipv4Spec ip;
    ip.total_len = 40;
    t.push_back({E::ipv4_trunc_pkt, LinkType::ipv4, v4(ipproto::udp, seg, ip), true});
  }
  {
    Ipv4Spec ip;
    ip.version = 6;
    t.push_back({E::ipv4_wrong_ip_version, LinkType::ipv4, v4(ipproto::udp, seg, ip), true});
  }
  t.push_back({E::ipv4_opt_invalid_len, LinkType::ipv4, v4_options({148, 2, 0, 0}), true});
  t.push_back({E::ipv4_opt_malformed, LinkType::ipv4, v4_options({7, 7, 1, 0, 0, 0, 0, 0}), true});
  t.push_back({E::ipv4_opt_eol_required, LinkType::ipv4, v4_options({1, 1, 1, 7}), true});
  t.push_back({E::ipv4_opt_unknown, LinkType::ipv4, v4_options({222, 4, 0, 0}), false});
  t.push_back(
      {E::ipv4_opt_duplicate, LinkType::ipv4, v4_options({136, 4, 0, 1, 136, 4, 0, 2}), false});
  {
    Ipv4Spec ip;
    ip.flags_offset = 0x2000 | 8191;
    t.push_back({E::ipv4_frag_pkt_too_large, LinkType::ipv4, v4(ipproto::udp, seg, ip), true});
  }
  t.push_back({E::ipv6_pkt_too_small, LinkType::ipv6, Packet(39, 0x60), true});
  {
    Ipv6Spec ip;
    ip.payload_len = 100;
    t.push_back({E::ipv6_trunc_pkt, LinkType::ipv6, v6(ipproto::udp, seg, ip), true});
  }
  t.push_back({E::ipv6_trunc_exthdr, LinkType::ipv6, v6(ipproto::routing, bytes_of({17, 0}), {}),
               true});
  {
    Ipv6Spec ip;
    ip.version = 5;
    t.push_back({E::ipv6_wrong_ip_version, LinkType::ipv6, v6(ipproto::udp, seg, ip), true});
  }
  t.push_back({E::ipv6_exthdr_dupl_fh, LinkType::ipv6,
               v6(ipproto::fragment,
                  fragment_header(ipproto::fragment, 0, false, 1,
                                  fragment_header(ipproto::udp, 0, false, 1, seg))),
               true});
  {
    Packet chain = seg;
    chain = ext_header(ipproto::udp, pad, chain);
    for (int i = 0; i < 12; ++i) chain = ext_header(ipproto::dstopts, pad, chain);
    t.push_back({E::ipv6_exthdr_too_many, LinkType::ipv6, v6(ipproto::dstopts, chain), true});
  }
  t.push_back({E::ipv6_frag_pkt_too_large, LinkType::ipv6,
               v6(ipproto::fragment, fragment_header(ipproto::udp, 65528, false, 1, seg)), true});
  t.push_back({E::ipv6_exthdr_dupl_hh, LinkType::ipv6,
               v6(ipproto::hopopts,
                  ext_header(ipproto::hopopts, pad, ext_header(ipproto::udp, pad, seg))),
               false});
  t.push_back({E::ipv6_hopopts_not_first, LinkType::ipv6,
               v6(ipproto::routing,
                  ext_header(ipproto::hopopts, bytes_of({2, 0, 0, 0, 0, 0}),
                             ext_header(ipproto::udp, pad, seg))),
               false});
  t.push_back({E::ipv6_exthdr_invalid_optlen, LinkType::ipv6,
               v6(ipproto::dstopts, ext_header(ipproto::udp, bytes_of({1, 5, 0, 0, 0, 0}), seg)),
               false});
  t.push_back({E::ipv6_rh_type_0, LinkType::ipv6,
               v6(ipproto::routing, ext_header(ipproto::udp, bytes_of({0, 0, 0, 0, 0, 0}), seg)),
               false});
  t.push_back({E::tcp_pkt_too_small, LinkType::ipv4, v4(ipproto::tcp, Packet(12, 0)), true});
  {
    TcpSpec s;
    s.data_offset = 0;
    t.push_back({E::tcp_hlen_too_small, LinkType::ipv4, v4(ipproto::tcp, tcp(s, {})), true});
  }
  t.push_back({E::tcp_invalid_optlen, LinkType::ipv4, tcp_options({1, 1, 5, 1}), false});
  t.push_back({E::tcp_opt_invalid_len, LinkType::ipv4, tcp_options({4, 4, 0, 0}), false});
  t.push_back({E::tcp_opt_duplicate, LinkType::ipv4, tcp_options({4, 2, 4, 2}), false});
  t.push_back({E::udp_pkt_too_small, LinkType::ipv4, v4(ipproto::udp, Packet(4, 0)), true});
  t.push_back({E::udp_hlen_too_small, LinkType::ipv4, v4(ipproto::udp, udp(1, 2, {}, 0)), true});
  t.push_back(
      {E::udp_hlen_invalid, LinkType::ipv4, v4(ipproto::udp, udp(1, 2, text("ab"), 11)), true});
  t.push_back({E::icmpv4_pkt_too_small, LinkType::ipv4, v4(ipproto::icmp, Packet(4, 8)), true});
  t.push_back(
      {E::icmpv4_unknown_type, LinkType::ipv4, v4(ipproto::icmp, icmp(200, 0, 0, 0, {})), false});
  t.push_back({E::icmpv6_pkt_too_small, LinkType::ipv6, v6(ipproto::icmpv6, Packet(1, 128)),
               true});
  t.push_back(
      {E::icmpv6_unknown_type, LinkType::ipv6, v6(ipproto::icmpv6, icmp(0, 0, 0, 0, {})), false});

  // Link layers of the PPP family.
  const Packet ip_seg = v4(ipproto::udp, seg);
  const Packet ppp_ip = ppp(0x0021, ip_seg, false);
  t.push_back({E::ppp_pkt_too_small, LinkType::ppp, bytes_of({0xff, 0x03}), true});
  t.push_back({E::ppp_wrong_type, LinkType::ppp, ppp(0x0022, ip_seg), true});
  t.push_back({E::pppoe_pkt_too_small, LinkType::ppp_ether, bytes_of({0x11, 0, 0, 1}), true});
  t.push_back({E::pppoe_wrong_version, LinkType::ppp_ether, pppoe(ppp_ip, -1, 0x12), true});
  t.push_back({E::pppoe_wrong_code, LinkType::ppp_ether, pppoe(ppp_ip, -1, 0x11, 0xa7), true});
  t.push_back({E::chdlc_pkt_too_small, LinkType::c_hdlc, bytes_of({0x0f, 0}), true});

  // Tunnels.
  {
    Packet nested = ip_seg;
    for (int i = 0; i < 5; ++i) nested = v4(ipproto::ipv4, nested);
    t.push_back({E::tunnel_too_many_layers, LinkType::ipv4, nested, true});
  }
  const auto over_gre = [&](const Packet& g) { return v4(ipproto::gre, g); };
  const Packet ppp_frame = ppp(0x0021, ip_seg);
  t.push_back({E::gre_pkt_too_small, LinkType::ipv4, over_gre(bytes_of({0, 0})), true});
  t.push_back({E::gre_wrong_version, LinkType::ipv4, over_gre(gre(0x0007, 0x0800, ip_seg)), true});
  t.push_back({E::gre_v0_recur, LinkType::ipv4, over_gre(gre(0x0700, 0x0800, ip_seg)), true});
  t.push_back({E::gre_v0_flags, LinkType::ipv4, over_gre(gre(0x0008, 0x0800, ip_seg)), true});
  t.push_back({E::gre_v0_hdr_too_big, LinkType::ipv4, over_gre(gre(0x9000, 0x0800, {}, {0})), true});
  t.push_back({E::gre_v0_malformed_sre_hdr, LinkType::ipv4,
               over_gre(gre(0x4000, 0x0800, bytes_of({0x08, 0}), {0})), true});
  t.push_back({E::gre_v1_chksum, LinkType::ipv4, over_gre(gre(0xa001, 0x880b, ppp_frame, {0, 0})),
               true});
  t.push_back({E::gre_v1_route, LinkType::ipv4, over_gre(gre(0x6001, 0x880b, ppp_frame, {0, 0})),
               true});
  t.push_back({E::gre_v1_ssr, LinkType::ipv4, over_gre(gre(0x2801, 0x880b, ppp_frame, {0})), true});
  t.push_back({E::gre_v1_recur, LinkType::ipv4, over_gre(gre(0x2201, 0x880b, ppp_frame, {0})),
               true});
  t.push_back({E::gre_v1_flags, LinkType::ipv4, over_gre(gre(0x2011, 0x880b, ppp_frame, {0})),
               true});
  t.push_back({E::gre_v1_no_key, LinkType::ipv4, over_gre(gre(0x1001, 0x880b, ppp_frame, {1})),
               true});
  t.push_back({E::gre_v1_wrong_protocol, LinkType::ipv4,
               over_gre(gre(0x2001, 0x86dd, ppp_frame, {0})), true});
  t.push_back({E::gre_v1_hdr_too_big, LinkType::ipv4, over_gre(gre(0x2081, 0x880b, {}, {0})),
               true});
  return t;
}
}  // namespace

TEST_GROUP(DecodeEvents){};

TEST(DecodeEvents, EachTriggerCountsItsEventAlone) {
  for (const Trigger& tr : triggers()) {
    const char* name = decode_event_name(tr.event).data();
    const Decoded d = decode(tr.link, tr.bytes, tr.wire_len);
    expect_only_event(d, tr.event);
    if (tr.malformation) {
      CHECK_EQUAL_TEXT(DecodeStatus::malformed, d.status, name);
    } else {
      CHECK_TEXT(d.status != DecodeStatus::malformed, name);
    }
  }
}

TEST(DecodeEvents, EveryEventHasATrigger) {
  std::set<std::size_t> covered;
  for (const Trigger& tr : triggers()) covered.insert(static_cast<std::size_t>(tr.event));
  for (std::size_t i = 0; i < kDecodeEventCount; ++i) {
    CHECK_TEXT(covered.count(i) == 1, decode_event_name(static_cast<DecodeEvent>(i)).data());
  }
}

TEST(DecodeEvents, NamesAreUniqueAndQualified) {
  std::set<std::string> names;
  for (std::size_t i = 0; i < kDecodeEventCount; ++i) {
    const std::string n(decode_event_name(static_cast<DecodeEvent>(i)));
    CHECK_TEXT(n.find('.') != std::string::npos && n.front() != '.' && n.back() != '.', n.c_str());
    CHECK_TEXT(names.insert(n).second, n.c_str());
  }
  STRCMP_EQUAL("decoder.unknown_event", decode_event_name(DecodeEvent::count_).data());
  STRCMP_EQUAL("ipv4.trunc_pkt", decode_event_name(DecodeEvent::ipv4_trunc_pkt).data());
}

TEST(DecodeEvents, CountersAddUp) {
  DecodeCounters a, b;
  a.add(DecodeEvent::tcp_pkt_too_small);
  b.add(DecodeEvent::tcp_pkt_too_small);
  b.add(DecodeEvent::udp_hlen_invalid);
  a += b;
  UNSIGNED_LONGS_EQUAL(2, a.get(DecodeEvent::tcp_pkt_too_small));
  UNSIGNED_LONGS_EQUAL(1, a.get(DecodeEvent::udp_hlen_invalid));
}
