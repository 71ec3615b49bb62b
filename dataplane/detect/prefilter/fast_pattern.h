// Fast pattern selection: which content of a rule goes into the multi-pattern prefilter, and in
// which inspection buffer. Load time only (allocates freely, never throws); pure functions, so
// thread-safe. The rules follow Suricata's (docs/prefilter.md): an explicit `fast_pattern` wins;
// otherwise the contents of the highest-priority buffer, then the longest, then the strongest
// (byte diversity), then the first in rule order. Negated contents are never fast patterns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/detect/rules/rule.h"

namespace vigil::detect {

// The buffer name of contents that no sticky buffer or legacy modifier moved elsewhere.
inline constexpr std::string_view kPayloadBuffer = "payload";

// One `content` of a rule with the modifiers that matter to the prefilter.
struct RuleContent {
  std::string buffer;  // canonical name ("payload", "http.uri", ...); a sticky buffer followed
                       // by transforms is its own buffer: "http.uri+to_lowercase"
  std::vector<std::uint8_t> bytes;
  bool negated = false;
  bool nocase = false;
  bool fast_pattern = false;       // `fast_pattern` given (alone, `:only` or `:offset,length`)
  bool fast_pattern_only = false;  // `fast_pattern:only`
  std::optional<std::uint16_t> chop_offset, chop_length;  // `fast_pattern:offset,length`
  std::size_t option_index = 0;                           // position in ParsedRule::options
};

struct RuleContents {
  std::vector<RuleContent> contents;  // in rule order
  std::string last_buffer;  // buffer in force at the end of the rule (payload when none named)
  std::optional<std::string> problem;  // a content that does not decode, a bad fast_pattern value
};

// Walks a rule's options in order: sticky buffers (`http.uri;`, `file_data;`, `pkt_data;` back to
// the payload), transforms after a sticky buffer, contents and their modifiers (`nocase`,
// `fast_pattern`, legacy buffer modifiers such as `http_uri`, which move the content before them).
RuleContents extract_contents(const ParsedRule& rule);

// The canonical buffer name of a sticky buffer keyword (`http_uri`-style legacy modifiers are not
// sticky buffers: see legacy_modifier_buffer()), or nullopt.
std::optional<std::string_view> sticky_buffer_name(std::string_view keyword);
// The buffer a legacy content modifier (`http_uri`, `http_client_body`, ...) moves a content to.
std::optional<std::string_view> legacy_modifier_buffer(std::string_view keyword);
// Whether `keyword` is a transform (`to_lowercase`, `dotprefix`, `xor`, ...).
bool is_transform(std::string_view keyword);

// Suricata's "pattern strength": a new byte value scores 3 when alphabetic, 4 when printable or
// 0x00/0x01/0xff, 6 otherwise; a repeated value scores 1.
std::uint32_t pattern_strength(std::span<const std::uint8_t> bytes);

// Buffer priority for automatic selection, lower first: application-layer buffers, then the
// payload, then http.method.
int buffer_priority(std::string_view buffer);

struct FastPattern {
  std::string buffer;
  std::vector<std::uint8_t> bytes;  // chopped when `fast_pattern:offset,length` was given
  bool nocase = false;
  bool only = false;       // `fast_pattern:only`: a prefilter hit needs no second content check
  bool explicit_ = false;  // chosen by the rule's `fast_pattern`, not by the automatic rules
  std::size_t content_index = 0;  // into RuleContents::contents
};

struct FastPatternSelection {
  std::optional<FastPattern> pattern;  // none: the rule has no positive content
  std::string buffer;  // pattern's buffer, or where a rule without pattern is inspected: its first
                       // content's buffer, else the last sticky buffer, else the payload
  std::optional<std::string> problem;  // the rule cannot be loaded (bad content, bad chop)
};

FastPatternSelection select_fast_pattern(const RuleContents& contents);
FastPatternSelection select_fast_pattern(const ParsedRule& rule);

}  // namespace vigil::detect
