// gpio backend: a relay driven by one line of a GPIO character device. The line is requested as an
// output once, at start, and held (its file descriptor) for the life of the relay: the kernel
// keeps the requested level while the descriptor is open and no other process can take the line.
// Values are logical: with active_low the kernel inverts them, so "1" always means engaged.
#include <fcntl.h>
#include <linux/gpio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "drivers/bypass/bypass.h"

namespace vigil::bypass {
namespace {

std::string chip_path(const std::string& chip) {
  if (!chip.empty() && chip.front() == '/') return chip;
  if (!chip.empty() && chip.find_first_not_of("0123456789") == std::string::npos)
    return "/dev/gpiochip" + chip;
  return "/dev/" + chip;
}

int ioctl_retry(int fd, unsigned long req, void* arg) {
  int rc;
  int spins = 0;
  do {
    rc = ::ioctl(fd, req, arg);
  } while (rc < 0 && errno == EINTR && ++spins < 100);
  return rc;
}

class GpioRelay final : public BypassRelay {
 public:
  GpioRelay(std::string chip, std::uint32_t line, bool active_low, int line_fd)
      : chip_(std::move(chip)), line_(line), active_low_(active_low), fd_(line_fd) {}
  ~GpioRelay() override {
    if (fd_ >= 0) ::close(fd_);
  }
  GpioRelay(const GpioRelay&) = delete;
  GpioRelay& operator=(const GpioRelay&) = delete;

  bool engage(std::string& err) override { return set(true, err); }
  bool release(std::string& err) override { return set(false, err); }

  BypassState state() const override {
    int v = get();
    if (v < 0) return BypassState::unknown;
    return v ? BypassState::bypassed : BypassState::inspecting;
  }

  std::string describe() const override {
    return "gpio " + chip_ + " line " + std::to_string(line_) +
           (active_low_ ? " active-low" : " active-high");
  }

 private:
  std::string where() const { return "bypass gpio " + chip_ + " line " + std::to_string(line_); }

#ifdef GPIO_V2_GET_LINE_IOCTL
  bool set(bool active, std::string& err) {
    gpio_v2_line_values v{};
    v.mask = 1;  // bit 0: the only line of the request
    v.bits = active ? 1 : 0;
    if (ioctl_retry(fd_, GPIO_V2_LINE_SET_VALUES_IOCTL, &v) < 0) {
      err = where() + ": set value: " + std::strerror(errno);
      return false;
    }
    return confirm(active, err);
  }
  int get() const {
    gpio_v2_line_values v{};
    v.mask = 1;
    if (ioctl_retry(fd_, GPIO_V2_LINE_GET_VALUES_IOCTL, &v) < 0) return -1;
    return (v.bits & 1) ? 1 : 0;
  }
#else
  bool set(bool active, std::string& err) {
    gpiohandle_data d{};
    d.values[0] = active ? 1 : 0;
    if (ioctl_retry(fd_, GPIOHANDLE_SET_LINE_VALUES_IOCTL, &d) < 0) {
      err = where() + ": set value: " + std::strerror(errno);
      return false;
    }
    return confirm(active, err);
  }
  int get() const {
    gpiohandle_data d{};
    if (ioctl_retry(fd_, GPIOHANDLE_GET_LINE_VALUES_IOCTL, &d) < 0) return -1;
    return d.values[0] ? 1 : 0;
  }
#endif

  bool confirm(bool active, std::string& err) const {
    int v = get();
    if (v < 0) {
      err = where() + ": read back: " + std::strerror(errno);
      return false;
    }
    if ((v != 0) != active) {
      err = where() + ": set to " + (active ? "1" : "0") + " but reads back " + std::to_string(v);
      return false;
    }
    return true;
  }

  std::string chip_;
  std::uint32_t line_;
  bool active_low_;
  int fd_;
};

constexpr char kConsumer[] = "vigil-bypass";

}  // namespace

std::unique_ptr<BypassRelay> make_gpio_relay(const BypassConfig& config, std::string& err) {
  if (config.chip.empty()) {
    err = "bypass gpio: no chip configured";
    return nullptr;
  }
  const std::string path = chip_path(config.chip);
  const std::string where = "bypass gpio " + path + " line " + std::to_string(config.line);
  int chip_fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (chip_fd < 0) {
    err = where + ": open: " + std::strerror(errno);
    return nullptr;
  }
  // Check the line number against the chip first: a clearer error than the request's EINVAL.
  gpiochip_info info{};
  if (ioctl_retry(chip_fd, GPIO_GET_CHIPINFO_IOCTL, &info) < 0) {
    err = where + ": chip info: " + std::strerror(errno);
    ::close(chip_fd);
    return nullptr;
  }
  if (config.line >= info.lines) {
    err = where + ": the chip has " + std::to_string(info.lines) + " lines";
    ::close(chip_fd);
    return nullptr;
  }
  int line_fd = -1;
#ifdef GPIO_V2_GET_LINE_IOCTL
  gpio_v2_line_request req{};
  req.offsets[0] = config.line;
  req.num_lines = 1;
  std::memcpy(req.consumer, kConsumer, sizeof kConsumer);
  req.config.flags = GPIO_V2_LINE_FLAG_OUTPUT | (config.active_low ? GPIO_V2_LINE_FLAG_ACTIVE_LOW : 0);
  req.config.num_attrs = 1;
  req.config.attrs[0].attr.id = GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES;
  req.config.attrs[0].attr.values = config.gpio_initially_engaged ? 1 : 0;
  req.config.attrs[0].mask = 1;
  if (ioctl_retry(chip_fd, GPIO_V2_GET_LINE_IOCTL, &req) < 0) {
    err = where + ": request line: " + std::strerror(errno);
    ::close(chip_fd);
    return nullptr;
  }
  line_fd = req.fd;
#else
  gpiohandle_request req{};
  req.lineoffsets[0] = config.line;
  req.lines = 1;
  req.flags = GPIOHANDLE_REQUEST_OUTPUT | (config.active_low ? GPIOHANDLE_REQUEST_ACTIVE_LOW : 0);
  req.default_values[0] = config.gpio_initially_engaged ? 1 : 0;
  std::memcpy(req.consumer_label, kConsumer, sizeof kConsumer);
  if (ioctl_retry(chip_fd, GPIO_GET_LINEHANDLE_IOCTL, &req) < 0) {
    err = where + ": request line: " + std::strerror(errno);
    ::close(chip_fd);
    return nullptr;
  }
  line_fd = req.fd;
#endif
  ::close(chip_fd);  // the line descriptor stays valid on its own
  return std::make_unique<GpioRelay>(path, config.line, config.active_low, line_fd);
}

}  // namespace vigil::bypass
