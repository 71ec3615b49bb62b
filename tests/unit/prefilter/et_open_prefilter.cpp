// Builds the prefilter from every *.rules file of the ET Open ruleset under the folder given as
// argv[1] and prints the rules with a fast pattern per buffer, the build time and the database
// memory. Fails when the build fails or when fewer than 90% of the parsed rules get a fast
// pattern. Exits 77 (CTest: skipped) when the folder is absent.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "dataplane/detect/prefilter/prefilter.h"

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

  const auto parse_start = std::chrono::steady_clock::now();
  RuleVars vars;
  std::vector<ParsedRule> rules;
  std::size_t parse_errors = 0;
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    RuleParseResult r = parse_rules(ss.str(), path.filename().string(), vars);
    parse_errors += r.errors.size();
    for (auto& rule : r.rules) rules.push_back(std::move(rule));
  }
  const auto parse_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - parse_start)
          .count();
  std::printf("%zu files, %zu rules parsed (%zu rejected by the parser) in %.0f ms\n", files.size(),
              rules.size(), parse_errors, parse_ms);

  PrefilterBuildResult built = Prefilter::build(rules);
  for (std::size_t i = 0; i < built.errors.size() && i < 10; ++i)
    std::printf("  error: sid %u: %s\n", built.errors[i].sid, built.errors[i].message.c_str());
  if (!built.prefilter) {
    std::printf("FAILED: %s\n", built.failure.value_or("no prefilter").c_str());
    return 1;
  }
  const Prefilter& pf = *built.prefilter;
  const PrefilterStats& s = pf.stats();

  std::vector<PrefilterBufferInfo> buffers;
  for (PrefilterBufferId id = 0; id < pf.buffer_count(); ++id)
    buffers.push_back(pf.buffer_info(id));
  std::sort(buffers.begin(), buffers.end(), [](const auto& a, const auto& b) {
    return a.pattern_rules + a.no_pattern_rules > b.pattern_rules + b.no_pattern_rules;
  });
  std::printf("%-32s %8s %8s %10s %12s\n", "buffer", "fp_rules", "patterns", "no_pattern",
              "db_bytes");
  for (const auto& b : buffers)
    std::printf("%-32s %8zu %8zu %10zu %12zu\n", std::string(b.name).c_str(), b.pattern_rules,
                b.patterns, b.no_pattern_rules, b.database_bytes);
  std::printf("rules %zu: with fast pattern %zu, without %zu, rejected %zu; %zu errors\n", s.rules,
              s.pattern_rules, s.no_pattern_rules, s.rejected_rules, built.errors.size());
  std::printf("patterns %zu in %zu buffers; build %.1f ms; databases %.2f MiB; scratch %zu bytes\n",
              s.patterns, pf.buffer_count(), static_cast<double>(s.build_time.count()) / 1e6,
              static_cast<double>(s.database_bytes) / (1024.0 * 1024.0), s.scratch_bytes);

  if (s.rules == 0 || s.pattern_rules * 10 < s.rules * 9) {
    std::printf("FAILED: fewer than 90%% of the rules have a fast pattern\n");
    return 1;
  }
  return 0;
}
