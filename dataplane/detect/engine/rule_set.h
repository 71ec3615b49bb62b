// RuleSet: a whole compiled rule set — signatures in evaluation order, the prefilter, the port
// and IP-only groups and the flow-variable layout. Built off the packet path by RuleSet::build()
// from rule file texts; immutable afterwards and shared by every worker through
// shared_ptr<const RuleSet>, so a new set can later replace the old one atomically.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/detect/engine/address_index.h"
#include "dataplane/detect/engine/classification.h"
#include "dataplane/detect/engine/signature.h"
#include "dataplane/detect/prefilter/prefilter.h"

namespace vigil::detect {

struct RuleFile {
  std::string source;  // named in every message (a file name)
  std::string text;
};

struct RuleSetConfig {
  RuleVars vars;
  std::optional<ClassificationTable> classification;  // the built-in table when unset
  // Suricata's action-order: which actions' rules are evaluated first. Its default.
  std::vector<RuleAction> action_order{RuleAction::pass, RuleAction::drop, RuleAction::reject,
                                       RuleAction::alert};
};

// Why a rule was not loaded: the syntax layer's reasons ("syntax.bad_header", ...) and the
// engine's own.
#define VIGIL_RULE_LOAD_REASONS(X)                                                         \
  X(unsupported_keyword, "unsupported_keyword") /* a keyword Vigil does not implement */   \
  X(unsupported_protocol, "unsupported_protocol")                                          \
  X(bad_value, "bad_value")                 /* a keyword's value is invalid */            \
  X(payload, "payload")                     /* content/pcre/byte_* could not be compiled */ \
  X(unknown_classtype, "unknown_classtype")                                                \
  X(duplicate_sid, "duplicate_sid")         /* same gid:sid loaded already (higher rev kept) */ \
  X(prefilter, "prefilter")                 /* the fast pattern could not be used */

struct RuleLoadError {
  std::string source;
  std::size_t line = 0;
  std::uint32_t sid = 0;
  std::string reason;   // "syntax.<reason>" or one of VIGIL_RULE_LOAD_REASONS
  std::string message;  // one line: what and why, naming the keyword and value
};

// "source:line: sid N: reason: message".
std::string format_rule_load_error(const RuleLoadError& e);

struct RuleSetStats {
  std::size_t rules = 0;    // rules read (active, i.e. not commented out)
  std::size_t loaded = 0;
  std::size_t skipped = 0;
  std::map<std::string, std::size_t> skipped_by_reason;
  std::size_t iponly = 0, pattern = 0, no_pattern = 0;  // how loaded rules are reached
  std::size_t transaction = 0;  // rules on app-layer buffers, matched per transaction
  std::size_t fast_patterns_replaced = 0;  // one-byte-value patterns swapped or dropped
  std::size_t payload_databases = 0;       // transport and port-group payload databases
  std::chrono::nanoseconds parse_time{0}, compile_time{0}, prefilter_time{0}, total_time{0};
  PrefilterStats prefilter;
};

struct RuleSetBuildResult;

class RuleSet {
 public:
  static RuleSetBuildResult build(std::span<const RuleFile> files, const RuleSetConfig& config);

  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  // In evaluation order: index i is the i-th rule evaluated (action order, then priority).
  std::span<const Signature> signatures() const { return sigs_; }
  const Signature& signature(std::uint32_t i) const { return sigs_[i]; }
  const RuleSetStats& stats() const { return stats_; }
  const FlowVarLayout& flow_vars() const { return layout_; }
  const Prefilter* prefilter() const { return prefilter_.get(); }
  // The payload / stream prefilter databases a packet of transport `c` is scanned with: the
  // transport's any-port database (which also holds the rules of several transports) and the port
  // groups of its two ports (rules with at most 64 ports, grouped by identical port sets, as
  // Suricata's port-grouped rule heads). Writes at most kMaxPayloadScans ids; returns the count.
  static constexpr std::size_t kMaxPayloadScans = 1 + 2 * 16;
  std::size_t payload_scans(ProtoClass c, std::uint16_t sport, std::uint16_t dport,
                            std::span<PrefilterBufferId, kMaxPayloadScans> out) const;
  // Rules reached without a pattern, by transport.
  std::span<const std::uint32_t> iponly_rules(ProtoClass c) const {
    return groups_[static_cast<std::size_t>(c)].iponly;
  }
  std::span<const std::uint32_t> any_port_rules(ProtoClass c) const {
    return groups_[static_cast<std::size_t>(c)].any_port;
  }
  std::span<const std::uint32_t> port_rules(ProtoClass c, std::uint16_t port) const;
  // IP-only rules of every transport, by address: those with both addresses `any`, and those
  // whose (more selective) address side holds a packet's source / destination. A superset of
  // the rules that can match: the header is still checked.
  std::span<const std::uint32_t> iponly_any_address() const { return iponly_any_address_; }
  const AddressIndex& iponly_by_src() const { return iponly_by_src_; }
  const AddressIndex& iponly_by_dst() const { return iponly_by_dst_; }
  // The rule of a prefilter candidate: candidates below signatures().size() are rules; a rule in
  // several transport databases has further entries past them.
  std::uint32_t entry_rule(std::uint32_t entry) const {
    return entry < sigs_.size() ? entry : entry_rule_[entry - sigs_.size()];
  }
  // SHA-256 over every loaded rule (ids, action, protocol, addresses, ports and options as
  // written), in evaluation order: the ruleset hash the heartbeat reports.
  const std::string& fingerprint() const { return fingerprint_; }

