// Buffer transforms (Suricata's `to_lowercase`, `dotprefix`, `xor`, `to_sha256`, ...): what a
// sticky buffer's keywords see after the transforms written after it, in order.
//
// parse_transform() runs at rule-load time (allocates, never throws). apply_transforms() is the
// hot path: no heap, no exceptions; it writes into the two fixed buffers of a per-worker
// TransformScratch (kTransformBufferSize bytes each, allocated once at worker setup). A result
// longer than that is truncated to it and counted in TransformScratch::truncations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dataplane/detect/rules/rule_options.h"

namespace vigil::detect {

enum class TransformKind : std::uint8_t {
  dotprefix,             // prepend '.' to a non-empty buffer
  to_lowercase,          // ASCII
  to_uppercase,          // ASCII
  strip_whitespace,      // drop every isspace() byte
  compress_whitespace,   // a run of whitespace becomes its first byte
  url_decode,            // %HH and '+' -> ' '; malformed escapes are kept
  xor_key,               // `xor:"hexkey"`: byte i ^= key[i % key length]
  header_lowercase,      // lower-case header names (up to ':' on each line)
  strip_pseudo_headers,  // drop lines starting with ':' (HTTP/2 pseudo headers)
  from_base64,           // `from_base64[:bytes N, offset N, mode rfc4648|rfc2045|strict]`
  to_md5,                // the binary digest of the buffer
  to_sha1,
  to_sha256,
};

enum class Base64Mode : std::uint8_t { rfc4648, rfc2045, strict };

struct Transform {
  TransformKind kind = TransformKind::to_lowercase;
  std::vector<std::uint8_t> key;  // xor
  std::uint16_t b64_offset = 0;   // from_base64: start of the decoded part
  std::uint16_t b64_bytes = 0;    // from_base64: bytes to decode, 0 = to the end
  Base64Mode b64_mode = Base64Mode::rfc4648;
};

inline constexpr std::size_t kTransformBufferSize = 64 * 1024;

// Per-worker output space for apply_transforms(): two buffers used in turn. Not shared.
class TransformScratch {
 public:
  TransformScratch();  // allocates 2 x kTransformBufferSize
  std::uint8_t* buffer(std::size_t i) { return i == 0 ? a_.get() : b_.get(); }
  std::uint64_t truncations = 0;  // results cut to kTransformBufferSize

 private:
  std::unique_ptr<std::uint8_t[]> a_, b_;
};

// `in` after every transform of `transforms`, in order; `in` itself when there is none. The
// result points into `in` or into `scratch` and is valid until the scratch is used again.
std::span<const std::uint8_t> apply_transforms(std::span<const Transform> transforms,
                                               std::span<const std::uint8_t> in,
                                               TransformScratch& scratch) noexcept;

struct TransformParse {
  std::optional<Transform> transform;  // set, or else `error` is ("keyword: why")
  std::string error;
};

// A transform keyword as written in a rule. `pcrexform` is refused.
TransformParse parse_transform(const RuleOption& option);

// Whether a content can ever match the output of `t` (Suricata refuses, e.g., a content with
// upper-case bytes after to_lowercase, or with whitespace after strip_whitespace).
bool transform_allows_content(const Transform& t, std::span<const std::uint8_t> content);

}  // namespace vigil::detect
