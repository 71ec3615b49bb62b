// Parses every *.rules file of the ET Open ruleset under the folder given as argv[1] and fails
// unless at least 99% of the active rules parse. Prints the figure and the top error reasons.
// Exits 77 (CTest: skipped) when the folder is absent, e.g. without ../shared beside the clone.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "dataplane/detect/rules/rule.h"

namespace fs = std::filesystem;
using namespace vigil::detect;

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

  RuleVars vars;
  std::size_t parsed = 0, failed = 0, contents = 0, bad_contents = 0;
  std::vector<RuleError> errors;
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    RuleParseResult r = parse_rules(ss.str(), path.filename().string(), vars);
    parsed += r.rules.size();
    failed += r.errors.size();
    for (auto& e : r.errors) errors.push_back(std::move(e));
    // Content decoding is the engine's, but every ET content string should decode.
    for (const auto& rule : r.rules)
      for (const auto& o : rule.options)
        if (o.keyword == "content") {
          ++contents;
          auto c = decode_content(o.raw);
          if (c.problem) {
            if (bad_contents < 5)
              std::printf("content: %s:%zu sid %u: %s\n", rule.source.c_str(), rule.line, rule.sid,
                          c.problem->message.c_str());
            ++bad_contents;
          }
        }
  }
  const std::size_t total = parsed + failed;
  const double share =
      total ? 100.0 * static_cast<double>(parsed) / static_cast<double>(total) : 0.0;
  std::printf("%zu files, %zu active rules, %zu parsed (%.3f%%), %zu rejected\n", files.size(),
              total, parsed, share, failed);
  std::printf("content strings: %zu, %zu failed to decode\n", contents, bad_contents);
  RuleErrorCounters counts = count_errors(errors);
  for (std::size_t i = 0; i < kRuleErrorReasonCount; ++i)
    if (counts.values[i])
      std::printf("  %-22s %llu\n", std::string(kRuleErrorReasonNames[i]).c_str(),
                  static_cast<unsigned long long>(counts.values[i]));
  for (std::size_t i = 0; i < errors.size() && i < 10; ++i)
    std::printf("  e.g. %s\n", format_rule_error(errors[i]).c_str());
  if (total == 0 || parsed * 100 < total * 99) {
    std::printf("FAILED: fewer than 99%% of the active rules parse\n");
    return 1;
  }
  return 0;
}
