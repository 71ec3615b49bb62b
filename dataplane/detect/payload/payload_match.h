// Payload inspection keywords of the detection engine: content and its modifiers, pcre, isdataat,
// dsize, bsize, urilen, byte_test, byte_jump, byte_extract, in the packet payload and in every
// application-layer buffer (sticky buffers, legacy modifiers, transforms); see
// docs/payload-keywords.md.
//
// compile_payload() runs at rule-load time: it reads a ParsedRule's ordered options and builds an
// immutable PayloadProgram (one PayloadMatchList per inspection buffer and transform chain). It
// allocates, never throws, and explains every rejection with a message naming the keyword and its
// value. payload_match() is the hot path: no heap, no exceptions, no locks. A program is
// read-only and may be shared by every worker (PCRE2 code is shared read-only); each worker owns
// its PayloadScratch, made once at worker setup with make_payload_scratch().
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/common/counter_set.h"
#include "dataplane/detect/payload/buffers.h"
#include "dataplane/detect/payload/pcre_match.h"
#include "dataplane/detect/payload/transforms.h"
#include "dataplane/detect/rules/rule.h"

namespace vigil::detect {

inline constexpr std::size_t kMaxByteVariables = 16;           // byte_extract names per rule
inline constexpr std::size_t kMaxMatchesPerList = 256;         // keywords per buffer
inline constexpr std::uint32_t kDefaultRecursionLimit = 3000;  // Suricata's default

// A number written in the rule or the name of an earlier byte_extract variable.
struct MatchValue {
  std::int64_t value = 0;
  std::int8_t var = -1;  // byte_extract slot, or -1 for the constant
};

struct ContentMatch {
  std::vector<std::uint8_t> pattern;  // case-folded to lower case when nocase
  bool negated = false;
  bool nocase = false;
  bool startswith = false;
  bool endswith = false;
  bool rawbytes = false;
  bool has_offset = false, has_depth = false, has_distance = false, has_within = false;
  MatchValue offset, depth, distance, within;
  // A later keyword depends on where this content matched in a way a later occurrence can change
  // (Suricata's DETECT_CONTENT_WITHIN_NEXT): when the rest fails, retry at the next occurrence;
  // otherwise the inspection gives up. See docs/payload-keywords.md.
  bool relative_next = false;
  // Recorded for the prefilter; no effect on evaluation.
  bool fast_pattern = false;
  bool fast_pattern_only = false;
  bool fast_pattern_chop = false;
  std::uint16_t fast_pattern_offset = 0, fast_pattern_length = 0;

