// Signature: one rule as the engine runs it, compiled from a ParsedRule at load time. Plain,
// immutable data owned by its RuleSet; workers only read it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/app/app_buffer.h"
#include "dataplane/app/app_proto.h"
#include "dataplane/detect/engine/flow_keywords.h"
#include "dataplane/detect/engine/header_keywords.h"
#include "dataplane/detect/engine/threshold.h"
#include "dataplane/detect/payload/payload_match.h"
#include "dataplane/detect/rules/rule.h"

namespace vigil::detect {

// The transport a rule's header names, as the engine groups rules.
enum class ProtoClass : std::uint8_t { tcp = 0, udp = 1, icmp = 2, other = 3 };
inline constexpr std::size_t kProtoClasses = 4;

inline ProtoClass proto_class(std::uint8_t ip_proto) {
  switch (ip_proto) {
    case 6: return ProtoClass::tcp;
    case 17: return ProtoClass::udp;
    case 1: case 58: return ProtoClass::icmp;
    default: return ProtoClass::other;
  }
}

// How a rule is reached at run time.
enum class SigKind : std::uint8_t {
  iponly,   // addresses and protocol only: checked on the first packet of each flow direction
  packet,   // everything else: checked on every packet its prefilter or port group selects
};

struct Signature {
  // Identity and output.
  std::uint32_t sid = 0, gid = 1, rev = 0;
  RuleAction action = RuleAction::alert;
  std::string msg;
  std::string classtype;  // short name, empty when none
  std::string category;   // the classtype's description (EVE alert.category)
  std::uint8_t priority = 3;
  std::vector<std::pair<std::string, std::string>> metadata;  // `metadata: key value, ...`
  std::string target;     // "src_ip" / "dest_ip" or empty
  std::string source;
  std::size_t line = 0;

  // Header.
  std::uint8_t proto_mask = 0;  // bit per ProtoClass the rule applies to
  bool proto_any = false;       // `ip`: every IP packet
  IpFamily family_only = IpFamily::none;  // `ipv4` / `ipv6`: one IP version only
  std::optional<std::uint8_t> exact_proto;  // `sctp`, `gre`, ... matched against ip_proto
  std::string app_proto;        // `http`, `dns`, ...: needs the flow's app-layer protocol
  app::AppProto app = app::AppProto::unknown;  // app_proto as Vigil names it (unknown: none, or a
                                               // protocol Vigil does not detect: never matches)
  AddressSet src, dst;
  PortSet sport, dport;
  bool bidirectional = false;
  bool src_any = false, dst_any = false, sport_any = false, dport_any = false;

  // Options.
  HeaderConditions header;
  FlowCondition flow;
  FlowVarKeywords vars;
  PayloadProgram payload;
  bool payload_anchored = false;  // a payload-list keyword fixes an absolute position
  bool has_payload = false;       // inspects the packet payload / stream (lists or dsize)
  bool stream_multi = false;      // stream-capable with more than one payload keyword: a match may
                                  // complete in bytes after those its pattern was found in
  bool stream_capable = false;    // a content on the payload, no dsize or no_stream: may match
                                  // the reassembled stream (Suricata's REQUIRE_STREAM)
  std::optional<ThresholdSpec> threshold;  // threshold or detection_filter
  std::optional<TagSpec> tag;
  bool noalert = false;
  SigKind kind = SigKind::packet;
  bool flow_scope = false;  // IP-only or protocol/port-only: pass / drop apply to the flow
  bool has_fast_pattern = false;
  // `app-layer-protocol:[!]name`: conditions on the flow's detected protocol.
  struct AppLayerProtocol {
    app::AppProto proto = app::AppProto::unknown;
    bool negated = false;
  };
  std::vector<AppLayerProtocol> app_layer_protocol;
  // Per payload list: the app-layer buffer it inspects (kListOnPayload: the packet payload), and
  // whether it fixes absolute positions (then a body window that starts further in is skipped).
  static constexpr std::uint8_t kListOnPayload = 0xff;
  std::vector<std::uint8_t> list_app;
  std::vector<std::uint8_t> list_anchored;
  bool tx_rule = false;  // a list on an app-layer buffer: matched per transaction, once each
};

}  // namespace vigil::detect
