// libFuzzer target for the decoder chain. Input: one selector byte, then the packet.
// Selector bits 0-3 pick the link type (the supported ones, plus one unsupported value), bit 7
// marks the capture as snapped (wire length beyond the bytes present). The decoded spans are
// read byte by byte so that AddressSanitizer sees any span that leaves the input, and the
// decoder's contract is checked: a violation traps, which libFuzzer reports as a crash.
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>

#include "dataplane/decode/decode.h"

namespace {
using vigil::DecodedPacket;
using vigil::DecodeStatus;
using vigil::LinkType;

constexpr LinkType kLinks[] = {
    LinkType::ethernet,   LinkType::raw,        LinkType::ipv4,
    LinkType::ipv6,       LinkType::linux_sll,  LinkType::linux_sll2,
    LinkType::null_loopback, LinkType::loop, LinkType::ppp,
    LinkType::ppp_serial, LinkType::ppp_ether, LinkType::c_hdlc,
    LinkType::ppp_with_dir, static_cast<LinkType>(147),
};

void require(bool ok) {
  if (!ok) __builtin_trap();
}

std::uint64_t events(const vigil::DecodeCounters& c) {
  std::uint64_t n = 0;
  for (auto v : c.values) n += v;
  return n;
}

// Reads every byte of `s` and checks that it lies inside `buf`.
std::uint32_t touch(std::span<const std::uint8_t> s, std::span<const std::uint8_t> buf) {
  if (s.empty()) return 0;
  const auto begin = reinterpret_cast<std::uintptr_t>(buf.data());
  const auto at = reinterpret_cast<std::uintptr_t>(s.data());
  require(at >= begin && at + s.size() <= begin + buf.size());
  std::uint32_t sum = 0;
  for (std::uint8_t b : s) sum += b;
  return sum;
}

void check(const DecodedPacket& p, DecodeStatus st, const vigil::DecodeCounters& c,
           std::span<const std::uint8_t> buf) {
  volatile std::uint32_t sink = touch(p.l3, buf) + touch(p.l4, buf) + touch(p.payload, buf);
  (void)sink;
  if (st == DecodeStatus::malformed) require(events(c) > 0);
  if (st == DecodeStatus::ok || st == DecodeStatus::fragment) {
    require(p.family != vigil::IpFamily::none);
    require(p.l3_header_len <= p.l3.size());
    sink = touch(p.l3.subspan(p.l3_header_len), buf);
  }
  if (st == DecodeStatus::fragment) {
    require(p.is_fragment && p.l4.empty() && p.payload.empty());
    if (p.family == vigil::IpFamily::v6) {
      require(p.frag_header_offset + 8u == p.l3_header_len);
      require(p.unfragmentable_len == p.frag_header_offset);
      require(p.frag_nh_offset < p.frag_header_offset);
      require(p.l3[p.frag_nh_offset] == vigil::ipproto::fragment);
    }
  }
  if (st == DecodeStatus::ok && !p.l4.empty()) {
    require(p.l4.data() == p.l3.data() + p.l3_header_len);
    const std::uint8_t* l4_end = p.l4.data() + p.l4.size();
    require(p.payload.empty() ||
            (p.payload.data() >= p.l4.data() && p.payload.data() + p.payload.size() <= l4_end));
  }
  if (!p.snapped && (st == DecodeStatus::ok || st == DecodeStatus::fragment)) {
    // A complete datagram: the IP length fields were honoured exactly.
    const std::size_t ip_len = p.family == vigil::IpFamily::v4
                                   ? (std::size_t{p.l3[2]} << 8 | p.l3[3])
                                   : 40 + (std::size_t{p.l3[4]} << 8 | p.l3[5]);
    require(ip_len == p.l3.size());
  }
  require(p.vlan_count <= p.vlan.size());
  require(p.tcp_opts.sack_count <= p.tcp_opts.sack.size());
  require(!p.tcp_opts.has_wscale || p.tcp_opts.wscale <= 14);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t selector = data[0];
  const std::span<const std::uint8_t> bytes(data + 1, size - 1);

  vigil::PacketView view;
  view.data = bytes.data();
  view.caplen = static_cast<std::uint32_t>(bytes.size());
  view.wire_len = view.caplen + ((selector & 0x80) ? 1500u : 0u);
  view.link_type = kLinks[(selector & 0x0f) % std::size(kLinks)];

  DecodedPacket out;
  vigil::DecodeCounters counters;
  const DecodeStatus st = vigil::decode_packet(view, out, counters);
  check(out, st, counters, bytes);
  if (!(selector & 0x80)) require(!out.snapped);

  // As the defragmenter would: a datagram handed over whole, keeping the link fields.
  DecodedPacket again = out;
  vigil::DecodeCounters counters2;
  const DecodeStatus st2 = vigil::decode_ip(bytes, again, counters2);
  check(again, st2, counters2, bytes);
  require(again.vlan_count == out.vlan_count && again.ethertype == out.ethertype);
  require(!again.snapped);
  return 0;
}
