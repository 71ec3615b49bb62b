// itype, icode, icmp_id, icmp_seq.
#include "dataplane/detect/engine/header_keywords.h"

namespace vigil::detect {

HeaderKeywordStatus parse_icmp_keyword(std::string_view keyword, std::string_view value,
                                       HeaderConditions& out, std::string& error) {
  std::optional<NumCondition>* slot = nullptr;
  std::uint64_t max = 255;
  if (keyword == "itype") {
    slot = &out.itype;
  } else if (keyword == "icode") {
    slot = &out.icode;
  } else if (keyword == "icmp_id") {
    slot = &out.icmp_id;
    max = 65535;
  } else if (keyword == "icmp_seq") {
    slot = &out.icmp_seq;
    max = 65535;
  } else {
    return HeaderKeywordStatus::not_mine;
  }
  if (slot->has_value()) {
    error = std::string(keyword) + ": given twice";
    return HeaderKeywordStatus::error;
  }
  *slot = parse_num_condition(value, max, keyword, error);
  return slot->has_value() ? HeaderKeywordStatus::ok : HeaderKeywordStatus::error;
}

}  // namespace vigil::detect
