// ReplaySettings: everything a replay (and later the appliance) configures in the dataplane, and
// the Suricata command-line settings that test cases use, mapped onto it: `-k`, `--simulate-ips`
// and `--set KEY=VALUE` with Suricata's key names. Load time only; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/detect/engine/rule_set.h"
#include "dataplane/worker/worker.h"

namespace vigil {

// Settings of the app-layer parsers (issue 4 gives them their effect); kept so that a test case's
// values are validated and reported now.
struct AppLayerSettings {
  std::uint64_t http_request_body_limit = 100 * 1024;
  std::uint64_t http_response_body_limit = 100 * 1024;
  std::uint32_t http_decompress_layer_limit = 2;
  bool http_lzma = false;
  std::vector<std::string> detection_ports;  // "proto.dp=ports" as given
};

enum class ChecksumMode : std::uint8_t { none, all };

struct ReplaySettings {
  WorkerConfig worker{};
  detect::RuleSetConfig rules{};
  AppLayerSettings app_layer{};
  ChecksumMode checksums = ChecksumMode::none;
  bool stream_inline = false;
  bool async_oneside = false;
};

// Suricata's defaults where Vigil's product defaults differ: no midstream pickup.
ReplaySettings suricata_compatible_defaults();

struct SetOutcome {
  enum class Status : std::uint8_t { ok, warning, error } status = Status::ok;
  std::string message;  // for warning / error: one line naming the key
};

// Applies one `KEY=VALUE` (Suricata's names). A key Vigil does not know gives a warning; a known
// key with a value it cannot take gives an error.
SetOutcome apply_suricata_set(std::string_view assignment, ReplaySettings& s);

// `-k none|all`.
SetOutcome apply_checksum_mode(std::string_view mode, ReplaySettings& s);

// Reads rule files and an optional classification.config into a RuleSet. Errors that stop the
// load (an unreadable file) are returned in `fatal`; per-rule problems are in the result.
struct RuleLoad {
  detect::RuleSetBuildResult result;
  std::vector<std::string> fatal;     // one line each, naming the file
  std::vector<std::string> warnings;  // bad classification.config lines (skipped)
};
RuleLoad load_rule_files(const std::vector<std::string>& paths,
                         const std::string& classification_path,
                         detect::RuleSetConfig config);

}  // namespace vigil
