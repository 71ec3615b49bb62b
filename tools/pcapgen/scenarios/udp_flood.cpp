// Minimum-size UDP frames over many flows: the flow-table and packet-rate benchmark input.
#include <pcap/pcap.h>

#include <memory>
#include <stdexcept>

#include "tools/pcapgen/pcapgen.h"

namespace vigil::pcapgen {

namespace {

constexpr std::uint32_t kHeaders = 14 + 20 + 8;

void check(const UdpFloodSpec& spec) {
  if (spec.frame_size < 60 || spec.frame_size > 1514)
    throw std::invalid_argument("frame size must be 60..1514 bytes (as captured, without FCS)");
  if (spec.flows == 0) throw std::invalid_argument("at least one flow is needed");
}

// Inter-frame time at 10 Gb/s line rate: frame + FCS (4) + preamble (8) + gap (12), 0.1 ns/bit.
std::uint64_t frame_spacing_ps(std::uint32_t frame_size) {
  return static_cast<std::uint64_t>(frame_size + 24) * 8 * 100;
}

// Frame `index` of the flood: flow index % flows. Flow f comes from 10.0.0.0/8 + f + 1 (so a
// million flows never wrap) with an ephemeral source port 49152 + f % 16384, to 198.18.0.1:7
// (echo). Dissectors pick the lower port: echo shows any payload as data, while UDP port 9 has no
// dissector and the source port would then be tried (a few ephemeral ports are registered).
void build_frame(const UdpFloodSpec& spec, std::uint64_t index, std::uint8_t* out) {
  const std::uint32_t flow = static_cast<std::uint32_t>(index % spec.flows);
  const IpAddr src = ipv4(0x0a000000u + flow + 1);
  const IpAddr dst = ipv4("198.18.0.1");
  const std::uint16_t sport = static_cast<std::uint16_t>(49152 + flow % 16384);
  constexpr std::uint16_t kEchoPort = 7;
  Bytes payload(spec.frame_size - kHeaders);
  // Payload: the packet's sequence number, then zeros; receivers can spot loss or reordering.
  for (int i = 0; i < 8 && i < static_cast<int>(payload.size()); ++i)
    payload[i] = static_cast<std::uint8_t>(index >> (56 - 8 * i));
  IpFields ip;
  ip.src = src;
  ip.dst = dst;
  ip.proto = proto::udp;
  ip.ttl = 64;
  ip.id = static_cast<std::uint16_t>(index);
  const Bytes datagram = ip_datagram(ip, udp_datagram(src, dst, sport, kEchoPort, payload));
  static constexpr std::uint8_t kHeader[14] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
                                               0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00};
  std::copy(std::begin(kHeader), std::end(kHeader), out);
  std::copy(datagram.begin(), datagram.end(), out + 14);
}

}  // namespace

PacketBatch make_udp_flood(const UdpFloodSpec& spec) {
  check(spec);
  PacketBatch b;
  b.frame_size = spec.frame_size;
  b.bytes.resize(spec.packets * spec.frame_size);
  b.ts_ns.resize(spec.packets);
  const std::uint64_t spacing = frame_spacing_ps(spec.frame_size);
  for (std::uint64_t i = 0; i < spec.packets; ++i) {
    build_frame(spec, i, b.bytes.data() + i * spec.frame_size);
    b.ts_ns[i] = kEpochNs + i * spacing / 1000;
  }
  return b;
}

void write_udp_flood(const std::filesystem::path& path, const UdpFloodSpec& spec) {
  check(spec);
  std::unique_ptr<pcap_t, decltype(&pcap_close)> dead(
      pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO), &pcap_close);
  const std::filesystem::path partial = path.string() + ".partial";
  pcap_dumper_t* dumper = pcap_dump_open(dead.get(), partial.c_str());
  if (!dumper) throw std::runtime_error(partial.string() + ": " + pcap_geterr(dead.get()));
  std::vector<std::uint8_t> frame(spec.frame_size);
  const std::uint64_t spacing = frame_spacing_ps(spec.frame_size);
  for (std::uint64_t i = 0; i < spec.packets; ++i) {
    build_frame(spec, i, frame.data());
    const std::uint64_t ts = kEpochNs + i * spacing / 1000;
    pcap_pkthdr hdr{};
    hdr.ts.tv_sec = static_cast<time_t>(ts / 1'000'000'000ull);
    hdr.ts.tv_usec = static_cast<suseconds_t>(ts % 1'000'000'000ull);  // nanoseconds in a nano file
    hdr.caplen = hdr.len = spec.frame_size;
    pcap_dump(reinterpret_cast<u_char*>(dumper), &hdr, frame.data());
  }
  const bool flushed = pcap_dump_flush(dumper) == 0;
  pcap_dump_close(dumper);
  if (!flushed) throw std::runtime_error(partial.string() + ": write failed");
  std::filesystem::rename(partial, path);
}

}  // namespace vigil::pcapgen
