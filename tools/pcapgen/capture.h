// A capture being generated: frames with timestamps, in one link type, written with libpcap.
// Frames are collected out of order (a TCP exchange is built one side at a time) and sorted by
// time before writing; the sort is stable, so equal timestamps keep their building order.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <vector>

#include "dataplane/packet/packet_view.h"
#include "tools/pcapgen/bytes.h"
#include "tools/pcapgen/ip.h"

namespace vigil::pcapgen {

struct VlanTag {
  std::uint16_t tpid = 0x8100;  // 0x88a8 for the service tag of a QinQ pair
  std::uint16_t id = 0;
  std::uint8_t priority = 0;
};

// The link-layer view of one packet as the sensor sees it.
struct LinkHop {
  MacAddress src{}, dst{};
  std::span<const VlanTag> vlans{};
  bool outgoing = false;  // Linux cooked captures: sent by the capturing host
};

// An encapsulation every IP packet of a capture is sent through (tunnel.cpp), between two IPv4
// tunnel ends: the client side's and the server side's (which end sends follows LinkHop::outgoing,
// set for packets from the conversation's client on Ethernet captures).
enum class TunnelKind : std::uint8_t {
  ipip,          // IPv4 or IPv6 in IPv4 (protocol 4 / 41)
  gre,           // GRE version 0 with a key, carrying IPv4 / IPv6
  gre_bridged,   // GRE transparent Ethernet bridging (0x6558)
  gre_ppp,       // GRE version 0 carrying PPP with address and control bytes
  pptp,          // PPTP's enhanced GRE (version 1), PPP with compressed protocol field
  vxlan,         // VXLAN (UDP 4789), VNI 5001
  pppoe,         // PPPoE session on the Ethernet link (not an IP tunnel)
};

struct Tunnel {
  TunnelKind kind = TunnelKind::ipip;
  IpAddr client_end, server_end;
  std::uint16_t next_id = 1;   // outer IPv4 identification
  std::uint32_t next_seq = 1;  // GRE sequence numbers
};

struct Frame {
  std::uint64_t ts_ns = 0;
  Bytes data;  // as on the wire; the writer cuts it to the snap length
};

struct Capture {
  LinkType link = LinkType::ethernet;
  std::uint32_t snaplen = 262144;
  bool nanosecond = false;  // nanosecond-resolution pcap (magic 0xa1b23c4d)
  std::optional<Tunnel> tunnel;  // Ethernet only: IP packets are sent through it while set
  std::vector<Frame> frames;
};

// Capture start of every generated file: 2024-01-01T00:00:00Z.
inline constexpr std::uint64_t kEpochNs = 1704067200ull * 1'000'000'000ull;

// Wraps an IP datagram in the capture's link layer and appends it.
void add_ip_packet(Capture& cap, std::uint64_t ts_ns, const LinkHop& hop,
                   std::span<const std::uint8_t> datagram);
// Wraps an IP datagram in cap.tunnel, then in Ethernet, and appends it (tunnel.cpp).
void add_tunnelled_packet(Capture& cap, std::uint64_t ts_ns, const LinkHop& hop,
                          std::span<const std::uint8_t> datagram);
// Appends a non-IP Ethernet frame (ARP, LLDP); only valid for Ethernet captures.
void add_ethernet_frame(Capture& cap, std::uint64_t ts_ns, const LinkHop& hop, std::uint16_t ethertype,
                        std::span<const std::uint8_t> payload);

void sort_by_time(Capture& cap);

// Writes the capture with libpcap (time-sorting it first). Throws std::runtime_error naming the
// file. The file appears under its name only once complete.
void write_pcap(Capture& cap, const std::filesystem::path& path);

// The libpcap DLT_* value for a link type (DLT_RAW and DLT_LOOP differ between platforms; libpcap
// maps them to the portable LINKTYPE_* value in the file header).
int dlt_of(LinkType link);

}  // namespace vigil::pcapgen
