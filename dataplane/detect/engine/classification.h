// Classification: the classtypes a rule names with `classtype:`, each with a description and a
// default priority, read from a Suricata classification.config or taken from the built-in table.
// Tables are plain data, built at configuration load and read-only afterwards; the functions are
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::detect {

struct ClassType {
  std::string name;  // lower-cased, as Suricata stores it
  std::string description;
  std::uint8_t priority = 3;
};

struct ClassificationTable {
  std::vector<ClassType> types;  // in file order
  // The classtype called `name`, compared without regard to case, or nullptr.
  const ClassType* find(std::string_view name) const;
};

struct ClassificationParseResult {
  ClassificationTable table;
  std::vector<std::string> errors;  // "source:line: why"
};

// Reads `config classification: shortname,short description,priority` lines; '#' comment lines
// and blank lines are skipped. A bad line is reported and skipped; a repeated name is reported
// and the first definition kept (Suricata keeps the first too).
ClassificationParseResult parse_classification_config(std::string_view text,
                                                      std::string_view source);

// The standard classtypes (those of the classification.config shipped with Suricata and ET Open),
// used when no classification.config is given.
const ClassificationTable& default_classification();

}  // namespace vigil::detect
