// Tunnelled packets: a datagram inside IP-in-IP, GRE (plain, bridged, PPP, PPTP), VXLAN or a PPPoE
// session, as a sensor on the underlay sees them. Outer IPv4 headers and the VXLAN UDP header
// carry valid checksums; GRE checksums are not used (as by Linux and most routers).
#include <stdexcept>

#include "tools/pcapgen/capture.h"

namespace vigil::pcapgen {

namespace {
constexpr std::uint16_t kEthertypeIpv4 = 0x0800, kEthertypeIpv6 = 0x86dd, kEthertypeTeb = 0x6558,
                        kEthertypePpp = 0x880b, kEthertypePppoeSession = 0x8864;
constexpr std::uint16_t kPppIpv4 = 0x0021, kPppIpv6 = 0x0057;
constexpr std::uint8_t kProtoIpv4 = 4, kProtoIpv6 = 41, kProtoGre = 47;
constexpr std::uint16_t kVxlanPort = 4789;
constexpr std::uint32_t kVxlanVni = 5001;
constexpr std::uint32_t kGreKey = 0x0000beef;
constexpr std::uint16_t kPptpCallIdToServer = 0x4001, kPptpCallIdToClient = 0x8002;
constexpr std::uint16_t kPppoeSessionId = 0x0042;

void put_ppp(Bytes& b, bool v6, bool compressed) {
  if (compressed) {
    put_u8(b, static_cast<std::uint8_t>(v6 ? kPppIpv6 : kPppIpv4));
  } else {
    put_u8(b, 0xff);
    put_u8(b, 0x03);
    put_be16(b, v6 ? kPppIpv6 : kPppIpv4);
  }
}

void put_inner_ethernet(Bytes& b, const LinkHop& hop, bool v6) {
  put_bytes(b, hop.dst);
  put_bytes(b, hop.src);
  put_be16(b, v6 ? kEthertypeIpv6 : kEthertypeIpv4);
}
}  // namespace

void add_tunnelled_packet(Capture& cap, std::uint64_t ts_ns, const LinkHop& hop,
                          std::span<const std::uint8_t> datagram) {
  if (cap.link != LinkType::ethernet) throw std::logic_error("tunnels are generated on Ethernet");
  Tunnel& t = *cap.tunnel;
  const bool v6 = (datagram[0] >> 4) == 6;
  const bool to_server = hop.outgoing;
  Bytes payload;  // what the outer IPv4 header carries
  std::uint8_t proto = kProtoGre;
  switch (t.kind) {
    case TunnelKind::ipip:
      proto = v6 ? kProtoIpv6 : kProtoIpv4;
      put_bytes(payload, datagram);
      break;
    case TunnelKind::gre:
      put_be16(payload, 0x2000);  // K
      put_be16(payload, v6 ? kEthertypeIpv6 : kEthertypeIpv4);
      put_be32(payload, kGreKey);
      put_bytes(payload, datagram);
      break;
    case TunnelKind::gre_bridged:
      put_be16(payload, 0);
      put_be16(payload, kEthertypeTeb);
      put_inner_ethernet(payload, hop, v6);
      put_bytes(payload, datagram);
      break;
    case TunnelKind::gre_ppp:
      put_be16(payload, 0x1000);  // S
      put_be16(payload, kEthertypePpp);
      put_be32(payload, t.next_seq++);
      put_ppp(payload, v6, false);
      put_bytes(payload, datagram);
      break;
    case TunnelKind::pptp: {
      Bytes frame;
      put_ppp(frame, v6, true);
      put_bytes(frame, datagram);
      put_be16(payload, 0x3001);  // K, S, version 1
      put_be16(payload, kEthertypePpp);
      put_be16(payload, static_cast<std::uint16_t>(frame.size()));
      put_be16(payload, to_server ? kPptpCallIdToServer : kPptpCallIdToClient);
      put_be32(payload, t.next_seq++);
      put_bytes(payload, frame);
      break;
    }
    case TunnelKind::vxlan: {
      Bytes vx;
      put_u8(vx, 0x08);  // I: the VNI is valid
      put_zeros(vx, 3);
      put_be32(vx, kVxlanVni << 8);
      put_inner_ethernet(vx, hop, v6);
      put_bytes(vx, datagram);
      // Linux picks the source port from a hash of the inner flow; one per direction here.
      const std::uint16_t sport = to_server ? 49732 : 51210;
      const IpAddr& src = to_server ? t.client_end : t.server_end;
      const IpAddr& dst = to_server ? t.server_end : t.client_end;
      payload = udp_datagram(src, dst, sport, kVxlanPort, vx);
      proto = 17;
      break;
    }
    case TunnelKind::pppoe: {
      Bytes session;
      put_u8(session, 0x11);
      put_u8(session, 0);
      put_be16(session, kPppoeSessionId);
      put_be16(session, static_cast<std::uint16_t>(datagram.size() + 2));
      put_be16(session, v6 ? kPppIpv6 : kPppIpv4);
      put_bytes(session, datagram);
      add_ethernet_frame(cap, ts_ns, hop, kEthertypePppoeSession, session);
      return;
    }
  }
  IpFields outer;
  outer.src = to_server ? t.client_end : t.server_end;
  outer.dst = to_server ? t.server_end : t.client_end;
  outer.proto = proto;
  outer.ttl = 62;
  outer.id = t.next_id++;
  add_ethernet_frame(cap, ts_ns, hop, kEthertypeIpv4, ip_datagram(outer, payload));
}

}  // namespace vigil::pcapgen
