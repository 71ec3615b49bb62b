#include "tools/pcapgen/capture.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

namespace vigil::pcapgen {

namespace {

constexpr std::uint16_t kEthertypeIpv4 = 0x0800, kEthertypeIpv6 = 0x86dd;
constexpr std::uint16_t kPppIpv4 = 0x0021, kPppIpv6 = 0x0057;
constexpr std::uint16_t kPppoeSession = 0x0042;  // any session id the discovery stage gave
constexpr std::size_t kEthernetMinFrame = 60;  // 64 on the wire minus the FCS, which captures omit

// BSD address families as loopback captures record them. IPv6 differs per BSD; 30 is macOS
// (the commonest source of DLT_NULL captures), 24 is OpenBSD (the origin of DLT_LOOP).
constexpr std::uint32_t kAfInet = 2, kAfInet6Darwin = 30, kAfInet6OpenBsd = 24;

void put_ethernet_header(Bytes& b, const LinkHop& hop, std::uint16_t ethertype) {
  put_bytes(b, hop.dst);
  put_bytes(b, hop.src);
  for (const VlanTag& v : hop.vlans) {
    put_be16(b, v.tpid);
    put_be16(b, static_cast<std::uint16_t>(v.priority << 13 | (v.id & 0x0fff)));
  }
  put_be16(b, ethertype);
}

void pad_ethernet(Bytes& b) {
  if (b.size() < kEthernetMinFrame) b.resize(kEthernetMinFrame, 0);
}

}  // namespace

void add_ip_packet(Capture& cap, std::uint64_t ts_ns, const LinkHop& hop,
                   std::span<const std::uint8_t> datagram) {
  if (cap.tunnel) {
    add_tunnelled_packet(cap, ts_ns, hop, datagram);
    return;
  }
  const bool v6 = (datagram[0] >> 4) == 6;
  const std::uint16_t ethertype = v6 ? kEthertypeIpv6 : kEthertypeIpv4;
  Bytes b;
  b.reserve(datagram.size() + 24);
  switch (cap.link) {
    case LinkType::ethernet:
      put_ethernet_header(b, hop, ethertype);
      break;
    case LinkType::null_loopback:
      // Host byte order of the capturing machine; the files model a little-endian Mac.
      put_u8(b, static_cast<std::uint8_t>(v6 ? kAfInet6Darwin : kAfInet));
      put_zeros(b, 3);
      break;
    case LinkType::loop:
      put_be32(b, v6 ? kAfInet6OpenBsd : kAfInet);
      break;
    case LinkType::raw:
    case LinkType::ipv4:
    case LinkType::ipv6:
      break;
    case LinkType::linux_sll:
      put_be16(b, hop.outgoing ? 4 : 0);  // PACKET_OUTGOING / PACKET_HOST
      put_be16(b, 1);                     // ARPHRD_ETHER
      put_be16(b, 6);
      put_bytes(b, hop.src);
      put_zeros(b, 2);
      put_be16(b, ethertype);
      break;
    case LinkType::linux_sll2:
      put_be16(b, ethertype);
      put_be16(b, 0);
      put_be32(b, 2);  // interface index of eth0 on a typical host
      put_be16(b, 1);  // ARPHRD_ETHER
      put_u8(b, hop.outgoing ? 4 : 0);
      put_u8(b, 6);
      put_bytes(b, hop.src);
      put_zeros(b, 2);
      break;
    case LinkType::ppp:
    case LinkType::ppp_serial:
      // HDLC-like framing (RFC 1662) as pppd and most routers record it.
      put_u8(b, 0xff);
      put_u8(b, 0x03);
      put_be16(b, v6 ? kPppIpv6 : kPppIpv4);
      break;
    case LinkType::ppp_with_dir:
      put_u8(b, hop.outgoing ? 1 : 0);
      put_u8(b, 0xff);
      put_u8(b, 0x03);
      put_be16(b, v6 ? kPppIpv6 : kPppIpv4);
      break;
    case LinkType::ppp_ether:
      put_u8(b, 0x11);  // version 1, type 1
      put_u8(b, 0);     // session data
      put_be16(b, kPppoeSession);
      put_be16(b, static_cast<std::uint16_t>(datagram.size() + 2));
      put_be16(b, v6 ? kPppIpv6 : kPppIpv4);
      break;
    case LinkType::c_hdlc:
      put_u8(b, 0x0f);  // unicast
      put_u8(b, 0);
      put_be16(b, ethertype);
      break;
  }
  put_bytes(b, datagram);
  if (cap.link == LinkType::ethernet) pad_ethernet(b);
  cap.frames.push_back(Frame{ts_ns, std::move(b)});
}

void add_ethernet_frame(Capture& cap, std::uint64_t ts_ns, const LinkHop& hop, std::uint16_t ethertype,
                        std::span<const std::uint8_t> payload) {
  if (cap.link != LinkType::ethernet) throw std::logic_error("non-IP frame in a non-Ethernet capture");
  Bytes b;
  put_ethernet_header(b, hop, ethertype);
  put_bytes(b, payload);
  pad_ethernet(b);
  cap.frames.push_back(Frame{ts_ns, std::move(b)});
}

void sort_by_time(Capture& cap) {
  std::stable_sort(cap.frames.begin(), cap.frames.end(),
                   [](const Frame& a, const Frame& b) { return a.ts_ns < b.ts_ns; });
}

int dlt_of(LinkType link) {
  switch (link) {
    case LinkType::null_loopback: return DLT_NULL;
    case LinkType::ethernet: return DLT_EN10MB;
    case LinkType::raw: return DLT_RAW;
    case LinkType::loop: return DLT_LOOP;
    case LinkType::linux_sll: return DLT_LINUX_SLL;
    case LinkType::ipv4: return DLT_IPV4;
    case LinkType::ipv6: return DLT_IPV6;
    case LinkType::linux_sll2: return DLT_LINUX_SLL2;
    case LinkType::ppp: return DLT_PPP;
    case LinkType::ppp_serial: return DLT_PPP_SERIAL;
    case LinkType::ppp_ether: return DLT_PPP_ETHER;
    case LinkType::c_hdlc: return DLT_C_HDLC;
    case LinkType::ppp_with_dir: return DLT_PPP_WITH_DIR;
  }
  throw std::logic_error("unknown link type");
}

void write_pcap(Capture& cap, const std::filesystem::path& path) {
  sort_by_time(cap);
  const auto precision = cap.nanosecond ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO;
  std::unique_ptr<pcap_t, decltype(&pcap_close)> dead(
      pcap_open_dead_with_tstamp_precision(dlt_of(cap.link), static_cast<int>(cap.snaplen), precision),
      &pcap_close);
  if (!dead) throw std::runtime_error(path.string() + ": libpcap refused the link type");
  const std::filesystem::path partial = path.string() + ".partial";
  pcap_dumper_t* dumper = pcap_dump_open(dead.get(), partial.c_str());
  if (!dumper) throw std::runtime_error(partial.string() + ": " + pcap_geterr(dead.get()));
  for (const Frame& f : cap.frames) {
    pcap_pkthdr hdr{};
    hdr.ts.tv_sec = static_cast<time_t>(f.ts_ns / 1'000'000'000ull);
    const std::uint64_t sub = f.ts_ns % 1'000'000'000ull;
    // With nanosecond precision libpcap stores tv_usec as nanoseconds.
    hdr.ts.tv_usec = static_cast<suseconds_t>(cap.nanosecond ? sub : sub / 1000);
    hdr.len = static_cast<bpf_u_int32>(f.data.size());
    hdr.caplen = std::min<bpf_u_int32>(hdr.len, cap.snaplen);
    pcap_dump(reinterpret_cast<u_char*>(dumper), &hdr, f.data.data());
  }
  const bool flushed = pcap_dump_flush(dumper) == 0;
  pcap_dump_close(dumper);
  if (!flushed) throw std::runtime_error(partial.string() + ": write failed");
  std::filesystem::rename(partial, path);
}

}  // namespace vigil::pcapgen
