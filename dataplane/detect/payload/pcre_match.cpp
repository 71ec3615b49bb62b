// pcre: parse `[!]"/re/flags"`, compile with PCRE2 (+JIT), match with per-worker state.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "dataplane/detect/payload/pcre_match.h"

#include <pcre2.h>

#include <string_view>
#include <utility>

namespace vigil::detect {

struct PcreAccess {
  static pcre2_match_data* data(PcreScratch& s) { return s.match_data_; }
  static pcre2_match_context* context(PcreScratch& s, bool limited) {
    return limited ? s.limited_ : s.unlimited_;
  }
};

namespace {

constexpr std::uint32_t kOvectorPairs = 32;
constexpr std::size_t kJitStackStart = 32 * 1024;
constexpr std::size_t kJitStackMax = 1024 * 1024;

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The buffer a pcre flag selects, by the prefilter's canonical names; empty for other flags.
std::string_view flag_buffer(char f) {
  switch (f) {
    case 'U': return "http.uri";
    case 'I': return "http.uri.raw";
    case 'P': return "http.request_body";
    case 'Q': return "http.response_body";
    case 'H': return "http.header";
    case 'D': return "http.header.raw";
    case 'M': return "http.method";
    case 'C': return "http.cookie";
    case 'K': return "http.cookie";  // raw cookie: no buffer of its own
    case 'S': return "http.stat_code";
    case 'Y': return "http.stat_msg";
    case 'V': return "http.user_agent";
    case 'W': return "http.host";
    case 'Z': return "http.host.raw";
    default: return {};
  }
}

// Flags Suricata refuses together with B (rawbytes).
bool conflicts_with_rawbytes(char f) {
  return std::string_view("UVWZHIMC").find(f) != std::string_view::npos;
}

// An upper-case letter outside escapes (\X and \xHH), as Suricata checks for W.
bool has_upper_case(std::string_view re) {
  for (std::size_t i = 0; i < re.size(); ++i) {
    if (re[i] == '\\') {
      if (i + 1 < re.size() && re[i + 1] == 'x') i += 2;
      ++i;
      continue;
    }
    if (re[i] >= 'A' && re[i] <= 'Z') return true;
  }
  return false;
}

struct CodeDeleter {
  void operator()(const pcre2_code* c) const { pcre2_code_free(const_cast<pcre2_code*>(c)); }
};

}  // namespace

PcreCompileResult compile_pcre(std::string_view raw_value) {
  PcreCompileResult r;
  const auto fail = [&](const std::string& why) {
    r.error = "pcre: " + why;
    return r;
  };
  std::string_view v = trim(raw_value);
  const std::string shown(v);
  PcreMatch m;
  m.text = shown;
  if (!v.empty() && v.front() == '!') {
    m.negated = true;
    v = trim(v.substr(1));
  }
  if (v.size() < 2 || v.front() != '"') return fail("expects \"/regex/flags\", got " + shown);
  const std::size_t close = v.rfind('"');
  if (close == 0) return fail("no closing quote in " + shown);
  // Captures into packet / flow variables (`(?P<flow_name>...)` or a trailing `,flow:name`) do not
  // change whether the rule matches; Vigil matches them but does not keep the captured value
  // (nothing reads pkt/flow variables yet), so such rules load.
  if (const std::string_view tail = trim(v.substr(close + 1)); !tail.empty() && tail.front() != ',')
    return fail("unexpected text after the expression: " + shown);
  const std::string_view body = v.substr(1, close - 1);
  const std::size_t last = body.rfind('/');
  if (body.empty() || body.front() != '/' || last == 0)
    return fail("expects \"/regex/flags\", got " + shown);
  const std::string_view re = body.substr(1, last - 1);
  // Flags may be followed by ",flow:name, pkt:name, alert:name": the variables the numbered
  // captures go to (not kept, as above).
  std::string_view flags = body.substr(last + 1);
  if (const std::size_t comma = flags.find(','); comma != std::string_view::npos) {
    flags = flags.substr(0, comma);
  }

  std::uint32_t opts = PCRE2_NO_AUTO_CAPTURE;
  bool rawbytes = false, caseless = false, host = false;
  for (char f : flags) {
    switch (f) {
      case 'i': opts |= PCRE2_CASELESS; caseless = true; continue;
      case 's': opts |= PCRE2_DOTALL; continue;
      case 'm': opts |= PCRE2_MULTILINE; continue;
      case 'x': opts |= PCRE2_EXTENDED; continue;
      case 'A': opts |= PCRE2_ANCHORED; continue;
      case 'E': opts |= PCRE2_DOLLAR_ENDONLY; continue;
      case 'G': opts |= PCRE2_UNGREEDY; continue;
      case 'R': m.relative = true; continue;
      case 'O': m.no_limits = true; continue;
      case 'B':
        if (!r.buffer.empty())
          return fail("flag 'B' (rawbytes) cannot be used with a buffer flag in " + shown);
        rawbytes = true;
        continue;
      default: break;
    }
    const std::string_view buffer = flag_buffer(f);
    if (buffer.empty()) return fail("unknown flag '" + std::string(1, f) + "' in " + shown);
    if (rawbytes && conflicts_with_rawbytes(f))
      return fail("flag '" + std::string(1, f) + "' cannot be used with 'B' in " + shown);
    if (!r.buffer.empty())
      return fail("more than one buffer flag in " + shown + " (only one may name a buffer)");
    r.buffer = buffer;
    host = f == 'W';
  }
  if (host && !caseless && has_upper_case(re))
    return fail("the host buffer (W) is lower case, but the regex has upper-case letters: " +
                shown);
  int code_error = 0;
  PCRE2_SIZE offset = 0;
  const auto* pattern = reinterpret_cast<PCRE2_SPTR>(re.data());
  pcre2_code* code = pcre2_compile(pattern, re.size(), opts, &code_error, &offset, nullptr);
  if (code == nullptr && code_error == 115) {  // a back reference needs the groups captured
    opts &= ~static_cast<std::uint32_t>(PCRE2_NO_AUTO_CAPTURE);
    code = pcre2_compile(pattern, re.size(), opts, &code_error, &offset, nullptr);
  }
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(code_error, message, sizeof message);
    return fail("regex " + quoted(re) + " does not compile at offset " + std::to_string(offset) +
                ": " + reinterpret_cast<const char*>(message));
  }
  m.jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  m.code = std::shared_ptr<const pcre2_code>(code, CodeDeleter{});
  r.match = std::move(m);
  return r;
}

