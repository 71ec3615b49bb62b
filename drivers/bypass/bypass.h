// Bypass relay driver: the relay that wires the two ports of an inline pair straight through, so
// the client's network keeps working while the appliance cannot inspect (fail-open).
//
// "Engaged" means the relay is closed: the pair's ports are connected by the relay and traffic
// passes uninspected. "Released" means the relay is open: traffic goes through the appliance.
//
// Backends (BypassConfig::backend):
//   none   no relay (make_bypass_relay returns nullptr); the health monitor falls back to software
//          bypass.
//   sim    no hardware: the state lives in memory and, when `path` is set, in a state file written
//          atomically (temp, fsync, rename) so tests and vigilctl can read it (read_sim_state()).
//   sysfs  an attribute file of a bypass NIC driver: writes "1" to engage, "0" to release, then
//          reads the file back to confirm. Bypass NIC drivers (Silicom bpctl-based and Intel
//          bypass adapters) expose one such attribute per pair, conventionally
//          /sys/class/bypass/<dev>/bypass; the path and the two values are configurable because
//          drivers differ.
//   gpio   a relay driven by a GPIO line: Linux GPIO character device (/dev/gpiochipN), line L,
//          through the GPIO v2 uAPI (v1 line handles where <linux/gpio.h> lacks v2). Line active =
//          relay engaged; `active_low` inverts the electrical level.
//
// Errors are one line naming the device and the errno text.
// Thread-safety: a relay is not thread-safe; one owner (the health monitor) calls it. Control
// plane only (syscalls, allocation).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace vigil::bypass {

enum class BypassState {
  unknown,    // not known yet, or the hardware answered something unexpected
  inspecting, // relay open: traffic goes through the appliance
  bypassed,   // relay closed: traffic passes uninspected
};
std::string_view state_name(BypassState state);  // "unknown", "inspecting", "bypassed"

class BypassRelay {
 public:
  virtual ~BypassRelay() = default;
  // Closes the relay (traffic passes uninspected). False and `err` set when it could not.
  virtual bool engage(std::string& err) = 0;
  // Opens the relay (traffic goes through the appliance again).
  virtual bool release(std::string& err) = 0;
  // The state as last confirmed by the device (sysfs: read now; gpio: read back now).
  virtual BypassState state() const = 0;
  // One line for logs and vigilctl, e.g. "sysfs /sys/class/bypass/eth0/bypass".
  virtual std::string describe() const = 0;
};

enum class BypassBackend { none, sim, sysfs, gpio };
std::string_view backend_name(BypassBackend backend);
// "none", "sim", "sysfs", "gpio" -> true and `out`; anything else -> false.
bool parse_backend(std::string_view text, BypassBackend& out);

struct BypassConfig {
  BypassBackend backend = BypassBackend::none;
  // sim: the state file ("" = in memory only). sysfs: the attribute file.
  std::string path;
  // gpio: "/dev/gpiochip0", "gpiochip0" or "0".
  std::string chip;
  std::uint32_t line = 0;
  bool active_low = false;  // gpio: the relay closes when the line is driven low
  // sysfs: the values written to engage and release (and expected when read back).
  std::string sysfs_engage_value = "1";
  std::string sysfs_release_value = "0";
  // gpio: the level requested with the line at start-up (false = relay open, inspecting).
  bool gpio_initially_engaged = false;
};

// Builds the relay of `config`. backend none: nullptr with `err` empty. On failure: nullptr and
// `err` set (a missing chip, an unreadable attribute file, a bad config).
std::unique_ptr<BypassRelay> make_bypass_relay(const BypassConfig& config, std::string& err);

// The backends on their own (make_bypass_relay calls them). The sysfs relay checks at start that
// the attribute file can be read (its value may still be unknown); the gpio relay requests the
// line as an output at start and holds it while it lives.
std::unique_ptr<BypassRelay> make_sysfs_relay(const BypassConfig& config, std::string& err);
std::unique_ptr<BypassRelay> make_gpio_relay(const BypassConfig& config, std::string& err);

// --- sim backend, public so tests and the sim board can drive it directly ---

class SimBypassRelay final : public BypassRelay {
 public:
  // `state_file` "" keeps the state in memory only. An existing state file is read (a restart
  // keeps the state); otherwise the file is created in state inspecting.
  static std::unique_ptr<SimBypassRelay> open(const std::string& state_file, std::string& err);

  bool engage(std::string& err) override;
  bool release(std::string& err) override;
  BypassState state() const override { return state_; }
  std::string describe() const override;

  // Fault injection for tests: while set, engage() and release() fail and change nothing.
  void set_fail(bool fail) { fail_ = fail; }
  std::uint64_t engage_count() const { return engages_; }
  std::uint64_t release_count() const { return releases_; }

 private:
  explicit SimBypassRelay(std::string state_file) : file_(std::move(state_file)) {}
  bool set(BypassState to, std::string& err);

  std::string file_;
  BypassState state_ = BypassState::inspecting;
  bool fail_ = false;
  std::uint64_t engages_ = 0, releases_ = 0;
};

// Reads a sim state file (for vigilctl and tests). Content: "bypassed\n" or "inspecting\n".
bool read_sim_state(const std::string& state_file, BypassState& out, std::string& err);

// Writes `content` to `path` atomically: `path`.tmp, fsync, rename, fsync of the directory.
bool write_file_atomic(const std::string& path, std::string_view content, std::string& err);

}  // namespace vigil::bypass
