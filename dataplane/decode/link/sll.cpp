// Linux "cooked" captures: SLL (16-byte header) and SLL2 (20-byte header). Both carry the
// protocol as an ethertype, except for device types whose protocol field means something else.
#include "dataplane/decode/layers.h"

namespace vigil::decode {

namespace {
constexpr std::size_t kSllHeaderLen = 16;
constexpr std::size_t kSll2HeaderLen = 20;

// ARPHRD_* device types whose payload is not an ethertype-tagged network packet.
constexpr bool protocol_is_ethertype(std::uint16_t arphrd) {
  switch (arphrd) {
    case 280:  // ARPHRD_CAN: CAN frames
    case 770:  // ARPHRD_FRAD: frame relay
    case 801:  // ARPHRD_IEEE80211: 802.11 frames
    case 803:  // ARPHRD_IEEE80211_RADIOTAP
    case 804:  // ARPHRD_IEEE802154
    case 824:  // ARPHRD_NETLINK: protocol is the netlink family
      return false;
    default:
      return true;
  }
}

DecodeStatus decode_cooked(std::uint16_t arphrd, std::uint16_t protocol, Bytes rest, Context& ctx) {
  if (!protocol_is_ethertype(arphrd)) return DecodeStatus::not_ip;
  // Protocols below 0x600 are Linux's ETH_P_802_3 / ETH_P_802_2 / ... pseudo-types: not IP.
  return decode_ethertype(protocol, rest, ctx);
}
}  // namespace

DecodeStatus decode_sll(Bytes frame, Context& ctx) {
  // packet type(2) ARPHRD type(2) address length(2) address(8) protocol(2)
  if (frame.size() < kSllHeaderLen) return malformed(ctx, DecodeEvent::sll_pkt_too_small);
  return decode_cooked(load_be16(frame.data() + 2), load_be16(frame.data() + 14),
                       frame.subspan(kSllHeaderLen), ctx);
}

DecodeStatus decode_sll2(Bytes frame, Context& ctx) {
  // protocol(2) reserved(2) interface index(4) ARPHRD type(2) packet type(1) address length(1)
  // address(8)
  if (frame.size() < kSll2HeaderLen) return malformed(ctx, DecodeEvent::sll2_pkt_too_small);
  return decode_cooked(load_be16(frame.data() + 8), load_be16(frame.data()),
                       frame.subspan(kSll2HeaderLen), ctx);
}

}  // namespace vigil::decode