PcreScratch::PcreScratch() {
  match_data_ = pcre2_match_data_create(kOvectorPairs, nullptr);
  jit_stack_ = pcre2_jit_stack_create(kJitStackStart, kJitStackMax, nullptr);
  limited_ = pcre2_match_context_create(nullptr);
  unlimited_ = pcre2_match_context_create(nullptr);
  if (limited_ != nullptr) {
    pcre2_set_match_limit(limited_, kPcreMatchLimit);
    pcre2_set_depth_limit(limited_, kPcreDepthLimit);
  }
  if (jit_stack_ != nullptr) {
    if (limited_ != nullptr) pcre2_jit_stack_assign(limited_, nullptr, jit_stack_);
    if (unlimited_ != nullptr) pcre2_jit_stack_assign(unlimited_, nullptr, jit_stack_);
  }
}

PcreScratch::~PcreScratch() {
  pcre2_match_context_free(limited_);
  pcre2_match_context_free(unlimited_);
  pcre2_jit_stack_free(jit_stack_);
  pcre2_match_data_free(match_data_);
}

PcreScratch::PcreScratch(PcreScratch&& o) noexcept
    : errors(o.errors),
      match_data_(std::exchange(o.match_data_, nullptr)),
      jit_stack_(std::exchange(o.jit_stack_, nullptr)),
      limited_(std::exchange(o.limited_, nullptr)),
      unlimited_(std::exchange(o.unlimited_, nullptr)) {}

PcreScratch& PcreScratch::operator=(PcreScratch&& o) noexcept {
  if (this != &o) {
    std::swap(errors, o.errors);
    std::swap(match_data_, o.match_data_);
    std::swap(jit_stack_, o.jit_stack_);
    std::swap(limited_, o.limited_);
    std::swap(unlimited_, o.unlimited_);
  }
  return *this;
}

PcreStatus pcre_find(const PcreMatch& m, std::span<const std::uint8_t> subject,
                     std::size_t start_offset, PcreScratch& scratch, PcreFound& found) noexcept {
  static constexpr std::uint8_t kEmpty = 0;
  if (!scratch.ready() || m.code == nullptr) {
    ++scratch.errors;
    return PcreStatus::error;
  }
  if (start_offset > subject.size()) return PcreStatus::no_match;
  const std::uint8_t* data = subject.empty() ? &kEmpty : subject.data();
  pcre2_match_data* md = PcreAccess::data(scratch);
  const int rc = pcre2_match(m.code.get(), data, subject.size(), start_offset, 0, md,
                             PcreAccess::context(scratch, !m.no_limits));
  if (rc == PCRE2_ERROR_NOMATCH) return PcreStatus::no_match;
  if (rc < 0) {
    ++scratch.errors;
    return PcreStatus::error;
  }
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
  found.start = ov[0];
  found.end = ov[1];
  return PcreStatus::match;
}

}  // namespace vigil::detect
