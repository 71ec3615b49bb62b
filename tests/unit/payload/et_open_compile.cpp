// Compiles the payload keywords of every ET Open rule under the folder given as argv[1], and runs
// each compiled rule over a few buffers. A rule may be rejected only for what the module says it
// does not support yet (a buffer, pcre, ...); any other rejection of a rule Suricata loads is a
// parser bug and fails the test. Exits 77 (CTest: skipped) when the folder is absent.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "dataplane/detect/payload/payload_match.h"
#include "dataplane/detect/rules/rule.h"

namespace fs = std::filesystem;
using namespace vigil::detect;

namespace {

bool unsupported(const std::string& error) {
  return error.find("not supported") != std::string::npos;
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
  std::size_t rules = 0, compiled = 0, skipped = 0, wrong = 0, matched = 0;
  std::map<std::string, std::size_t> skipped_by_keyword;
  // Buffers to run every compiled rule over: empty, text, binary, and a long run.
  std::vector<std::string> buffers = {"", "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
                                      std::string(64, '\0'), std::string(2000, 'A')};
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  buffers.push_back(all);
  PayloadScratch scratch;
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    RuleParseResult r = parse_rules(ss.str(), path.filename().string(), RuleVars{});
    for (const auto& rule : r.rules) {
      ++rules;
      PayloadCompileResult c = compile_payload(rule);
      if (!c.program) {
        if (unsupported(c.error)) {
          ++skipped;
          ++skipped_by_keyword[c.error.substr(0, c.error.find(':'))];
        } else {
          if (wrong < 20)
            std::printf("rejected: %s:%zu sid %u: %s\n", rule.source.c_str(), rule.line, rule.sid,
                        c.error.c_str());
          ++wrong;
        }
        continue;
      }
      ++compiled;
      for (const auto& b : buffers) {
        auto span = std::span(reinterpret_cast<const std::uint8_t*>(b.data()), b.size());
        if (payload_program_match(*c.program, span, scratch)) ++matched;
      }
    }
  }
  std::printf("%zu rules: %zu compiled, %zu skipped as unsupported, %zu wrongly rejected\n", rules,
              compiled, skipped, wrong);
  std::printf(
      "%zu matches over %zu buffers; recursion limit reached %llu times\n", matched, buffers.size(),
      static_cast<unsigned long long>(scratch.counters.get(PayloadCounter::recursion_limit)));
  std::vector<std::pair<std::size_t, std::string>> top;
  for (const auto& [k, n] : skipped_by_keyword) top.emplace_back(n, k);
  std::sort(top.rbegin(), top.rend());
  for (std::size_t i = 0; i < top.size() && i < 15; ++i)
    std::printf("  skipped for %-24s %zu\n", top[i].second.c_str(), top[i].first);
  if (rules == 0 || wrong != 0) {
    std::printf("FAILED\n");
    return 1;
  }
  return 0;
}
