// Compiles the payload keywords of every ET Open rule under the folder given as argv[1], prints
// how many compile and the rejection reasons by count, and runs every compiled list (with its
// transforms and pcre) over a few buffers. A rule may be rejected only for what the module says
// it does not support (base64_decode, pcre captures to variables, ...); any other rejection of a
// rule Suricata loads is a parser bug and fails the test, as does a compile rate under 96%.
// Exits 77 (CTest: skipped) when the folder is absent.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "dataplane/detect/payload/payload_match.h"
#include "dataplane/detect/prefilter/fast_pattern.h"
#include "dataplane/detect/rules/rule.h"

namespace fs = std::filesystem;
using namespace vigil::detect;

namespace {

bool unsupported(const std::string& error) {
  return error.find("not supported") != std::string::npos;
}

// "keyword: reason" without the values that make every message unique.
std::string reason_of(const std::string& error) {
  std::string r = error.substr(0, error.find('"'));
  while (!r.empty() && (r.back() == ' ' || r.back() == ':')) r.pop_back();
  return r;
}

using ContentKey = std::tuple<std::string, std::vector<std::uint8_t>, bool>;

// Each content's buffer as the prefilter names it and as the compiled lists have it.
bool same_buffers_as_prefilter(const ParsedRule& rule, const PayloadProgram& p) {
  RuleContents rc = extract_contents(rule);
  std::vector<ContentKey> theirs, ours;
  for (const RuleContent& c : rc.contents) {
    std::vector<std::uint8_t> b = c.bytes;
    if (c.nocase)
      for (auto& x : b) x = static_cast<std::uint8_t>(std::tolower(x));
    theirs.emplace_back(c.buffer, b, c.negated);
  }
  for (const PayloadMatchList& l : p.lists)
    for (const PayloadMatch& m : l.matches)
      if (m.kind == MatchKind::content)
        ours.emplace_back(l.prefilter_name, m.content.pattern, m.content.negated);
  std::sort(theirs.begin(), theirs.end());
  std::sort(ours.begin(), ours.end());
  return theirs == ours;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !fs::is_directory(argv[1])) {
    std::printf("ET Open rules folder not found: skipped\n");
    return 77;
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(argv[1]))
    if (e.is_regular_file() && e.path().extension() == ".rules") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::printf("no .rules files in %s: skipped\n", argv[1]);
    return 77;
  }
  std::size_t rules = 0, compiled = 0, skipped = 0, wrong = 0, matched = 0, lists = 0;
  std::size_t pcres = 0, jit = 0;
  std::size_t buffer_mismatch = 0;  // a content in another buffer than the prefilter puts it
  std::size_t with_pcre = 0, with_transforms = 0, app_layer = 0;
  std::map<std::string, std::size_t> rejected_by_reason;
  // Buffers to run every compiled list over: empty, text, binary, and a long run.
  std::vector<std::string> buffers = {"", "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
                                      std::string(64, '\0'), std::string(2000, 'A')};
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  buffers.push_back(all);
  PayloadScratch scratch = make_payload_scratch();
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    RuleParseResult r = parse_rules(ss.str(), path.filename().string(), RuleVars{});
    for (const auto& rule : r.rules) {
      ++rules;
      PayloadCompileResult c = compile_payload(rule);
      if (!c.program) {
        ++rejected_by_reason[reason_of(c.error)];
        if (unsupported(c.error)) {
          ++skipped;
        } else {
          if (wrong < 20)
            std::printf("rejected: %s:%zu sid %u: %s\n", rule.source.c_str(), rule.line, rule.sid,
                        c.error.c_str());
          ++wrong;
        }
        continue;
      }
      ++compiled;
      if (!same_buffers_as_prefilter(rule, *c.program)) {
        if (buffer_mismatch < 10)
          std::printf("buffers differ from the prefilter's: %s:%zu sid %u\n", rule.source.c_str(),
                      rule.line, rule.sid);
        ++buffer_mismatch;
      }
      bool pcre = false, transforms = false, app = false;
      for (const PayloadMatchList& l : c.program->lists) {
        ++lists;
        transforms |= !l.transforms.empty();
        app |= l.buffer != kPayloadBufferId;
        for (const PayloadMatch& m : l.matches) {
          if (m.kind != MatchKind::pcre) continue;
          pcre = true;
          ++pcres;
          jit += m.pcre.jit;
        }
      }
      with_pcre += pcre;
      with_transforms += transforms;
      app_layer += app;
      for (const auto& b : buffers) {
        auto span = std::span(reinterpret_cast<const std::uint8_t*>(b.data()), b.size());
        begin_rule(scratch);
        bool all_lists = !c.program->dsize || c.program->dsize->matches(span.size());
        for (const PayloadMatchList& l : c.program->lists)
          all_lists = all_lists && payload_match(l, span, scratch);
        matched += all_lists;
      }
    }
  }
  std::printf("%zu rules: %zu compiled (%.2f%%), %zu rejected as unsupported, %zu wrongly\n",
              rules, compiled, rules ? 100.0 * compiled / rules : 0.0, skipped, wrong);
  std::printf("compiled: %zu with app-layer lists, %zu with pcre, %zu with transforms; %zu lists\n",
              app_layer, with_pcre, with_transforms, lists);
  std::printf(
      "%zu rule matches over %zu buffers; recursion limit reached %llu times, pcre errors %llu, "
      "transform truncations %llu\n",
      matched, buffers.size(),
      static_cast<unsigned long long>(scratch.counters.get(PayloadCounter::recursion_limit)),
      static_cast<unsigned long long>(scratch.counters.get(PayloadCounter::pcre_errors)),
      static_cast<unsigned long long>(scratch.counters.get(PayloadCounter::transform_truncated)));
  std::printf("%zu pcre keywords, %zu JIT-compiled\n", pcres, jit);
  std::printf("%zu compiled rules put a content in another buffer than the prefilter does\n",
              buffer_mismatch);
  std::vector<std::pair<std::size_t, std::string>> top;
  for (const auto& [k, n] : rejected_by_reason) top.emplace_back(n, k);
  std::sort(top.rbegin(), top.rend());
  for (std::size_t i = 0; i < top.size() && i < 15; ++i)
    std::printf("  rejected %5zu  %s\n", top[i].first, top[i].second.c_str());
  if (rules == 0 || wrong != 0 || buffer_mismatch != 0 || compiled * 100 < rules * 96) {
    std::printf("FAILED\n");
    return 1;
  }
  return 0;
}
