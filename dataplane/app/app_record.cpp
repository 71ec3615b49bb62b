#include "dataplane/app/app_record.h"

#include "dataplane/common/byte_record_queue.h"

namespace vigil::app {

bool push_app_record(AppRecordQueue& q, const AppRecordHeader& h, std::string_view json) {
  AppRecordHeader copy = h;
  copy.json_len = static_cast<std::uint32_t>(json.size());
  return push_byte_record(q, copy, json.data(), json.size());
}

bool pop_app_record(AppRecordQueue& q, AppRecordHeader& h, std::string& json) {
  return pop_byte_record(q, h, json, [](const AppRecordHeader& r) { return std::size_t{r.json_len}; });
}

}  // namespace vigil::app
