#include "control/appliance/appliance_config.h"

#include <toml++/toml.h>

#include <filesystem>
#include <set>

namespace vigil::appliance {

namespace {

struct Ctx {
  std::string file;
  std::filesystem::path base;
  std::string& err;
  bool fail(const toml::node* n, const std::string& field, const std::string& why) {
    const auto line = n != nullptr ? n->source().begin.line : 1;
    err = file + ":" + std::to_string(line) + ": " + field + ": " + why;
    return false;
  }
  std::string path(const std::string& p) const {
    return std::filesystem::path(p).is_absolute() ? p : (base / p).lexically_normal().string();
  }
};

bool only(Ctx& c, const toml::table& t, const std::string& section, std::set<std::string> keys) {
  for (const auto& [k, v] : t) {
    if (!keys.count(std::string(k.str()))) {
      return c.fail(&v, section + "." + std::string(k.str()), "unknown key");
    }
  }
  return true;
}

bool get_string(Ctx& c, const toml::table& t, const std::string& section, const char* key,
                std::string& out, bool is_path) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return true;
  const auto* s = n->as_string();
  if (s == nullptr || s->get().empty()) return c.fail(n, section + "." + key, "expected a non-empty string");
  out = is_path ? c.path(s->get()) : s->get();
  return true;
}

bool get_ms(Ctx& c, const toml::table& t, const std::string& section, const char* key,
            std::uint32_t& out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return true;
  const auto* v = n->as_integer();
  if (v == nullptr || v->get() < 1 || v->get() > 3'600'000) {
    return c.fail(n, section + "." + key, "expected milliseconds from 1 to 3600000");
  }
  out = static_cast<std::uint32_t>(v->get());
  return true;
}

}  // namespace

bool load_appliance_config(const std::string& path, ApplianceConfig& out, std::string& err) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    err = path + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description());
    return false;
  }
  Ctx c{path, std::filesystem::path(path).parent_path(), err};
  ApplianceConfig cfg;
  for (const auto& [k, v] : root) {
    static const std::set<std::string> sections{"detect", "output", "upload", "control", "health", "capture"};
    if (!sections.count(std::string(k.str())) || !v.is_table()) {
      return c.fail(&v, std::string(k.str()), "unknown section");
    }
  }
  if (const toml::table* t = root["detect"].as_table()) {
    if (!only(c, *t, "detect", {"rules", "classification", "mode"})) return false;
    if (const toml::node* n = t->get("rules")) {
      const toml::array* a = n->as_array();
      if (a == nullptr) return c.fail(n, "detect.rules", "expected an array of rule file paths");
      for (const auto& e : *a) {
        const auto* s = e.as_string();
        if (s == nullptr) return c.fail(n, "detect.rules", "expected an array of rule file paths");
        cfg.rules.push_back(c.path(s->get()));
      }
    }
    if (!get_string(c, *t, "detect", "classification", cfg.classification, true)) return false;
    std::string mode = "ips";
    if (!get_string(c, *t, "detect", "mode", mode, false)) return false;
    if (mode != "ips" && mode != "ids") return c.fail(t->get("mode"), "detect.mode", "expected \"ips\" or \"ids\"");
    cfg.ips = mode == "ips";
  }
  if (const toml::table* t = root["output"].as_table()) {
    if (!only(c, *t, "output", {"dir"}) || !get_string(c, *t, "output", "dir", cfg.output_dir, true)) return false;
  } else {
    cfg.output_dir = c.path(cfg.output_dir);
  }
  if (const toml::table* t = root["upload"].as_table()) {
    if (!only(c, *t, "upload", {"config"}) ||
        !get_string(c, *t, "upload", "config", cfg.upload_config, true)) {
      return false;
    }
  }
  cfg.control_socket = c.path(cfg.control_socket);
  if (const toml::table* t = root["control"].as_table()) {
    if (!only(c, *t, "control", {"socket", "file_prefix"}) ||
        !get_string(c, *t, "control", "socket", cfg.control_socket, true) ||
        !get_string(c, *t, "control", "file_prefix", cfg.file_prefix, false)) {
      return false;
    }
  }
  if (const toml::table* t = root["health"].as_table()) {
    if (!only(c, *t, "health", {"stall_ms", "recover_ms", "check_interval_ms", "control_stall_ms"}) ||
        !get_ms(c, *t, "health", "stall_ms", cfg.stall_ms) ||
        !get_ms(c, *t, "health", "recover_ms", cfg.recover_ms) ||
        !get_ms(c, *t, "health", "check_interval_ms", cfg.check_interval_ms) ||
        !get_ms(c, *t, "health", "control_stall_ms", cfg.control_stall_ms)) {
      return false;
    }
  }
  if (const toml::table* t = root["capture"].as_table()) {
    if (!only(c, *t, "capture", {"flow_pcaps"})) return false;
    if (const toml::node* n = t->get("flow_pcaps")) {
      const auto* b = n->as_boolean();
      if (b == nullptr) return c.fail(n, "capture.flow_pcaps", "expected true or false");
      cfg.flow_pcaps = b->get();
    }
  }
  out = std::move(cfg);
  return true;
}

}  // namespace vigil::appliance
