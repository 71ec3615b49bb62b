// `vigild rules check FILE ...`: loads rule files as the appliance would (like `suricata -T`) and
// reports what loaded and what was skipped, by reason.
#pragma once

#include <string>
#include <vector>

namespace vigil {

struct RulesCheckOptions {
  std::vector<std::string> files;
  std::string classification;      // empty: beside the first file, else built in
  std::vector<std::string> sets;   // --set vars.address-groups.X=... etc.
  bool quiet = false;              // no line per skipped rule
};

// 0: the files were read (skipped rules are reported, not fatal); 1: a file could not be read
// or the rule set could not be built; 2: bad options.
int run_rules_check(const RulesCheckOptions& options);

}  // namespace vigil
