#include "control/channel/uplink_config.h"

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <toml++/toml.h>

namespace vigil::channel {

namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t kMaxConfigBytes = 1024 * 1024;

class Reader {
 public:
  Reader(const std::string& path, std::string& err) : path_(path), err_(err) {
    base_ = fs::path(path).parent_path();
  }

  std::string where(const toml::node* n) const {
    if (n != nullptr && n->source().begin.line > 0) {
      return path_ + ":" + std::to_string(n->source().begin.line);
    }
    return path_;
  }

  bool fail(const toml::node* n, std::string_view section, std::string_view key,
            const std::string& what) {
    err_ = where(n) + ": [" + std::string(section) + "] " + std::string(key) + ": " + what;
    return false;
  }

  // The section's table (null when absent), refusing keys not in `known`.
  bool section(const toml::table& root, std::string_view name,
               std::initializer_list<std::string_view> known, const toml::table*& out) {
    out = nullptr;
    const toml::node* n = root.get(name);
    if (n == nullptr) return true;
    out = n->as_table();
    if (out == nullptr) {
      err_ = where(n) + ": [" + std::string(name) + "] must be a table";
      return false;
    }
    for (const auto& [k, v] : *out) {
      bool ok = false;
      for (std::string_view w : known) ok = ok || k.str() == w;
      if (!ok) return fail(&v, name, k.str(), "unknown key");
    }
    return true;
  }

  bool string(const toml::table* t, std::string_view section, std::string_view key,
              bool required, std::string& out) {
    const toml::node* n = t ? t->get(key) : nullptr;
    if (n == nullptr) {
      if (required) return fail(t, section, key, "missing (required)");
      return true;
    }
    const auto* s = n->as_string();
    if (s == nullptr) return fail(n, section, key, "expected a string");
    if (s->get().empty()) return fail(n, section, key, "must not be empty");
    if (s->get().find('\0') != std::string::npos) return fail(n, section, key, "contains NUL");
    out = s->get();
    return true;
  }

  bool path(const toml::table* t, std::string_view section, std::string_view key, bool required,
            std::string& out) {
    std::string raw;
    if (!string(t, section, key, required, raw)) return false;
    if (!raw.empty()) {
      const fs::path p(raw);
      out = (p.is_absolute() ? p : base_ / p).lexically_normal().string();
    }
    return true;
  }

  template <typename T>
  bool integer(const toml::table* t, std::string_view section, std::string_view key,
               std::int64_t min, std::int64_t max, T& out) {
    const toml::node* n = t ? t->get(key) : nullptr;
    if (n == nullptr) return true;  // keeps the default
    const auto* i = n->as_integer();
    if (i == nullptr || i->get() < min || i->get() > max) {
      return fail(n, section, key,
                  "expected an integer from " + std::to_string(min) + " to " +
                      std::to_string(max));
    }
    out = static_cast<T>(i->get());
    return true;
  }

  const fs::path& base() const { return base_; }

 private:
  const std::string& path_;
  std::string& err_;
  fs::path base_;
};

}  // namespace

bool parse_uplink_config(std::string_view text, const std::string& path, UplinkConfig& out,
                         std::string& err) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    err = path + ":" + std::to_string(e.source().begin.line) + ":" +
          std::to_string(e.source().begin.column) + ": " + std::string(e.description());
    return false;
  }
  Reader r(path, err);
  for (const auto& [k, v] : root) {
    const std::string_view name = k.str();
    if (name != "provider" && name != "spool" && name != "upload") {
      err = r.where(&v) + ": unknown section [" + std::string(name) + "]";
      return false;
    }
  }
  UplinkConfig c;
  const toml::table* prov = nullptr;
  const toml::table* spool = nullptr;
  const toml::table* upload = nullptr;
  constexpr std::int64_t kMaxTimeoutMs = 3'600'000;
  if (!r.section(root, "provider",
                 {"host", "port", "server_name", "ca", "cert", "key", "connect_timeout_ms",
                  "io_timeout_ms"},
                 prov) ||
      !r.section(root, "spool", {"dir", "max_bytes"}, spool) ||
      !r.section(root, "upload",
                 {"batch_events", "batch_bytes", "backoff_initial_ms", "backoff_max_ms"},
                 upload)) {
    return false;
  }
  if (prov == nullptr) {
    err = path + ": [provider] section is missing (required)";
    return false;
  }
  if (!r.string(prov, "provider", "host", true, c.provider.host) ||
      !r.integer(prov, "provider", "port", 1, 65535, c.provider.port) ||
      !r.string(prov, "provider", "server_name", false, c.provider.server_name) ||
      !r.path(prov, "provider", "ca", true, c.provider.ca) ||
      !r.path(prov, "provider", "cert", true, c.provider.cert) ||
      !r.path(prov, "provider", "key", true, c.provider.key) ||
      !r.integer(prov, "provider", "connect_timeout_ms", 1, kMaxTimeoutMs,
                 c.provider.connect_timeout_ms) ||
      !r.integer(prov, "provider", "io_timeout_ms", 1, kMaxTimeoutMs, c.provider.io_timeout_ms)) {
    return false;
  }
  if (c.provider.server_name.empty()) c.provider.server_name = c.provider.host;

  c.spool.dir = (r.base() / "spool").lexically_normal().string();
  if (!r.path(spool, "spool", "dir", false, c.spool.dir) ||
      !r.integer(spool, "spool", "max_bytes", 1024 * 1024, INT64_MAX, c.spool.max_bytes)) {
    return false;
  }
  if (!r.integer(upload, "upload", "batch_events", 1, 1'000'000, c.upload.batch_events) ||
      !r.integer(upload, "upload", "batch_bytes", 1024, 16 * 1024 * 1024, c.upload.batch_bytes) ||
      !r.integer(upload, "upload", "backoff_initial_ms", 1, kMaxTimeoutMs,
                 c.upload.backoff_initial_ms) ||
      !r.integer(upload, "upload", "backoff_max_ms", 1, kMaxTimeoutMs, c.upload.backoff_max_ms)) {
    return false;
  }
  if (c.upload.backoff_initial_ms > c.upload.backoff_max_ms) {
    const toml::node* n = upload ? upload->get("backoff_initial_ms") : nullptr;
    return r.fail(n, "upload", "backoff_initial_ms", "must not exceed backoff_max_ms");
  }
  out = std::move(c);
  return true;
}

bool load_uplink_config(const std::string& path, UplinkConfig& out, std::string& err) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) {
    err = "cannot read upload config '" + path + "': " + ec.message();
    return false;
  }
  if (size > kMaxConfigBytes) {
    err = "upload config '" + path + "' is larger than 1 MiB";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) {
    err = "cannot read upload config '" + path + "'";
    return false;
  }
  return parse_uplink_config(text.str(), path, out, err);
}

}  // namespace vigil::channel