  // The app-layer buffers some rule's prefilter entry is on ("http.uri", "http.uri+to_lowercase"):
  // what a transaction's inspection scans, with the transforms to apply first.
  struct AppScan {
    PrefilterBufferId id = 0;
    app::AppBuffer buffer = app::AppBuffer::count_;
    std::vector<Transform> transforms;
    // A database several buffers share (the header buffers of one protocol and side): scanned
    // once over all of them; empty for a database of `buffer` alone.
    std::vector<app::AppBuffer> members;
  };
  std::span<const AppScan> app_scans() const { return app_scans_; }

 private:
  RuleSet() = default;
  struct Group {
    std::vector<std::uint32_t> iponly;
    std::vector<std::uint32_t> any_port;
    std::vector<std::uint32_t> port_offsets;  // 65537 entries (CSR), empty when no port rules
    std::vector<std::uint32_t> port_list;
  };
  std::vector<Signature> sigs_;
  std::array<Group, kProtoClasses> groups_{};
  std::vector<std::uint32_t> iponly_any_address_;
  AddressIndex iponly_by_src_, iponly_by_dst_;
  FlowVarLayout layout_;
  std::shared_ptr<const Prefilter> prefilter_;
  struct PayloadDbs {
    std::optional<PrefilterBufferId> any_port;
    std::vector<std::uint32_t> port_offsets;  // 65537 (CSR) or empty: port -> groups
    std::vector<PrefilterBufferId> port_groups;
  };
  std::array<PayloadDbs, kProtoClasses> payload_dbs_{};
  std::vector<std::uint32_t> entry_rule_;  // prefilter entries past the rules: their rule
  std::vector<AppScan> app_scans_;
  RuleSetStats stats_;
  std::string fingerprint_;
};

struct RuleSetBuildResult {
  std::shared_ptr<const RuleSet> rules;  // null only when the set could not be built at all
  std::vector<RuleLoadError> errors;     // one per skipped rule, in file order
  std::optional<std::string> failure;    // why `rules` is null
};

// Compiles one parsed rule (exposed for tests). `layout` receives its flow variable names.
struct SignatureCompileResult {
  std::optional<Signature> sig;
  std::string reason;  // when sig is empty
  std::string message;
};
SignatureCompileResult compile_signature(const ParsedRule& rule,
                                         const ClassificationTable& classes,
                                         FlowVarLayout& layout);

}  // namespace vigil::detect
