// The `pcre` keyword on PCRE2 (8-bit, JIT where the platform has it, the interpreter otherwise).
//
// compile_pcre() runs at rule-load time: it parses `[!]"/regex/flags"`, compiles and
// JIT-compiles the regex and keeps the code in a shared_ptr, so a compiled program stays copyable
// and immutable (PCRE2 code is read-only while matching and may be used by many threads).
// Per-worker state (match data, JIT stack, the two match contexts: Suricata's limits and none)
// lives in PcreScratch, created once at worker setup; pcre_find() allocates nothing for JIT code
// (PCRE2 10.42 keeps the interpreter's backtracking frames in the match data and reuses them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

struct pcre2_real_code_8;
struct pcre2_real_match_data_8;
struct pcre2_real_match_context_8;
struct pcre2_real_jit_stack_8;

namespace vigil::detect {

// Suricata's defaults for pcre.match-limit and pcre.match-limit-recursion.
inline constexpr std::uint32_t kPcreMatchLimit = 3500;
inline constexpr std::uint32_t kPcreDepthLimit = 1500;

struct PcreMatch {
  std::shared_ptr<const pcre2_real_code_8> code;
  std::string text;        // as written, for messages and tests
  bool negated = false;    // `!"..."`: the keyword holds when the regex does not match
  bool relative = false;   // R: search from the previous match end
  bool no_limits = false;  // O: no match / depth limit
  bool jit = false;        // JIT-compiled (else the interpreter runs it)
  bool retry_next = false;  // a later keyword is relative to this match: on failure, retry
                            // from the next start (Suricata's DETECT_PCRE_RELATIVE_NEXT)
};

// The parts of `[!]"/re/flags"` before compiling: the buffer a buffer flag names (canonical
// prefilter name, empty when none) and the compiled keyword.
struct PcreCompileResult {
  std::optional<PcreMatch> match;
  std::string buffer;  // "http.uri" for U, ... ; empty: the current buffer
  std::string error;   // "pcre: why (value)"
};

PcreCompileResult compile_pcre(std::string_view raw_value);

// Per-worker PCRE2 state; movable, not copyable, not shared.
class PcreScratch {
 public:
  PcreScratch();  // allocates match data, a JIT stack (32 KiB .. 1 MiB), two match contexts
  ~PcreScratch();
  PcreScratch(PcreScratch&& other) noexcept;
  PcreScratch& operator=(PcreScratch&& other) noexcept;
  PcreScratch(const PcreScratch&) = delete;
  PcreScratch& operator=(const PcreScratch&) = delete;

  bool ready() const { return match_data_ != nullptr && limited_ != nullptr; }
  std::uint64_t errors = 0;  // match errors other than "no match" (limits, JIT stack)

 private:
  friend struct PcreAccess;
  pcre2_real_match_data_8* match_data_ = nullptr;
  pcre2_real_jit_stack_8* jit_stack_ = nullptr;
  pcre2_real_match_context_8* limited_ = nullptr;
  pcre2_real_match_context_8* unlimited_ = nullptr;
};

struct PcreFound {
  std::size_t start = 0, end = 0;  // offsets in the subject given to pcre_find
};

enum class PcreStatus : std::uint8_t { match, no_match, error };

// The first match of `m`'s regex in `subject` at or after `start_offset`. `error`: a limit or
// the JIT stack was exhausted (counted in scratch.errors); Suricata counts that as no match even
// for a negated pcre. Negation is the caller's business.
PcreStatus pcre_find(const PcreMatch& m, std::span<const std::uint8_t> subject,
                     std::size_t start_offset, PcreScratch& scratch, PcreFound& found) noexcept;

}  // namespace vigil::detect