  bool relative() const { return has_distance || has_within; }
};

enum class UintOp : std::uint8_t { eq, ne, lt, le, gt, ge, range, not_range };

// dsize / bsize: `N`, `!N`, `<N`, `<=N`, `>N`, `>=N`, `A<>B` / `A-B` (A < x < B), `!A<>B`.
struct UintCondition {
  UintOp op = UintOp::eq;
  std::uint64_t a = 0, b = 0;
  bool matches(std::uint64_t v) const;
};

struct IsdataatMatch {
  MatchValue position;
  bool relative = false;
  bool negated = false;
};

enum class NumberBase : std::uint8_t { binary, hex = 16, dec = 10, oct = 8 };

// What byte_test, byte_jump and byte_extract share: where and how a number is read.
struct ByteRead {
  std::uint8_t nbytes = 0;
  MatchValue offset;
  bool relative = false;
  bool little_endian = false;
  NumberBase base = NumberBase::binary;
  bool has_bitmask = false;
  std::uint32_t bitmask = 0;
};

enum class ByteTestOp : std::uint8_t { lt, gt, eq, le, ge, band, bxor };

struct ByteTestMatch {
  ByteRead read;
  ByteTestOp op = ByteTestOp::eq;
  bool negated = false;
  MatchValue value;
};

struct ByteJumpMatch {
  ByteRead read;
  std::uint32_t multiplier = 1;
  bool align = false;
  bool from_beginning = false;
  bool from_end = false;
  std::int32_t post_offset = 0;
};

struct ByteExtractMatch {
  ByteRead read;
  std::uint32_t multiplier = 1;
  std::uint8_t align = 0;  // 0, 2 or 4
  std::uint8_t slot = 0;
  std::string name;
};

enum class MatchKind : std::uint8_t {
  content,
  isdataat,
  bsize,
  byte_test,
  byte_jump,
  byte_extract,
  pcre,
  urilen,  // `urilen`: a UintCondition (in `bsize`) on the length of http.uri / http.uri.raw
};

// One keyword of a buffer's inspection list. Only the member of `kind` is meaningful.
struct PayloadMatch {
  MatchKind kind = MatchKind::content;
  BufferId buffer = kPayloadBufferId;
  ContentMatch content;
  IsdataatMatch isdataat;
  UintCondition bsize;  // bsize and urilen
  ByteTestMatch byte_test;
  ByteJumpMatch byte_jump;
  ByteExtractMatch byte_extract;
  PcreMatch pcre;
};

// The keywords of one inspection buffer: the base buffer, the transforms applied to it in order
// (none for most), and the keywords in rule order.
struct PayloadMatchList {
  BufferId buffer = kPayloadBufferId;
  std::vector<Transform> transforms;
  // The prefilter's name of this buffer (extract_contents() in fast_pattern.cpp): "payload",
  // "http.uri", "dns.query+dotprefix", "http.header+xor:\"0d0a\"".
  std::string prefilter_name = "payload";
  std::vector<PayloadMatch> matches;
};

struct PayloadProgram {
  std::optional<UintCondition> dsize;   // packet payload size, checked apart from the lists
  std::vector<PayloadMatchList> lists;  // one per buffer (and transform chain) the rule
                                        // inspects, in order of first use; none if no keyword
  std::size_t variables = 0;            // byte_extract slots used (shared by all lists)
  // The first list on `id` (a rule may have a second one on the same buffer with transforms).
  const PayloadMatchList* list_for(BufferId id) const;
  // The list with this prefilter buffer name, or nullptr.
  const PayloadMatchList* list_for(std::string_view prefilter_name) const;
};

struct PayloadCompileResult {
  std::optional<PayloadProgram> program;  // set, or else `error` is
  std::string error;                      // "keyword: why (value)"
};

// Builds the payload program of one rule. Keywords this module does not own (flow, msg,
// classtype, ...) are skipped; payload keywords it cannot honour (byte_math, base64_decode,
// pcrexform, lua, pcre captures to variables, ...) reject the rule, so the engine can skip and
// count it.
PayloadCompileResult compile_payload(const ParsedRule& rule);

#define VIGIL_PAYLOAD_COUNTERS(X)                               \
  X(inspections, "detect.payload.inspections")                  \
  X(recursion_limit, "detect.payload.recursion_limit_reached")  \
  X(pcre_errors, "detect.payload.pcre_errors")                  \
  X(transform_truncated, "detect.payload.transform_truncated")

enum class PayloadCounter : std::uint8_t { VIGIL_PAYLOAD_COUNTERS(VIGIL_COUNTER_ENUM) };
inline constexpr std::string_view kPayloadCounterNames[] = {
    VIGIL_PAYLOAD_COUNTERS(VIGIL_COUNTER_NAME)};
using PayloadCounters = CounterSet<PayloadCounter, std::size(kPayloadCounterNames)>;

// Per-worker evaluation state: byte_extract values (kept across the lists of one rule), the
// recursion budget, PCRE2 match data / JIT stack and the transform output buffers. Made once per
// worker (it allocates: about 130 KiB plus the JIT stack), movable, never shared.
struct PayloadScratch {
  std::array<std::uint64_t, kMaxByteVariables> vars{};
  std::uint32_t recursion_limit = kDefaultRecursionLimit;
  std::uint32_t steps = 0;
  bool discontinue = false;
  PayloadCounters counters;
  PcreScratch pcre;
  TransformScratch transforms;
};

// Worker setup: a scratch with its PCRE2 and transform memory allocated.
PayloadScratch make_payload_scratch();

// Before the first list of a rule: forgets the previous rule's byte_extract values.
void begin_rule(PayloadScratch& scratch) noexcept;

// Does `buffer` (the list's base buffer, untransformed) satisfy every keyword of `list`,
// Suricata's way? payload_match applies list.transforms itself into scratch.transforms first;
// byte_extract values set by earlier lists of the same rule are visible. Call it once per list,
// in program order, after begin_rule().
bool payload_match(const PayloadMatchList& list, std::span<const std::uint8_t> buffer,
                   PayloadScratch& scratch) noexcept;

// begin_rule, dsize, then the payload list, against one packet's payload. Other lists are not
// looked at (the engine gives each its buffer through payload_match).
bool payload_program_match(const PayloadProgram& program, std::span<const std::uint8_t> payload,
                           PayloadScratch& scratch) noexcept;

}  // namespace vigil::detect
