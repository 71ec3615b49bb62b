#include "dataplane/app/app_record.h"

#include <cstring>

namespace vigil::app {

bool push_app_record(AppRecordQueue& q, const AppRecordHeader& h, std::string_view json) {
  if (q.write_available() < sizeof h + json.size()) return false;
  AppRecordHeader copy = h;
  copy.json_len = static_cast<std::uint32_t>(json.size());
  std::uint8_t raw[sizeof copy];
  std::memcpy(raw, &copy, sizeof copy);
  q.push(raw, sizeof raw);
  q.push(reinterpret_cast<const std::uint8_t*>(json.data()), json.size());
  return true;
}

bool pop_app_record(AppRecordQueue& q, AppRecordHeader& h, std::string& json) {
  if (q.read_available() < sizeof h) return false;
  std::uint8_t raw[sizeof h];
  q.pop(raw, sizeof raw);
  std::memcpy(&h, raw, sizeof h);
  json.resize(h.json_len);
  std::size_t got = 0;
  while (got < h.json_len) {
    got += q.pop(reinterpret_cast<std::uint8_t*>(json.data()) + got, h.json_len - got);
  }
  return true;
}

}  // namespace vigil::app
